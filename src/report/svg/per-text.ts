/** Cosine Δ (1 − cos) per text, worst first, and max |Δ| per embedding dimension. */
import { visibleText } from '../escape.js';
import { compact, fmt, truncate } from '../format.js';
import { bucketMax, worse } from './common.js';
import { logBarChart } from './log-bars.js';

/**
 * More texts than this and each bar of the per-text chart stands for the worst of several (bars
 * stay about 2 px wide: thinner ones blur into moiré). The per-dimension chart is half as wide.
 */
export const MAX_BARS = 550;
const MAX_DIM_BARS = 280;

export interface ChartResult {
  svg: string;
  /** Texts (or dimensions) per bar; 1 when every one has its own bar. */
  perBar: number;
}

/** Indices of values, worst first (NaN first, then descending). */
export function worstFirst(values: ArrayLike<number>): number[] {
  const order = Array.from({ length: values.length }, (_, i) => i);
  return order.sort((a, b) => (worse(values[a], values[b]) ? -1 : worse(values[b], values[a]) ? 1 : a - b));
}

export function cosineChart(
  values: readonly number[],
  ids: readonly string[],
  texts: readonly string[] | undefined,
  cosineTolerance: number | undefined,
  label: string,
): ChartResult {
  const order = worstFirst(values);
  const buckets = bucketMax(values, order, MAX_BARS);
  const perBar = buckets.length ? buckets[0].end - buckets[0].start : 1;
  const describe = (i: number) => {
    const id = ids[i] ?? String(i);
    const t = texts?.[i];
    return t === undefined ? `'${id}'` : `'${id}': ${truncate(visibleText(t), 80)}`;
  };
  const bars = buckets.map((b) => ({
    value: b.value,
    title:
      b.end - b.start === 1
        ? `#${b.start + 1} ${describe(b.index)} — cosine Δ ${fmt(b.value)}`
        : `#${b.start + 1}–${b.end}: worst cosine Δ ${fmt(b.value)} at ${describe(b.index)}`,
  }));
  const xTicks = [{ at: 0, label: '1' }];
  if (buckets.length > 1) xTicks.push({ at: buckets.length - 1, label: String(values.length) });
  const svg = logBarChart({
    kind: 'cosine',
    label,
    bars,
    threshold: cosineTolerance !== undefined ? { value: cosineTolerance, label: `allowed ${compact(cosineTolerance)}` } : undefined,
    xLabel: perBar > 1 ? `texts ranked worst first (each bar: worst of ${perBar})` : 'texts ranked worst first',
    yLabel: '1 − cos',
    xTicks,
    emptyNote: 'every text has cosine Δ ≤ 0: same direction as golden',
    width: 1180,
  });
  return { svg, perBar };
}

export function dimensionChart(values: readonly number[], atol: number, label: string): ChartResult {
  const order = Array.from({ length: values.length }, (_, i) => i);
  const buckets = bucketMax(values, order, MAX_DIM_BARS);
  const perBar = buckets.length ? buckets[0].end - buckets[0].start : 1;
  const bars = buckets.map((b) => ({
    value: b.value,
    title: b.end - b.start === 1 ? `dim ${b.index}: max |Δ| ${fmt(b.value)}` : `dims ${b.start}–${b.end - 1}: max |Δ| ${fmt(b.value)} at dim ${b.index}`,
  }));
  const step = niceStep(values.length);
  const xTicks: { at: number; label: string }[] = [];
  for (let d = 0; d < values.length; d += step) xTicks.push({ at: Math.floor(d / perBar), label: String(d) });
  const svg = logBarChart({
    kind: 'dims',
    label,
    bars,
    threshold: { value: atol, label: `atol ${compact(atol)}` },
    xLabel: perBar > 1 ? `dimension (each bar: max of ${perBar})` : 'dimension',
    yLabel: 'max |Δ|',
    xTicks,
    emptyNote: 'every dimension matches golden exactly',
  });
  return { svg, perBar };
}

/** Tick spacing giving about 4–8 labels: 8, 16, 32, 64 … or 10, 50, 100 … */
function niceStep(count: number): number {
  const target = count / 6;
  const candidates = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];
  return candidates.find((c) => c >= target) ?? Math.ceil(target);
}
