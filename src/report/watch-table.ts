/** The watched elements (config `watch`) as one table for every renderer: a row per source, a column per element. */
import { fmt, precise } from './format.js';
import type { Report } from './report.js';

export interface WatchTable {
  /** "seed-2024 dim 383" per watched element. */
  columns: string[];
  /** First row "golden", then every backend that produced vectors: [name, cells...]. */
  rows: Array<{ name: string; cells: string[] }>;
}

export function watchTable(report: Report): WatchTable | null {
  const watch = report.watch;
  if (!watch?.length) return null;
  const names = report.backends.filter((b) => watch.some((w) => b.name in w.values)).map((b) => b.name);
  const rows = [
    { name: 'golden', cells: watch.map((w) => (w.golden === null ? 'not in this run' : precise(w.golden))) },
    ...names.map((name) => ({
      name,
      cells: watch.map((w) => {
        const v = w.values[name];
        if (v === undefined) return '';
        return w.golden === null ? precise(v) : `${precise(v)} (Δ ${fmt(Math.abs(v - w.golden))})`;
      }),
    })),
  ];
  return { columns: watch.map((w) => `${w.id} dim ${w.dim}`), rows };
}
