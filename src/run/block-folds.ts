/**
 * The corpus blocks of `parity run` while several backends embed them at once (lanes.ts): each
 * backend embeds block b and arrives; when every backend has arrived, the block is folded (the
 * pairwise matrix, the progress line, the saved run state) and block b+1 may start. A backend that
 * stopped (error, wrong shape) still arrives, with no vectors.
 *
 * Folding in order keeps the run state a prefix of finished blocks (what --resume needs), and waiting
 * for the fold bounds memory: at most two blocks of vectors are held, whatever the corpus size.
 */
import type { Matrix } from '../numeric/matrix.js';

export interface Block {
  start: number;
  end: number;
  /** The golden's rows of this block. */
  gold: Matrix;
}

export class BlockFolds {
  readonly count: number;
  private readonly golds = new Map<number, Matrix>();
  private readonly outputs = new Map<number, Map<string, Matrix>>();
  private readonly arrived: number[];
  private readonly folded: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void }[];

  /**
   * @param from first row still to embed; blocks are [from + k·size, …) up to `total`
   * @param backends how many backends arrive at every block
   * @param readGolden the golden's rows [start, end)
   * @param fold called once per block, in order, with the golden ("golden") and every backend's vectors
   */
  constructor(
    private readonly from: number,
    private readonly total: number,
    private readonly size: number,
    private readonly backends: number,
    private readonly readGolden: (start: number, end: number) => Matrix,
    private readonly fold: (start: number, end: number, vectors: Map<string, Matrix>) => void,
  ) {
    this.count = Math.max(0, Math.ceil((total - from) / size));
    this.arrived = new Array(this.count).fill(0);
    this.folded = Array.from({ length: this.count }, () => {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined);
      return { promise, resolve, reject };
    });
  }

  /** Resolves when block b may be embedded: block b-1 is folded. */
  ready(b: number): Promise<void> {
    return b === 0 ? Promise.resolve() : this.folded[b - 1].promise;
  }

  /** Block b's rows and golden (read once, held until the block is folded). */
  block(b: number): Block {
    const start = this.from + b * this.size;
    const end = Math.min(start + this.size, this.total);
    let gold = this.golds.get(b);
    if (!gold) {
      gold = this.readGolden(start, end);
      this.golds.set(b, gold);
    }
    return { start, end, gold };
  }

  /** One backend is done with block b (vectors null: it produced none). The last one folds the block. */
  arrive(b: number, name: string, vectors: Matrix | null): void {
    let out = this.outputs.get(b);
    if (!out) this.outputs.set(b, (out = new Map()));
    if (vectors) out.set(name, vectors);
    if (++this.arrived[b] < this.backends) return;
    const { start, end, gold } = this.block(b);
    const all = new Map<string, Matrix>([['golden', gold], ...out]);
    this.golds.delete(b);
    this.outputs.delete(b);
    try {
      this.fold(start, end, all);
      this.folded[b].resolve();
    } catch (error) {
      this.abort(error);
      throw error;
    }
  }

  /** A backend's lane failed: no later block will be folded; every backend waiting for one stops. */
  abort(error: unknown): void {
    for (const f of this.folded) f.reject(error);
  }
}
