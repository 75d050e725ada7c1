/**
 * Worker threads that each hold one BertFloat64 (over the shared weights, shared-weights.ts) and run
 * whole forward passes for the reference backend: a text is computed by the same code in the same
 * order on whichever thread runs it, so its bits do not depend on the thread count. Texts go longest
 * first to whichever thread is free, so the threads finish together.
 *
 * Idle threads are unref'd: a process that forgets close() still exits. A thread that dies (exits,
 * throws, or fails a forward pass) fails the pending and every later call with a BackendError that
 * names why; the reference has no half-working state.
 */
import { Worker } from 'node:worker_threads';
import { BackendError, describeCause } from '../../errors.js';
import type { BertConfig } from '../../model/bert-config.js';
import type { BertFloat64Options } from './bert-f64.js';
import type { SharedWeights } from './shared-weights.js';

export interface ForwardWorkerData {
  config: BertConfig;
  weights: SharedWeights;
  options: BertFloat64Options;
}

/** One unpadded sequence. */
export interface ForwardJob {
  ids: Int32Array;
  types: Int32Array;
}

export type ForwardReply =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'done'; data: Float64Array }
  | { type: 'error'; message: string };

interface Thread {
  index: number;
  worker: Worker;
  ready: Promise<void>;
  /** The job in flight on this thread. */
  pending: { resolve: (data: Float64Array) => void; reject: (error: Error) => void } | null;
  /** Rejects `ready` while the thread is starting. */
  startFailed: ((error: Error) => void) | null;
}

export class ForwardPool {
  private readonly threads: Thread[] = [];
  private failure: BackendError | null = null;
  private closing = false;

  constructor(
    /** The backend's name, for its errors. */
    private readonly backend: string,
    private readonly script: URL,
    private readonly data: ForwardWorkerData,
  ) {}

  get size(): number {
    return this.threads.length;
  }

  /** Starts threads until there are `count`; resolves once each has built its model. */
  async grow(count: number): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.threads.length < count) this.threads.push(this.start(this.threads.length));
    await Promise.all(this.threads.map((t) => t.ready));
  }

  /** Runs every job; `done(i, data)` receives job i's last_hidden_state [length, hidden] as it arrives. */
  forward(jobs: readonly ForwardJob[], done: (index: number, data: Float64Array) => void): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (jobs.length === 0) return Promise.resolve();
    if (this.threads.length === 0) return Promise.reject(new BackendError(this.backend, 'forward() on a pool with no threads (grow() first)'));
    // Longest first (ties in input order): what is left at the end is short, so no thread waits long for another.
    const order = jobs.map((_, i) => i).sort((a, b) => jobs[b].ids.length - jobs[a].ids.length || a - b);
    return new Promise((resolve, reject) => {
      let next = 0;
      let finished = 0;
      const feed = (thread: Thread): void => {
        if (next >= order.length || this.failure) {
          thread.worker.unref();
          return;
        }
        const i = order[next++];
        thread.worker.ref();
        thread.pending = {
          resolve: (data) => {
            try {
              done(i, data);
            } catch (error) {
              // A bug on this side (an output of the wrong size): the call fails, and so does the pool.
              const failure = new BackendError(this.backend, `cannot place the output of a forward pass: ${describeCause(error)}`, { cause: error });
              reject(failure);
              this.fail(failure);
              return;
            }
            if (++finished === jobs.length) resolve();
            feed(thread);
          },
          reject,
        };
        thread.worker.postMessage(jobs[i]);
      };
      for (const thread of this.threads) feed(thread);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.fail(new BackendError(this.backend, 'closed while a forward pass was running'));
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  private start(index: number): Thread {
    const worker = new Worker(this.script, { workerData: this.data });
    const thread: Thread = { index, worker, ready: Promise.resolve(), pending: null, startFailed: null };
    thread.ready = new Promise<void>((resolve, reject) => {
      thread.startFailed = reject;
      worker.once('message', (reply: ForwardReply) => {
        thread.startFailed = null;
        if (reply.type === 'ready') {
          worker.unref();
          worker.on('message', (r: ForwardReply) => this.reply(thread, r));
          resolve();
        } else {
          const message = reply.type === 'failed' || reply.type === 'error' ? reply.message : `sent ${reply.type} before it was ready`;
          const error = new BackendError(this.backend, `cannot build the float64 BERT on worker thread ${index}: ${message}`);
          reject(error);
          this.fail(error);
        }
      });
    });
    // Keep a rejection handled even if nobody awaits this thread's start (it started in an earlier grow()).
    thread.ready.catch(() => {});
    worker.on('error', (error) => this.fail(new BackendError(this.backend, `worker thread ${index} failed: ${describeCause(error)}`, { cause: error })));
    worker.on('exit', (code) => {
      if (!this.closing) this.fail(new BackendError(this.backend, `worker thread ${index} exited with code ${code}`));
    });
    return thread;
  }

  private reply(thread: Thread, reply: ForwardReply): void {
    const pending = thread.pending;
    if (reply.type === 'done' && pending) {
      thread.pending = null;
      pending.resolve(reply.data);
    } else if (reply.type === 'error') this.fail(new BackendError(this.backend, `forward pass failed on worker thread ${thread.index}: ${reply.message}`));
    else this.fail(new BackendError(this.backend, `worker thread ${thread.index} sent an unexpected ${reply.type}`));
  }

  /** The first failure wins: it rejects whatever is pending and every later call; the threads are stopped. */
  private fail(error: BackendError): void {
    if (this.failure) return;
    this.failure = error;
    for (const thread of this.threads) {
      thread.startFailed?.(error);
      thread.startFailed = null;
      thread.pending?.reject(error);
      thread.pending = null;
    }
    if (!this.closing) {
      this.closing = true;
      for (const thread of this.threads) void thread.worker.terminate();
    }
  }
}
