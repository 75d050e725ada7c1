/**
 * Progress on stderr for long runs: one line per backend, redrawn in place ("cpu-fp16  1,200 / 5,000
 * texts  812 texts/s"). A no-op unless the stream is a TTY and CI is unset, so logs and pipes stay clean.
 */
export interface Progress {
  start(backend: string, total: number): void;
  tick(done: number): void;
  end(): void;
}

export interface ProgressOptions {
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  /** Least time between redraws, ms. */
  intervalMs?: number;
}

const NOOP: Progress = { start() {}, tick() {}, end() {} };

export function createProgress(stream: NodeJS.WriteStream, options: ProgressOptions = {}): Progress {
  const env = options.env ?? process.env;
  if (!stream.isTTY || env.CI) return NOOP;
  const now = options.now ?? (() => performance.now());
  const interval = options.intervalMs ?? 100;
  let backend = '';
  let total = 0;
  let done = 0;
  let started = 0;
  let lastDraw = -Infinity;
  let active = false;

  const line = () => {
    const elapsed = (now() - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const width = String(total.toLocaleString('en-US')).length;
    return `${backend}  ${done.toLocaleString('en-US').padStart(width)} / ${total.toLocaleString('en-US')} texts  ${rate >= 100 ? Math.round(rate) : rate.toFixed(1)} texts/s`;
  };
  const draw = () => {
    lastDraw = now();
    const columns = stream.columns || 100;
    stream.write(`\r\u001b[2K${line().slice(0, columns - 1)}`);
  };

  return {
    start(name, count) {
      if (active) this.end();
      backend = name;
      total = count;
      done = 0;
      started = now();
      active = true;
      draw();
    },
    tick(count) {
      if (!active) return;
      done = Math.min(Math.max(count, 0), total || count);
      if (now() - lastDraw >= interval || done === total) draw();
    },
    end() {
      if (!active) return;
      active = false;
      const elapsed = (now() - started) / 1000;
      stream.write(`\r\u001b[2K${line()} in ${elapsed < 10 ? elapsed.toFixed(2) : elapsed.toFixed(1)} s\n`);
    },
  };
}
