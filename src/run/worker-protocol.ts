/** Messages between `parity run` and a backend worker process (structured-clone IPC). */
import type { BackendConfig } from '../config/config.js';
import type { OpenResult } from './session.js';

export type ToWorker =
  | { type: 'open'; id: number; spec: BackendConfig; batchSize: number; threads?: number }
  | { type: 'embed'; id: number; name: string; texts: readonly string[]; rows?: readonly number[] }
  | { type: 'environment'; id: number; name: string }
  | { type: 'close'; id: number; name: string }
  | { type: 'exit' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'opened'; id: number; result: OpenResult }
  | { type: 'embedded'; id: number; rows: number; dim: number; data: Float32Array | Float64Array }
  | { type: 'environment'; id: number; environment: Record<string, unknown> }
  | { type: 'closed'; id: number }
  | { type: 'failed'; id: number; reason: string; detail?: string };

/** A request before the pool numbers it. */
export type WorkerRequest = Exclude<ToWorker, { type: 'exit' }> extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;
