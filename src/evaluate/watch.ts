/**
 * Reads the watched elements (config/watch.ts) out of the golden and each backend's vectors file.
 */
import type { WatchSpec } from '../config/watch.js';
import { NpyRowReader } from '../npy/npy-reader.js';
import type { WatchedElement } from '../report/watched-element.js';

/**
 * Reads each watched element from the golden and from each backend's vectors file. `ids` are this
 * run's rows in order (a shard's rows when sharded); `goldenRowOf` maps a run row to the golden row.
 */
export function readWatched(
  specs: readonly WatchSpec[],
  ids: readonly string[],
  goldenPath: string,
  goldenRowOf: (row: number) => number,
  vectors: ReadonlyArray<{ name: string; path: string }>,
): WatchedElement[] {
  if (!specs.length) return [];
  const rowOf = new Map<string, number>();
  ids.forEach((id, row) => rowOf.set(id, row));
  const readers = new Map<string, NpyRowReader>();
  const open = (path: string) => {
    let r = readers.get(path);
    if (!r) readers.set(path, (r = new NpyRowReader(path, { chunkRows: 1 })));
    return r;
  };
  try {
    return specs.map((w) => {
      const row = rowOf.get(w.id);
      if (row === undefined) return { id: w.id, dim: w.dim, golden: null, values: {} };
      const golden = open(goldenPath).read(goldenRowOf(row), 1)[w.dim];
      const values: Record<string, number> = {};
      for (const v of vectors) {
        const data = open(v.path).read(row, 1);
        if (w.dim < data.length) values[v.name] = data[w.dim];
      }
      return { id: w.id, dim: w.dim, golden, values };
    });
  } finally {
    for (const r of readers.values()) r.close();
  }
}
