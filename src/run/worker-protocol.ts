/** Messages between `parity run` and a backend worker process (structured-clone IPC). */
import type { BackendConfig } from '../config/config.js';
import type { Timing } from './embed-with-backend.js';

export type ToWorker =
  | { type: 'embed'; spec: BackendConfig; texts: readonly string[]; batchSize: number }
  | { type: 'exit' };

export type FromWorker =
  | { type: 'ready' }
  | {
      type: 'result';
      name: string;
      status: 'ok';
      rows: number;
      dim: number;
      data: Float32Array | Float64Array;
      environment: Record<string, unknown>;
      timing: Timing;
    }
  | { type: 'result'; name: string; status: 'skipped' | 'error'; reason: string; detail?: string; environment: Record<string, unknown> };
