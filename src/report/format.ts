/** Number and text formatting shared by every renderer (terminal, HTML, Markdown, JUnit). */
export { fmt, keptPct, pct, spearmanText } from '../numeric/format.js';

/** "289 texts", or "145 of 289 texts (shard 1/2)" for a sharded run. */
export function textsCompared(corpus: { count: number; ids: readonly string[]; shard?: { index: number; count: number } }): string {
  const rows = corpus.ids?.length ?? corpus.count;
  if (corpus.shard) return `${rows.toLocaleString('en-US')} of ${corpus.count.toLocaleString('en-US')} texts (shard ${corpus.shard.index}/${corpus.shard.count})`;
  return `${rows.toLocaleString('en-US')} texts`;
}

/** A tolerance as written in a config: 1e-5, 0.001, 1.3e-6 (no padding zeros). */
export function compact(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'n/a';
  if (!Number.isFinite(x) || x === 0) return String(x);
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e4) return String(Number(x.toPrecision(4)));
  const [mantissa, exponent] = x.toExponential(3).split('e');
  return `${Number(mantissa)}e${Number(exponent)}`;
}

/** An element value with enough digits to see a difference of 1e-7 relative. */
export function precise(x: number): string {
  if (!Number.isFinite(x) || x === 0) return String(x);
  const a = Math.abs(x);
  return a >= 1e-4 && a < 1e6 ? String(Number(x.toPrecision(8))) : x.toExponential(7);
}

export function truncate(s: string, n: number): string {
  const chars = Array.from(s);
  return chars.length <= n ? s : `${chars.slice(0, n - 1).join('')}…`;
}

export function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toPrecision(3))} s`;
}

/** The command line as it could be pasted into a POSIX shell. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Any environment value as one line of text. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) return value.join(', ');
  return JSON.stringify(value);
}
