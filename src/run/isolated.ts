/**
 * Runs backends in worker processes (see backend-worker.ts), one worker per runtime, reused for the
 * backends of that runtime and replaced when one dies. A backend over its time limit has its worker
 * killed; a worker that exits (crash, out of memory) turns its current backend into an error with
 * the exit code or signal. The other backends' results are never lost.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BackendConfig } from '../config/config.js';
import type { EmbedOutcome } from './embed-with-backend.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

/** The compiled worker. Under a TypeScript test runner this module is src/run/*.ts: use dist/ then. */
export function workerScript(): string | null {
  const here = fileURLToPath(import.meta.url);
  const candidates = [here.replace(/isolated\.(ts|js)$/, 'backend-worker.js'), here.replace(/[/\\]src[/\\]run[/\\]isolated\.ts$/, '/dist/run/backend-worker.js')];
  return candidates.find((p) => p.endsWith('.js') && existsSync(p)) ?? null;
}

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startWorker(script: string): Worker {
  const child = fork(script, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  // Keep the last lines the worker wrote to stderr: the explanation of a native crash is there.
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-2000);
  });
  (child as ChildProcess & { stderrTail: () => string }).stderrTail = () => stderrTail;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', (m: FromWorker) => (m.type === 'ready' ? resolve() : reject(new Error('worker did not start'))));
    exited.then(({ code, signal }) => reject(new Error(`worker exited before it was ready (code ${code}, signal ${signal})`)));
  });
  ready.catch(() => undefined);
  return { child, ready, exited };
}

export class WorkerPool {
  private readonly workers = new Map<string, Worker>();

  constructor(private readonly script: string) {}

  async embed(spec: BackendConfig, texts: readonly string[], batchSize: number): Promise<EmbedOutcome> {
    let worker = this.workers.get(spec.runtime);
    if (!worker || worker.child.killed || worker.child.exitCode !== null || worker.child.signalCode !== null) {
      worker = startWorker(this.script);
      this.workers.set(spec.runtime, worker);
    }
    const { child } = worker;
    let timer: NodeJS.Timeout | undefined;
    try {
      await worker.ready;
      const result = new Promise<FromWorker>((resolve) => {
        const onMessage = (m: FromWorker) => {
          if (m.type === 'result' && m.name === spec.name) {
            child.off('message', onMessage);
            resolve(m);
          }
        };
        child.on('message', onMessage);
      });
      const died = worker.exited.then(({ code, signal }) => {
        const tail = (child as ChildProcess & { stderrTail?: () => string }).stderrTail?.().trim().split('\n').slice(-3).join(' | ');
        const how = signal === 'SIGKILL' ? 'was killed (SIGKILL: out of memory?)' : signal ? `died of ${signal}` : `exited with code ${code}`;
        return { crashed: `backend process ${how}${tail ? `: ${tail}` : ''}` };
      });
      const timedOut = new Promise<{ timedOut: true }>((resolve) => {
        timer = setTimeout(() => resolve({ timedOut: true }), spec.timeoutMs);
      });
      child.send({ type: 'embed', spec, texts, batchSize } satisfies ToWorker);
      const first = await Promise.race([result, died, timedOut]);
      if ('timedOut' in first) {
        child.kill('SIGKILL');
        return { status: 'error', reason: `did not finish within ${spec.timeoutMs} ms (timeoutMs); its process was killed`, error: null, environment: {} };
      }
      if ('crashed' in first) return { status: 'error', reason: first.crashed, error: null, environment: {} };
      if (first.type !== 'result') throw new Error(`unexpected worker message ${first.type}`);
      if (first.status === 'ok') {
        return { status: 'ok', vectors: { rows: first.rows, dim: first.dim, data: first.data }, environment: first.environment, timing: first.timing };
      }
      if (first.status === 'skipped') return { status: 'skipped', reason: first.reason, environment: first.environment };
      const error = new Error(first.reason);
      if (first.detail) error.stack = first.detail;
      return { status: 'error', reason: first.reason, error, environment: first.environment };
    } catch (error) {
      return { status: 'error', reason: `backend process: ${error instanceof Error ? error.message : String(error)}`, error, environment: {} };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.workers.values()].map(async (w) => {
        if (w.child.exitCode === null && w.child.signalCode === null && w.child.connected) {
          w.child.send({ type: 'exit' } satisfies ToWorker);
          const grace = setTimeout(() => w.child.kill('SIGKILL'), 5000);
          await w.exited;
          clearTimeout(grace);
        }
      }),
    );
    this.workers.clear();
  }
}
