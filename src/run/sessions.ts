/**
 * Where backend sessions run, for every command that embeds with several backends (`parity run`,
 * `parity sweep`): in worker processes (isolated.ts) unless the config says `"isolation": "none"`,
 * so a native crash, an out-of-memory kill or a hang loses one backend, not the whole command.
 */
import type { BackendConfig } from '../config/config.js';
import type { ModelContexts } from '../tokenize/model-context.js';
import { InProcessSession } from './in-process.js';
import { WorkerPool, workerScript } from './isolated.js';
import type { BackendSession } from './session.js';

export type Isolation = 'process' | 'none';

export interface SessionFactory {
  /**
   * `batchSize` overrides the factory's own for this one backend (the sweep embeds its trusted texts one
   * at a time); `threads` is the CPU threads it gets where its config does not say (BackendContext.threads).
   */
  session(spec: BackendConfig, batchSize?: number, threads?: number): BackendSession;
  /** How the sessions really run: "none" also when "process" was asked for but there is no compiled worker. */
  readonly isolation: Isolation;
  /** Ends the worker processes; sessions must be closed first. */
  close(): Promise<void>;
}

/**
 * Worker processes for "process", else this process. Without a build there is no compiled worker to
 * fork (tests run from TypeScript sources): the backends then run here, and `warnings` says so, so a
 * report never claims an isolation it did not have.
 */
export function openSessions(isolation: Isolation, contexts: ModelContexts, batchSize: number, warnings: string[]): SessionFactory {
  const script = isolation === 'process' ? workerScript() : null;
  if (script) {
    const pool = new WorkerPool(script);
    return { session: (spec, size = batchSize, threads) => pool.session(spec, size, threads), isolation: 'process', close: () => pool.close() };
  }
  if (isolation === 'process') warnings.push('backends ran in-process: the compiled worker (dist/run/backend-worker.js) is missing; run `npm run build`');
  return { session: (spec, size = batchSize, threads) => InProcessSession.fromSpec(spec, size, contexts, threads), isolation: 'none', close: async () => undefined };
}
