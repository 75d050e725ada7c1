/**
 * Batch invariance per sampled text: max |batched − alone| (log axis), the texts ordered by length,
 * shortest first, so padding that leaks shows up as error that depends on how much padding a text got.
 */
import { visibleText } from '../escape.js';
import { compact, fmt, truncate } from '../format.js';
import { logBarChart } from './log-bars.js';

export interface BatchText {
  id: string;
  maxAbs: number;
  cosineDelta: number;
  length?: number;
  /** The text itself, for the hover title; absent when the report has no texts. */
  text?: string;
}

/** At most this many length labels under the axis. */
const MAX_TICKS = 7;

export function batchInvarianceChart(
  texts: readonly BatchText[],
  options: { unit: 'tokens' | 'characters'; longest: { id: string; length: number }; limit?: number; label: string },
): string {
  const order = texts
    .map((t, k) => ({ t, k }))
    .sort((a, b) => (a.t.length ?? 0) - (b.t.length ?? 0) || a.k - b.k)
    .map(({ t }) => t);
  const unit = options.unit === 'characters' ? 'chars' : 'tokens';
  const bars = order.map((t) => {
    const len = t.length === undefined ? '' : ` · ${t.length} ${unit}`;
    const diff = Number(t.maxAbs) === 0 ? 'no difference' : `max |batched − alone| ${fmt(Number(t.maxAbs))}, cosine Δ ${fmt(Number(t.cosineDelta))}`;
    const shown = t.text === undefined ? '' : `: ${truncate(visibleText(t.text), 80)}`;
    return { value: Number(t.maxAbs), title: `'${t.id}'${len}${shown} — ${diff}` };
  });
  const xTicks: { at: number; label: string }[] = [];
  const count = order.length;
  const step = Math.max(1, Math.ceil((count - 1) / (MAX_TICKS - 1)));
  for (let k = 0; k < count; k += step) xTicks.push({ at: k, label: String(order[k].length ?? '?') });
  if (count > 1 && xTicks[xTicks.length - 1].at !== count - 1) {
    // Keep the last (longest) label; drop the one before it if the two would touch.
    if (count - 1 - xTicks[xTicks.length - 1].at < step / 2) xTicks.pop();
    xTicks.push({ at: count - 1, label: String(order[count - 1].length ?? '?') });
  }
  return logBarChart({
    kind: 'batch-invariance',
    label: options.label,
    bars,
    threshold: options.limit !== undefined ? { value: options.limit, label: `limit ${compact(options.limit)}` } : undefined,
    xLabel: `sampled texts by length (${unit}), shortest first`,
    yLabel: '|batched − alone|',
    xTicks,
    emptyNote: 'every sampled text is bit-identical alone and padded',
    minDecades: 3,
    floorHeight: 3,
  });
}
