/** Which rows to look at first: the `n` with the largest max abs error (NaN first: it is the worst), zeros left out. */
export function worstRows(rowMaxAbs: ArrayLike<number>, n: number): number[] {
  const key = (r: number) => (Number.isNaN(rowMaxAbs[r]) ? Infinity : rowMaxAbs[r]);
  return Array.from({ length: rowMaxAbs.length }, (_, r) => r)
    .filter((r) => key(r) > 0)
    .sort((a, b) => key(b) - key(a) || a - b)
    .slice(0, n);
}
