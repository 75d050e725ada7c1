/**
 * The histogram of |a - g| that reports draw: log10 bins, HISTOGRAM_BINS_PER_DECADE per decade from
 * 1e-12 to 1e2; bin 0 holds exact zeros, the last bin non-finite pairs. `histogramBin` is the
 * definition; the kernels bin through the tables below, which agree with it exactly.
 */

export const HISTOGRAM_MIN_LOG10 = -12;
export const HISTOGRAM_BINS_PER_DECADE = 4;
export const HISTOGRAM_DECADES = 14; // 1e-12 .. 1e2
export const HISTOGRAM_SIZE = 2 + HISTOGRAM_DECADES * HISTOGRAM_BINS_PER_DECADE + 1;

/** The histogram bin of |a-g| by definition (one log10); the kernel uses the equivalent tables below. */
export function histogramBin(diff: number): number {
  if (diff === 0) return 0;
  const k = Math.floor((Math.log10(diff) - HISTOGRAM_MIN_LOG10) * HISTOGRAM_BINS_PER_DECADE);
  return 1 + Math.min(Math.max(k, 0), HISTOGRAM_DECADES * HISTOGRAM_BINS_PER_DECADE);
}

/*
 * Exact histogram binning without a logarithm. HIST_START[b] is the smallest double whose
 * histogramBin is >= b, found by bisection over doubles against histogramBin itself, so the two
 * agree exactly. A "cell" is the set of doubles sharing sign, exponent and top 6 mantissa bits
 * (1.6% wide; a bin is 78% wide, so at most one bin starts inside a cell): HIST_CELLS[cell] is the
 * bin of the cell's smallest value, and x's bin is that or the next: b + (x >= HIST_START[b + 1]).
 */
const LAST_BIN = HISTOGRAM_SIZE - 2;
export const CELL_SHIFT = 14;
/** Index of the 32-bit half of a float64 that holds sign and exponent. */
export const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
export const HIST_START = histogramStarts();
export const HIST_CELLS = histogramCells();

function histogramStarts(): Float64Array {
  const starts = new Float64Array(LAST_BIN + 2);
  starts[1] = Number.MIN_VALUE;
  for (let b = 2; b <= LAST_BIN; b++) {
    const edge = 10 ** (HISTOGRAM_MIN_LOG10 + (b - 1) / HISTOGRAM_BINS_PER_DECADE);
    let lo = edge * 0.999; // histogramBin(lo) < b
    let hi = edge * 1.001; // histogramBin(hi) >= b
    for (;;) {
      const mid = lo + (hi - lo) / 2;
      if (mid === lo || mid === hi) break;
      if (histogramBin(mid) >= b) hi = mid;
      else lo = mid;
    }
    starts[b] = hi;
  }
  starts[LAST_BIN + 1] = Infinity;
  return starts;
}

/** One entry per cell of the non-negative doubles (128 KiB), in one sweep. */
function histogramCells(): Uint8Array {
  const cells = new Uint8Array(2 ** (31 - CELL_SHIFT));
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  let b = 0;
  for (let c = 0; c < cells.length; c++) {
    u[HI] = c << CELL_SHIFT;
    u[1 - HI] = 0;
    const lo = f[0];
    if (!(lo <= Infinity)) {
      cells[c] = LAST_BIN; // NaN cells: never looked up
      continue;
    }
    while (b < LAST_BIN && lo >= HIST_START[b + 1]) b++;
    cells[c] = b;
  }
  return cells;
}
