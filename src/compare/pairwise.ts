/** Max |a - b| between every pair of vector sets: shows which backends agree with each other, not only with golden. */
import type { Matrix } from '../numeric/matrix.js';
import { maxAbsDiff } from './max-abs-diff.js';

/**
 * Accumulates the symmetric max-abs matrix block by block (compare/max-abs-diff.ts: NaN where a
 * pair has a NaN on either side, and it stays NaN over later blocks).
 */
export class PairwiseMaxAbs {
  private readonly maxAbs: number[][];

  constructor(readonly names: readonly string[]) {
    this.maxAbs = names.map(() => new Array<number>(names.length).fill(0));
  }

  /** One block of rows for some of the names (same rows for all of them). */
  add(block: ReadonlyMap<string, Matrix>): void {
    const n = this.names.length;
    for (let i = 0; i < n; i++) {
      const a = block.get(this.names[i]);
      if (!a) continue;
      for (let j = i + 1; j < n; j++) {
        const b = block.get(this.names[j]);
        if (!b || a.dim !== b.dim || a.rows !== b.rows) continue;
        if (Number.isNaN(this.maxAbs[i][j])) continue; // already as bad as it gets
        this.maxAbs[i][j] = this.maxAbs[j][i] = Math.max(this.maxAbs[i][j], maxAbsDiff(a.data, b.data));
      }
    }
  }

  /** The matrix restricted to `keep` (those that produced every block). */
  result(keep: readonly string[] = this.names): { names: string[]; maxAbs: number[][] } {
    const idx = keep.map((name) => this.names.indexOf(name));
    return { names: [...keep], maxAbs: idx.map((i) => idx.map((j) => this.maxAbs[i][j])) };
  }
}

export function pairwiseMaxAbs(sets: readonly { name: string; vectors: Matrix }[]): { names: string[]; maxAbs: number[][] } {
  const acc = new PairwiseMaxAbs(sets.map((s) => s.name));
  acc.add(new Map(sets.map((s) => [s.name, s.vectors])));
  return acc.result();
}
