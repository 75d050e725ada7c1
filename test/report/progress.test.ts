import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/report/progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = { isTTY, columns: 80, write: (s: string) => (writes.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

describe('progress on stderr', () => {
  it('redraws one line per backend with done / total and rate, throttled', () => {
    const { stream, writes } = fakeStream(true);
    let now = 0;
    const p = createProgress(stream, { env: {}, now: () => now, intervalMs: 100 });
    p.start('cpu-fp16', 1000);
    now = 50;
    p.tick(100); // within the interval: not drawn
    now = 500;
    p.tick(400);
    now = 1000;
    p.tick(1000); // done: always drawn
    p.end();
    expect(writes).toHaveLength(4);
    expect(writes[0]).toBe('\r\u001b[2Kcpu-fp16      0 / 1,000 texts  0.0 texts/s');
    expect(writes[1]).toBe('\r\u001b[2Kcpu-fp16    400 / 1,000 texts  800 texts/s');
    expect(writes[3]).toBe('\r\u001b[2Kcpu-fp16  1,000 / 1,000 texts  1000 texts/s in 1.00 s\n');
  });

  it('ends the previous backend when the next starts, and fits the terminal width', () => {
    const { stream, writes } = fakeStream(true);
    (stream as { columns: number }).columns = 20;
    let now = 0;
    const p = createProgress(stream, { env: {}, now: () => now });
    p.start('a', 2);
    now = 1000;
    p.start('b', 3);
    expect(writes[1]).toMatch(/^\r\u001b\[2Ka {2}0 \/ 2 texts .* in 1\.00 s\n$/);
    expect(writes[2].length).toBeLessThanOrEqual('\r\u001b[2K'.length + 19);
  });

  it('is a no-op when stderr is not a TTY or CI is set', () => {
    for (const [tty, env] of [
      [false, {}],
      [true, { CI: 'true' }],
    ] as const) {
      const { stream, writes } = fakeStream(tty);
      const p = createProgress(stream, { env });
      p.start('x', 10);
      p.tick(5);
      p.end();
      expect(writes).toEqual([]);
    }
  });
});
