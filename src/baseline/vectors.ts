/**
 * The vectors of two runs of the same backend, read from their report folders and compared element
 * by element (compare/moved.ts), rows paired by text id so a corpus that gained or lost texts still
 * compares the texts both runs have. Streams both files a block at a time.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MoveAccumulator } from '../compare/moved.js';
import { NpyRowReader } from '../npy/npy-reader.js';
import type { BackendReport, Report } from '../report/report.js';
import type { MovesOutcome } from './diff.js';

const BLOCK = 1024;

export interface RunOnDisk {
  report: Report;
  /** The folder report.json is in: `vectors` paths are relative to it. */
  dir: string;
}

/** For every backend both runs kept vectors of: how far they moved; otherwise why they were not compared. */
export function vectorMoves(before: RunOnDisk, after: RunOnDisk): Map<string, MovesOutcome> {
  const old = new Map(before.report.backends.map((b) => [b.name, b]));
  const out = new Map<string, MovesOutcome>();
  for (const b of after.report.backends) {
    const a = old.get(b.name);
    if (!a || !b.vectors) continue;
    out.set(b.name, movesOf(a, before, b, after));
  }
  return out;
}

function movesOf(a: BackendReport, before: RunOnDisk, b: BackendReport, after: RunOnDisk): MovesOutcome {
  if (!a.vectors) return { notCompared: `the baseline run has no vectors for it (${a.status})` };
  const beforePath = join(before.dir, a.vectors);
  if (!existsSync(beforePath)) return { notCompared: `the baseline's ${a.vectors} is not beside its report.json (keep the vectors/ folder with it)` };
  const x = new NpyRowReader(beforePath, { chunkRows: BLOCK });
  const y = new NpyRowReader(join(after.dir, b.vectors!), { chunkRows: BLOCK });
  try {
    if (x.dim !== y.dim) return { notCompared: `its vectors have ${y.dim} dimensions, the baseline's ${x.dim}` };
    const beforeIds = before.report.corpus.ids;
    const afterIds = after.report.corpus.ids;
    if (x.rows !== beforeIds.length || y.rows !== afterIds.length) return { notCompared: 'a vectors file does not hold one row per text of its report' };
    const rowOf = new Map(beforeIds.map((id, r) => [id, r]));
    const acc = new MoveAccumulator(y.dim);
    const dim = y.dim;
    const old = new Float64Array(BLOCK * dim);
    for (let start = 0; start < afterIds.length; start += BLOCK) {
      const n = Math.min(BLOCK, afterIds.length - start);
      const rows: number[] = [];
      const ids: string[] = [];
      for (let k = 0; k < n; k++) {
        const r = rowOf.get(afterIds[start + k]);
        if (r !== undefined) rows.push(start + k), ids.push(afterIds[start + k]);
      }
      if (!ids.length) continue;
      // Baseline rows in runs of consecutive rows (one read each when both runs hold the same texts).
      for (let k = 0; k < ids.length; ) {
        const first = rowOf.get(ids[k])!;
        let run = 1;
        while (k + run < ids.length && rowOf.get(ids[k + run]) === first + run) run++;
        old.set(x.read(first, run), k * dim);
        k += run;
      }
      const current = new Float64Array(ids.length * dim);
      for (let k = 0; k < ids.length; ) {
        let run = 1;
        while (k + run < ids.length && rows[k + run] === rows[k] + run) run++;
        current.set(y.read(rows[k], run), k * dim);
        k += run;
      }
      acc.add(old.subarray(0, ids.length * dim), current, ids);
    }
    return acc.result();
  } finally {
    x.close();
    y.close();
  }
}
