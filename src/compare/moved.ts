/**
 * How far one run's vectors moved from another run's of the same backend: elements whose value
 * changed at all (bit-level: rounding noise counts, that is the point of a baseline), and the
 * largest change. Fed block by block so two vector files of any size stream through.
 */

export interface Moves {
  /** Elements compared (rows in both runs × dim). */
  compared: number;
  /** Elements whose value differs (NaN equals NaN; +0 and −0 count as equal). */
  moved: number;
  /** Largest |after − before| over finite pairs; Infinity when a value turned non-finite or back. */
  maxMove: number;
  /** Where the largest move is: the row's text id and the dimension; null when nothing moved. */
  maxMoveAt: { id: string; dim: number; before: number; after: number } | null;
}

export class MoveAccumulator {
  private compared = 0;
  private moved = 0;
  private maxMove = 0;
  private maxMoveAt: Moves['maxMoveAt'] = null;

  constructor(private readonly dim: number) {}

  /** `before` and `after` hold the same rows (`ids`, row-major, `dim` values each). */
  add(before: ArrayLike<number>, after: ArrayLike<number>, ids: readonly string[]): void {
    const dim = this.dim;
    for (let r = 0; r < ids.length; r++) {
      const base = r * dim;
      for (let d = 0; d < dim; d++) {
        const a = before[base + d];
        const b = after[base + d];
        if (a === b || (a !== a && b !== b)) continue;
        this.moved++;
        const move = Number.isFinite(a) && Number.isFinite(b) ? Math.abs(b - a) : Infinity;
        if (move > this.maxMove || this.maxMoveAt === null) {
          this.maxMove = move;
          this.maxMoveAt = { id: ids[r], dim: d, before: a, after: b };
        }
      }
    }
    this.compared += ids.length * dim;
  }

  result(): Moves {
    return { compared: this.compared, moved: this.moved, maxMove: this.maxMove, maxMoveAt: this.maxMoveAt };
  }
}
