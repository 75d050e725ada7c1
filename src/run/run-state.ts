/**
 * What `parity run --resume` needs to continue an interrupted run: which corpus, golden, shard,
 * block size and backends it was, how many rows are done for all of them, and each backend's state.
 * Written atomically after every block; vectors themselves are in vectors/NAME.npy.partial.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import type { ResolvedEmbedding } from '../model/model-folder.js';

export interface BackendState {
  status: 'running' | 'skipped' | 'error' | 'shape';
  reason?: string;
  environment: Record<string, unknown>;
  openMs: number;
  embedMs: number;
  dim?: number;
}

export interface RunState {
  version: 1;
  corpusSha256: string;
  golden: string;
  shard: string | null;
  blockTexts: number;
  batchSize: number;
  backends: string[];
  /** The run's prompt and truncateDim: vectors made with others cannot continue this run. */
  embedding: ResolvedEmbedding;
  completedRows: number;
  perBackend: Record<string, BackendState>;
}

export const STATE_FILE = 'run-state.json';

export function saveRunState(outDir: string, state: RunState): void {
  writeFileAtomic(join(outDir, STATE_FILE), JSON.stringify(state) + '\n');
}

export function clearRunState(outDir: string): void {
  rmSync(join(outDir, STATE_FILE), { force: true });
}

/** The saved state if it is for the same run; an InputError naming what differs otherwise. */
export function loadRunState(outDir: string, expected: Omit<RunState, 'version' | 'completedRows' | 'perBackend'>): RunState {
  const path = join(outDir, STATE_FILE);
  if (!existsSync(path)) throw new InputError(`nothing to resume in ${outDir}: no ${STATE_FILE} (the run there finished, or never started); run without --resume`);
  let state: RunState;
  try {
    state = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path} is not valid JSON; delete it and run without --resume`, { cause: error });
  }
  const differs = (Object.keys(expected) as (keyof typeof expected)[]).filter((k) => JSON.stringify(state[k]) !== JSON.stringify(expected[k]));
  if (differs.length) {
    throw new InputError(`cannot resume the run in ${outDir}: its ${differs.join(', ')} differ from this command's; run without --resume or with the same options`);
  }
  return state;
}
