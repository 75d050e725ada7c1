/** The one child-process supervisor: a dying child fails the pending request at once, in describeExit's words. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/process/frames.js';
import { describeExit, frameTransport, ipcTransport, jsonLinesTransport, OutputTail, ProcessDied, Supervised } from '../../src/process/supervisor.js';

/** A node child running `code`, with stdin/stdout pipes, stderr piped and an IPC channel. */
function node(code: string) {
  return spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] });
}

const IPC_CHILD = `
process.on('message', (m) => {
  if (m.die) { process.stderr.write('loading weights\\nout of cheese at layer 3\\n'); process.exit(7); }
  if (m.hang) return;
  process.send({ id: m.id, echo: m.x * 2 });
});`;

describe('process supervisor', () => {
  it('answers requests over IPC, then fails the pending one at once with the exit code and the stderr tail', async () => {
    const child = node(IPC_CHILD);
    const p = new Supervised<Record<string, unknown>, Record<string, unknown>>(child, ipcTransport(child), { label: () => 'test child' });
    expect(await p.ask({ id: 1, x: 21 })).toEqual({ id: 1, echo: 42 });
    const dying = p.ask({ die: true });
    await expect(dying).rejects.toThrow(new ProcessDied('test child exited with code 7; its last output: loading weights | out of cheese at layer 3'));
    expect(p.alive).toBe(false);
    // Every later request fails the same way without waiting for anything.
    await expect(p.ask({ id: 2, x: 1 })).rejects.toThrow('test child exited with code 7');
    expect(p.exit).toEqual({ code: 7, signal: null });
  });

  it('routes replies to the request they belong to, and a kill fails every pending request with the signal', async () => {
    const child = node(IPC_CHILD);
    const p = new Supervised<Record<string, unknown>, Record<string, unknown>>(child, ipcTransport(child), { label: () => 'router' });
    const hanging = p.ask({ id: 1, hang: true }, (r) => r.id === 1);
    const answered = await p.ask({ id: 2, x: 5 }, (r) => r.id === 2);
    expect(answered).toEqual({ id: 2, echo: 10 });
    p.kill();
    await expect(hanging).rejects.toThrow(/^router was killed by SIGKILL$/);
  });

  it('JSON lines: skips stdout lines that are not JSON', async () => {
    const child = node(`require('readline').createInterface({ input: process.stdin }).on('line', (l) => { const m = JSON.parse(l); console.log('a library print'); console.log(JSON.stringify({ n: m.n + 1 })); });`);
    const p = new Supervised<{ n: number }, { n: number }>(child, jsonLinesTransport(child), { label: () => 'lines' });
    expect(await p.ask({ n: 1 })).toEqual({ n: 2 });
    await p.stop(null, 2000);
    expect(p.exit).toEqual({ code: 0, signal: null });
  });

  it('binary frames: a stray print on stdout breaks the stream and fails the request', async () => {
    const child = node(`process.stdout.write('hello from a stray print\\n'); setInterval(() => {}, 1000);`);
    const p = new Supervised<object, Frame>(child, frameTransport(child), { label: () => 'framed' });
    await expect(p.request(null, () => 'done')).rejects.toThrow(/^framed: bad frame header length \d+ \(the worker's stdout is not a frame stream: "hello/);
    await p.ended;
    expect(p.exit?.signal).toBe('SIGKILL');
  });

  it('a program that cannot start fails the request with the spawn error', async () => {
    const child = spawn('/nonexistent/parity-test-program', [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const p = new Supervised<object, object>(child, jsonLinesTransport(child), { label: () => 'missing' });
    await expect(p.ask({})).rejects.toThrow('missing could not be started (spawn /nonexistent/parity-test-program ENOENT)');
  });

  it('describeExit and the output tail', () => {
    expect(describeExit({ code: 3, signal: null })).toBe('exited with code 3');
    expect(describeExit({ code: null, signal: 'SIGABRT' })).toBe('was killed by SIGABRT');
    expect(describeExit({ code: null, signal: null, error: 'spawn x ENOENT' })).toBe('could not be started (spawn x ENOENT)');
    const tail = new OutputTail(30);
    for (let i = 0; i < 100; i++) tail.push(`line ${i}\n`);
    tail.push('\x1b[31mred\x1b[0m\n\n');
    expect(tail.lines(2)).toEqual(['line 99', 'red']);
    expect(tail.lines(100).join('\n').length).toBeLessThanOrEqual(30);
  });
});
