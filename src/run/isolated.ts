/**
 * Backend sessions in worker processes (see backend-worker.ts), one worker per backend — or per
 * runtime where the runtime's backends share one (worker-group.ts: one Chromium for every
 * WebGPU backend). A request over its deadline kills the worker; a worker that exits (crash, out of
 * memory) fails the request in flight at once with its exit code or signal and its last stderr lines
 * (process/supervisor.ts). The backend that was running is reported as an error; the other backends
 * of a shared worker are reopened in a fresh one on their next request. A backend's own worker exits
 * when the backend closes, so a finished backend holds no memory while the others run.
 */
import { fork } from 'node:child_process';
import { compiledScript } from '../io/compiled-script.js';
import { ipcTransport, Supervised } from '../process/supervisor.js';
import type { Matrix } from '../numeric/matrix.js';
import type { BackendConfig } from '../config/config.js';
import { beforeDeadline, type BackendSession, type OpenResult } from './session.js';
import type { FromWorker, ToWorker, WorkerRequest } from './worker-protocol.js';
import { isOwnGroup, workerGroup } from './worker-group.js';

/** The compiled backend worker (see compiledScript); null before a build. */
export function workerScript(): string | null {
  return compiledScript(import.meta.url, 'backend-worker.js');
}

type Reply = Exclude<FromWorker, { type: 'ready' }>;

class Worker {
  readonly ready: Promise<void>;
  private readonly process: Supervised<ToWorker, FromWorker>;
  private nextId = 1;

  constructor(script: string) {
    const child = fork(script, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    // Replies to requests that timed out (their process was killed) never come; any other stray is ignored.
    this.process = new Supervised(child, ipcTransport(child), { label: () => 'backend process', tailLines: 3, tailChars: 2000, strays: 'ignore' });
    this.ready = this.process.request(null, (m) => (m.type === 'ready' ? 'done' : 'not-mine'));
    this.ready.catch(() => undefined);
  }

  get alive(): boolean {
    return this.process.alive;
  }

  async request(message: WorkerRequest): Promise<Reply> {
    await this.ready;
    const id = this.nextId++;
    return (await this.process.ask({ ...message, id } as ToWorker, (m) => m.type !== 'ready' && m.id === id)) as Reply;
  }

  kill(): void {
    this.process.kill();
  }

  async exit(): Promise<void> {
    if (this.process.alive && this.process.child.connected) await this.process.stop({ type: 'exit' });
  }
}

export class WorkerPool {
  private readonly workers = new Map<string, Worker>();

  constructor(private readonly script: string) {}

  /** The live worker of a group (worker-group.ts), started (again) when needed. */
  worker(group: string): Worker {
    let w = this.workers.get(group);
    if (!w || !w.alive) {
      w = new Worker(this.script);
      this.workers.set(group, w);
    }
    return w;
  }

  /** The group's worker if one is running; never starts one. */
  current(group: string): Worker | undefined {
    const w = this.workers.get(group);
    return w?.alive ? w : undefined;
  }

  /** Ends a group's worker once no backend is open in it (it is started again if asked for). */
  async retire(group: string, worker: Worker): Promise<void> {
    if (this.workers.get(group) !== worker) return;
    this.workers.delete(group);
    await worker.exit();
  }

  session(spec: BackendConfig, batchSize: number, threads?: number): BackendSession {
    return new WorkerSession(this, spec, batchSize, threads);
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.exit()));
    this.workers.clear();
  }
}

class WorkerSession implements BackendSession {
  /** The worker this backend is open in; a different (new) worker means it must be reopened. */
  private openIn: Worker | null = null;
  private readonly group: string;

  constructor(
    private readonly pool: WorkerPool,
    private readonly spec: BackendConfig,
    private readonly batchSize: number,
    private readonly threads?: number,
  ) {
    this.group = workerGroup(spec);
  }

  get name(): string {
    return this.spec.name;
  }

  private async call(message: Parameters<Worker['request']>[0], deadline: number): Promise<Reply> {
    const worker = this.pool.worker(this.group);
    if (this.openIn && this.openIn !== worker && message.type !== 'open') {
      // Another backend's crash or timeout took the worker down: open this one again.
      const reopened = await this.open(deadline);
      if (reopened.status !== 'ok') throw new Error(`reopening after the worker restarted: ${reopened.reason}`);
    }
    const target = this.pool.worker(this.group);
    return beforeDeadline(target.request(message), deadline, `backend ${this.name} did not finish within ${this.spec.timeoutMs} ms (timeoutMs); its process was killed`, () =>
      target.kill(),
    );
  }

  async open(deadline: number): Promise<OpenResult> {
    const started = performance.now();
    try {
      const worker = this.pool.worker(this.group);
      const reply = await beforeDeadline(worker.request({ type: 'open', spec: this.spec, batchSize: this.batchSize, ...(this.threads ? { threads: this.threads } : {}) }), deadline, `backend ${this.name} did not open within ${this.spec.timeoutMs} ms (timeoutMs); its process was killed`, () => worker.kill());
      if (reply.type === 'opened' && reply.result.status === 'ok') {
        this.openIn = worker;
        return { ...reply.result, openMs: performance.now() - started };
      }
      // Skipped or failed: a worker of its own has nothing more to do.
      if (isOwnGroup(this.group)) await this.pool.retire(this.group, worker);
      if (reply.type === 'failed') return { status: 'error', reason: reply.reason, environment: {}, detail: reply.detail };
      if (reply.type !== 'opened') throw new Error(`unexpected worker reply ${reply.type}`);
      return reply.result;
    } catch (error) {
      return { status: 'error', reason: error instanceof Error ? error.message : String(error), environment: {} };
    }
  }

  async embed(texts: readonly string[], deadline: number, rows?: readonly number[]): Promise<Matrix> {
    const reply = await this.call({ type: 'embed', name: this.name, texts, rows }, deadline);
    if (reply.type === 'failed') {
      const error = new Error(reply.reason);
      if (reply.detail) error.stack = reply.detail;
      throw error;
    }
    if (reply.type !== 'embedded') throw new Error(`unexpected worker reply ${reply.type}`);
    return { rows: reply.rows, dim: reply.dim, data: reply.data };
  }

  async environment(): Promise<Record<string, unknown>> {
    try {
      const worker = this.pool.current(this.group);
      if (!worker || this.openIn !== worker) return {};
      const reply = await worker.request({ type: 'environment', name: this.name });
      return reply.type === 'environment' ? reply.environment : {};
    } catch {
      return {};
    }
  }

  async close(): Promise<void> {
    const worker = this.openIn;
    this.openIn = null;
    // Never open, or already closed: nothing to close (and no worker to start just to ask).
    if (!worker) return;
    if (this.pool.current(this.group) === worker) {
      try {
        await worker.request({ type: 'close', name: this.name });
      } catch {
        /* a worker that died while closing has nothing left to close */
      }
      if (isOwnGroup(this.group)) await this.pool.retire(this.group, worker);
    }
  }
}
