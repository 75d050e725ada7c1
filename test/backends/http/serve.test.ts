/**
 * The `http` backend's `serve` option with a stand-in server (test/support/fake-embedding-server.mjs,
 * plain Node, no Python): start on a free loopback port, wait for /health, embed, stop; start-up
 * failures and deaths name the exit and quote the server's output; no server outlives parity, even
 * when the process that started it is SIGKILLed. Real Infinity: http-infinity.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BackendContext, BackendSpec } from '../../../src/backends/backend.js';
import { HttpBackend } from '../../../src/backends/http/runner.js';
import { BackendError, InputError } from '../../../src/errors.js';
import { loadModelInfo } from '../../../src/model/model-folder.js';
import { runParity } from '../../../src/run/run.js';
import { FIXTURE, ROOT, tempDir } from '../../support/helpers.js';
import { requireBuild } from '../../support/installs.js';

const FAKE = join(ROOT, 'test/support/fake-embedding-server.mjs');
const DIM = 8;
/** The fake server's vector for a text (same formula as the script). */
function fakeVector(text: string): number[] {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.codePointAt(0)!) % 1000003;
  return Array.from({ length: DIM }, (_, j) => Math.fround(Math.sin(h + j)));
}

const spec = (mode: string, options: Record<string, unknown> = {}, serve: Record<string, unknown> = {}): BackendSpec => ({
  name: 'served',
  runtime: 'http',
  modelDir: FIXTURE.model,
  configDir: ROOT,
  options: {
    url: '/v1/embeddings',
    apiModel: 'fake',
    retries: 1,
    requestTimeoutMs: 10_000,
    serve: { command: [process.execPath, FAKE, '{port}', mode], startupTimeoutMs: 20_000, stopTimeoutMs: 2_000, ...serve },
    ...options,
  },
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** Bounded wait for a process to be gone (exit is asynchronous); false if it is still there. */
async function gone(pid: number, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (!alive(pid)) return true;
  return !alive(pid);
}
const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as Error,
  );

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('http backend with serve: a server started for the run', { timeout: 60_000 }, () => {
  it('starts on a free loopback port, embeds, records the server, and stops it on close', async () => {
    const b = new HttpBackend(spec('ok'));
    expect(await b.availability()).toEqual({ available: true });
    await b.open({} as BackendContext);
    const texts = ['2024', 'hello world', '', 'ünïcödé'];
    const m = await b.embed(texts);
    expect(m.dim).toBe(DIM);
    expect(Array.from(m.data)).toEqual(texts.flatMap(fakeVector)); // reply came reversed: sorted by index
    const env = b.environment() as { serve: { pid: number; port: number; command: string[] }; serverInfo: unknown; engine: string; url: string };
    expect(env.serve.command).toEqual([process.execPath, FAKE, String(env.serve.port), 'ok']);
    expect(env.url).toBe(`http://127.0.0.1:${env.serve.port}/v1/embeddings`);
    expect(env.engine).toBe('fake-engine');
    expect(env.serverInfo).toMatchObject({ models: [{ id: 'fake-model', engine: 'fake-engine', capabilities: ['embed'] }] });
    expect(alive(env.serve.pid)).toBe(true);
    await b.close();
    expect(alive(env.serve.pid)).toBe(false); // close() resolves only once the server has exited
  });

  it('{threads} is the threads the command gives the backend, else the cores, and the environment records it', async () => {
    const withThreads = (mode: string) => spec(mode, {}, { command: [process.execPath, FAKE, '{port}', mode, '{threads}'], env: { OMP_NUM_THREADS: '{threads}' } });
    const given = new HttpBackend(withThreads('ok'));
    await given.open({ threads: 1 } as BackendContext);
    const env = given.environment() as { serve: { command: string[]; threads: number } };
    expect(env.serve.command.at(-1)).toBe('1');
    expect(env.serve.threads).toBe(1);
    await given.close();
    const own = new HttpBackend(withThreads('ok'));
    await own.open({} as BackendContext);
    expect((own.environment() as { serve: { threads: number } }).serve.threads).toBe(availableParallelism());
    await own.close();
    // A command that does not ask for threads records none.
    const plain = new HttpBackend(spec('ok'));
    await plain.open({ threads: 1 } as BackendContext);
    expect((plain.environment() as { serve: Record<string, unknown> }).serve.threads).toBeUndefined();
    await plain.close();
  });

  it('base64 encoding gives the same float32 vectors', async () => {
    const b = new HttpBackend(spec('ok', { encoding: 'base64' }));
    await b.open({} as BackendContext);
    try {
      const texts = ['a', 'bb', 'ccc'];
      expect(Array.from((await b.embed(texts)).data)).toEqual(texts.flatMap(fakeVector));
      expect(b.environment()).toMatchObject({ encoding: 'base64' });
    } finally {
      await b.close();
    }
  });

  it("the run's prompt goes through the same code: prepended to what the started server embeds, or left to it", async () => {
    const model = loadModelInfo(join(ROOT, 'fixtures/models/arch/xlm-roberta')); // default prompt "query: "
    const texts = ['a', 'bb'];
    for (const [prompt, sent, applied] of [
      [undefined, texts.map((t) => 'query: ' + t), 'prepended by parity'],
      ['server', texts, 'left to the server'],
    ] as const) {
      const b = new HttpBackend(spec('ok', prompt ? { prompt } : {}));
      await b.open({ model } as BackendContext);
      try {
        expect(Array.from((await b.embed(texts)).data)).toEqual(sent.flatMap(fakeVector));
        expect(b.environment()).toMatchObject({ prompt: { name: 'query', applied } });
      } finally {
        await b.close();
      }
    }
  });

  it('a server that never gets healthy: error after startupTimeoutMs with its own output, and it is stopped', async () => {
    const b = new HttpBackend(spec('never-ready', {}, { startupTimeoutMs: 6_000 }));
    const error = await failure(b.open({} as BackendContext));
    expect(error).toBeInstanceOf(BackendError);
    expect(error!.message).toContain('served: server not healthy within 6000 ms ("serve.startupTimeoutMs"; last: GET http://127.0.0.1:');
    expect(error!.message).toContain('answered HTTP 503');
    expect(error!.message).toMatch(/its last output:\nfake server: pid (\d+) mode never-ready/);
    const pid = Number(/pid (\d+)/.exec(error!.message)![1]);
    expect(alive(pid)).toBe(false);
  });

  it('a server that exits during start-up: its exit code and last words, without waiting out the start-up time', async () => {
    const b = new HttpBackend(spec('crash-at-start', {}, { startupTimeoutMs: 60_000 }));
    const error = await failure(b.open({} as BackendContext));
    expect(error).toBeInstanceOf(BackendError);
    expect(error!.message).toBe('served: server never got healthy: it exited with code 3; its last output:\nfake server: cannot load model /nonexistent (simulated)');
  });

  it('a program that does not exist: unavailable up front; started anyway, the spawn error is the reason', async () => {
    const missing = spec('ok', {}, { command: ['/nonexistent/bin/server', '--port', '{port}'] });
    expect(await new HttpBackend(missing).availability()).toEqual({ available: false, reason: '"serve.command" program /nonexistent/bin/server does not exist' });
    const error = await failure(new HttpBackend(missing).open({} as BackendContext));
    expect(error!.message).toMatch(/server never got healthy: it could not be started \(spawn \/nonexistent\/bin\/server ENOENT\)/);
  });

  it('a server that ignores SIGTERM is SIGKILLed after stopTimeoutMs', async () => {
    const b = new HttpBackend(spec('ignore-sigterm', {}, { stopTimeoutMs: 300 }));
    await b.open({} as BackendContext);
    const pid = (b.environment() as { serve: { pid: number } }).serve.pid;
    await b.close();
    expect(alive(pid)).toBe(false);
  });

  it('a server that dies mid-embed: a BackendError with the signal and its output, not retried', async () => {
    const b = new HttpBackend(spec('die-after-2', { batchSize: 2, retries: 3 }));
    await b.open({} as BackendContext);
    try {
      const error = await failure(b.embed(['a', 'b', 'c', 'd']));
      expect(error).toBeInstanceOf(BackendError);
      expect(error!.message).toMatch(/^served: POST http:\/\/127\.0\.0\.1:\d+\/v1\/embeddings batch 2\/2 \(texts 2–3\): server was killed by SIGKILL; its last output:\n/);
      expect(error!.message).toContain('fake server: dying on request 2 (simulated crash)');
      expect(b.environment()).toMatchObject({ requests: 2, retried: 0, serve: { died: 'was killed by SIGKILL' } });
      // Later calls fail at once with the same reason.
      expect((await failure(b.embed(['e'])))!.message).toContain('server was killed by SIGKILL');
    } finally {
      await b.close();
    }
  });

  const runner = join(ROOT, 'dist/backends/http/runner.js');
  const build = requireBuild(runner);
  it.skipIf(!build.present)(build.title('no orphan: SIGKILL the process that started the server, and the server goes too'), async () => {
    const code = `
      const { HttpBackend } = await import(${JSON.stringify(runner)});
      const b = new HttpBackend(${JSON.stringify(spec('ok'))});
      await b.open({});
      console.log(JSON.stringify(b.environment().serve));
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      child.once('exit', (c) => reject(new Error(`child exited with ${c} before the server started`)));
    });
    const { pid } = JSON.parse(line) as { pid: number };
    expect(alive(pid)).toBe(true);
    child.kill('SIGKILL'); // no cleanup code of the child runs
    expect(await gone(pid)).toBe(true);
  });
});

describe('http backend with serve: config', { timeout: 60_000 }, () => {
  it('rejects unknown placeholders and keys, a command without {port}, and a full url', () => {
    const bad: [BackendSpec, RegExp][] = [
      [spec('ok', {}, { command: ['{python}', '-m', 'x', '--model', '{modle}', '--port', '{port}'] }), /unknown placeholder \{modle\} in "\{modle\}" \(known: \{python\}, \{model\}/],
      [spec('ok', {}, { command: ['server', '--port', '7997'] }), /"serve\.command" must be an argv that passes the port parity chose, as "\{port\}"/],
      [spec('ok', {}, { readyPath: '/health' }), /"serve" has an unknown key "readyPath"/],
      [spec('ok', {}, { ready: 'health' }), /"serve\.ready" must be a path starting with "\/"/],
      [spec('ok', { url: 'http://127.0.0.1:7997/v1/embeddings' }), /"url" must be the endpoint path on the server that "serve" starts/],
      [spec('ok', { serve: ['python'] }), /"serve" must be an object/],
      [spec('ok', { encoding: 'binary' }), /"encoding" must be "float" or "base64"/],
    ];
    for (const [s, pattern] of bad) {
      expect(() => new HttpBackend(s)).toThrow(InputError);
      expect(() => new HttpBackend(s)).toThrow(pattern);
    }
  });
});

describe('http backend with serve: a run where the server dies', { timeout: 60_000 }, () => {
  it('the served backend is an error with the reason; the other backend finishes and the report is written', async () => {
    const dir = tempDir('parity-serve-');
    dirs.push(dir);
    const config = join(dir, 'parity.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        model: FIXTURE.model,
        corpus: FIXTURE.corpus,
        golden: FIXTURE.golden,
        blockTexts: 32,
        checks: { batchInvarianceSample: 0 },
        backends: [
          { name: 'cpu-fp32', runtime: 'onnxruntime-node', model: 'onnx/model.onnx', precision: 'fp32' },
          // The fake's vectors (64 wide, like the golden's) are not the golden's numbers; it dies on its 3rd request, in the 3rd block.
          {
            name: 'dying',
            runtime: 'http',
            url: '/v1/embeddings',
            apiModel: 'fake',
            batchSize: 32,
            serve: { command: [process.execPath, FAKE, '{port}', 'die-after-3'], env: { FAKE_DIM: '64' } },
          },
        ],
      }),
    );
    const { report } = await runParity({ config, out: join(dir, 'out') });
    const [cpu, dying] = report.backends;
    expect(cpu.status).toBe('pass');
    expect(dying.status).toBe('error');
    expect(dying.reason).toMatch(/dying: POST http:\/\/127\.0\.0\.1:\d+\/v1\/embeddings batch 1\/1 \(texts 0–31\): server was killed by SIGKILL; its last output:\n/);
    expect(dying.reason).toContain('fake server: dying on request 3 (simulated crash)');
    expect(dying.environment).toMatchObject({ serve: { died: 'was killed by SIGKILL' }, requests: 3 });
    const written = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')) as { backends: { name: string; status: string }[] };
    expect(written.backends.map((b) => [b.name, b.status])).toEqual([
      ['cpu-fp32', 'pass'],
      ['dying', 'error'],
    ]);
  });
});

describe('parity serve: the same server by hand', { timeout: 60_000 }, () => {
  it('prints the URL once healthy, serves until SIGINT, then stops the server and exits 0', async () => {
    const dir = tempDir('parity-serve-cli-');
    dirs.push(dir);
    const config = join(dir, 'parity.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        model: FIXTURE.model,
        corpus: FIXTURE.corpus,
        golden: FIXTURE.golden,
        backends: [
          { name: 'cpu-fp32', runtime: 'onnxruntime-node', model: 'onnx/model.onnx' },
          { name: 'fake', runtime: 'http', url: '/v1/embeddings', apiModel: 'fake', serve: { command: [process.execPath, FAKE, '{port}', 'ok'] } },
        ],
      }),
    );
    const child = spawn(process.execPath, [join(ROOT, 'bin/parity.js'), 'serve', '--config', config, '--backend', 'fake', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      child.once('exit', (c) => reject(new Error(`parity serve exited with ${c}: ${stderr}`)));
    });
    const m = /^fake: (http:\/\/127\.0\.0\.1:\d+\/v1\/embeddings) is ready \(server pid (\d+)\); Ctrl-C stops it$/.exec(line);
    expect(m).not.toBeNull();
    const res = await fetch(m![1], { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: ['2024'], model: 'fake' }) });
    expect(((await res.json()) as { data: { embedding: number[] }[] }).data[0].embedding).toEqual(fakeVector('2024'));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(alive(Number(m![2]))).toBe(false);
    expect(stderr).toBe(''); // --quiet: the server's own output is not shown while it is healthy
  });

  it('a backend without serve is bad input: one line, exit 2', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/parity.js'), 'serve', '--backend', 'cpu-fp32'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('parity: backend "cpu-fp32" has no "serve" command (only "runtime": "http" backends with "serve" can be started by parity)\n');
  });
});
