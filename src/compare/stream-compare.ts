/**
 * Compares two .npy files without loading them: both are read in blocks of rows (positional reads
 * into reused buffers, see npy-reader.ts) and fed through one ComparisonAccumulator, so memory is
 * the per-row results plus two chunks, whatever the files' size. With `workers` > 1, row ranges go
 * to worker threads, each with its own readers and accumulator, merged in row order at the end.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { compiledScript } from '../io/compiled-script.js';
import { InputError } from '../errors.js';
import { NpyRowReader, readNpyInfo, type NpyInfo } from '../npy/npy-reader.js';
import { ComparisonAccumulator, type AccumulatorState } from './accumulator.js';
import type { Comparison } from './metric-types.js';
import { compareMatrices } from './metrics.js';
import type { Tolerance } from './tolerance.js';

export interface StreamCompareOptions {
  /** Rows per read (default 512: 768 KiB per 384-dim float32 file, so that both stay in the L2 cache). */
  chunkRows?: number;
  /** Worker threads (default 1; 'auto': one per core up to 4, fewer for small files). */
  workers?: number | 'auto';
  /** Length of the worst-elements list (default 20, as ComparisonAccumulator). */
  worst?: number;
}

export const DEFAULT_CHUNK_ROWS = 512;
/** Below this many elements a worker's start-up (tens of ms) costs more than it saves. */
const MIN_ELEMENTS_PER_WORKER = 8 * 1024 * 1024;

/** The comparison of the shapes alone: what compareMatrices gives for mismatched shapes (no data read). */
function shapeMismatch(golden: NpyInfo, actual: NpyInfo, tolerance: Pick<Tolerance, 'atol' | 'rtol'>, ids: readonly string[]): Comparison {
  const none = new Float32Array(0);
  return compareMatrices({ rows: golden.rows, dim: golden.dim, data: none }, { rows: actual.rows, dim: actual.dim, data: none }, tolerance, ids);
}

/** Streams rows [firstRow, endRow) of both files through a new accumulator (sizes already checked equal). */
export function accumulateRange(
  goldenPath: string,
  actualPath: string,
  tolerance: Pick<Tolerance, 'atol' | 'rtol'>,
  ids: readonly string[],
  firstRow: number,
  endRow: number,
  options: { chunkRows?: number; worst?: number } = {},
): ComparisonAccumulator {
  const golden = new NpyRowReader(goldenPath, { chunkRows: options.chunkRows ?? DEFAULT_CHUNK_ROWS });
  let actual: NpyRowReader | null = null;
  try {
    actual = new NpyRowReader(actualPath, { chunkRows: golden.chunkRows });
    if (actual.rows !== golden.rows || actual.dim !== golden.dim) throw new Error('accumulateRange: shapes differ');
    const acc = new ComparisonAccumulator(golden.rows, golden.dim, tolerance, ids, { worst: options.worst });
    const step = golden.chunkRows;
    // Float32 rows go straight into the comparator's own buffers when it has some (no copy).
    const staged = golden.info.dtype !== '<f8' && actual.info.dtype !== '<f8' ? acc.inputBuffers(step) : null;
    for (let row = firstRow; row < endRow; row += step) {
      const count = Math.min(step, endRow - row);
      if (staged) {
        golden.readInto(row, count, staged.golden);
        actual.readInto(row, count, staged.actual);
        acc.add(staged.golden, staged.actual, row, count);
      } else {
        acc.add(golden.read(row, count), actual.read(row, count), row, count);
      }
    }
    return acc;
  } finally {
    golden.close();
    actual?.close();
  }
}

/** 'auto': one per core up to 4, fewer for small files; a number is taken as asked (at most one per row). */
function workerCount(requested: StreamCompareOptions['workers'], rows: number, dim: number): number {
  if (requested === 'auto') {
    const bySize = Math.floor((rows * dim) / MIN_ELEMENTS_PER_WORKER);
    return Math.max(1, Math.min(availableParallelism(), 4, bySize));
  }
  return Math.max(1, Math.min(Math.floor(requested ?? 1), rows));
}

/** The compiled worker (see compiledScript); null before a build. */
function workerUrl(): URL | null {
  const path = compiledScript(import.meta.url, 'stream-worker.js');
  return path ? pathToFileURL(path) : null;
}

export interface WorkerRequest {
  goldenPath: string;
  actualPath: string;
  tolerance: { atol: number; rtol: number };
  firstRow: number;
  endRow: number;
  chunkRows?: number;
  worst?: number;
}

export type WorkerReply = { ok: true; state: AccumulatorState } | { ok: false; error: { name: string; message: string } };

function runWorker(url: URL, request: WorkerRequest): Promise<AccumulatorState> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: request });
    let settled = false;
    worker.once('message', (reply: WorkerReply) => {
      settled = true;
      if (reply.ok) resolve(reply.state);
      else reject(reply.error.name === 'InputError' ? new InputError(reply.error.message) : new Error(`compare worker: ${reply.error.message}`));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`compare worker exited with code ${code} before replying`));
    });
  });
}

/**
 * Compares GOLDEN and ACTUAL .npy files in one streaming pass. A shape mismatch is decided from the
 * headers alone and gives the same result as compareMatrices; truncated or unreadable files throw
 * InputError.
 */
export async function compareNpyFiles(
  goldenPath: string,
  actualPath: string,
  tolerance: Pick<Tolerance, 'atol' | 'rtol'>,
  ids: readonly string[] = [],
  options: StreamCompareOptions = {},
): Promise<Comparison> {
  const golden = readNpyInfo(goldenPath);
  const actual = readNpyInfo(actualPath);
  if (golden.rows !== actual.rows || golden.dim !== actual.dim) return shapeMismatch(golden, actual, tolerance, ids);
  const { rows, dim } = golden;
  const workers = workerCount(options.workers, rows, dim);
  const url = workers > 1 ? workerUrl() : null;
  if (!url) return accumulateRange(goldenPath, actualPath, tolerance, ids, 0, rows, options).result();

  // Row ranges in order; the first runs here, the others in workers, all at once.
  const bounds = Array.from({ length: workers + 1 }, (_, i) => Math.round((rows * i) / workers));
  const plain = { atol: tolerance.atol, rtol: tolerance.rtol };
  const pending = bounds.slice(1, -1).map((first, i) =>
    runWorker(url, { goldenPath, actualPath, tolerance: plain, firstRow: first, endRow: bounds[i + 2], chunkRows: options.chunkRows, worst: options.worst }),
  );
  // Keep every rejection handled even if this thread's own range throws first.
  const settled = Promise.allSettled(pending);
  let acc: ComparisonAccumulator;
  try {
    acc = accumulateRange(goldenPath, actualPath, tolerance, ids, 0, bounds[1], options);
  } finally {
    await settled;
  }
  for (const outcome of await settled) {
    if (outcome.status === 'rejected') throw outcome.reason;
    acc.merge(ComparisonAccumulator.fromState(outcome.value, tolerance, ids));
  }
  return acc.result();
}
