/**
 * `run` attaches "where it starts" to a failing backend: its worst texts bisected layer by layer
 * against the run's float64 side (the `reference` backend, else a PyTorch float64 one), naming the
 * first layer and op that diverge. Only where both sides can show their intermediate tensors
 * (bisect/layer-sources.ts), for a few texts, and within a time bound: a why that costs minutes is
 * left to `parity bisect`.
 */
import type { BackendConfig } from '../config/config.js';
import { describeCause } from '../errors.js';
import { bisectLayers } from '../bisect/layers.js';
import { LAYER_RUNTIMES } from '../bisect/layer-sources.js';
import type { BackendReport } from '../report/report.js';
import type { TextTokenizer } from '../tokenize/types.js';
import { fmt } from '../numeric/format.js';

/** Texts bisected per failing backend (its worst, by element error). */
export const WHERE_TEXTS = 2;
/** Failing backends looked into per run. */
export const WHERE_MAX_BACKENDS = 3;
/** Texts longer than this are left out (the float64 side is a plain CPU pass). */
export const WHERE_MAX_TOKENS = 256;

/** report.json's `whereItStarts` (its shape is the report's, defined once in report/report.ts). */
export type WhereItStarts = NonNullable<BackendReport['whereItStarts']>;

const lookable = (b: Pick<BackendConfig, 'runtime'>) => (LAYER_RUNTIMES as readonly string[]).includes(b.runtime);

/** The run's float64 side: the reference runtime, else a PyTorch float64 backend. */
export function trustedSide(specs: readonly BackendConfig[]): BackendConfig | null {
  return specs.find((s) => s.runtime === 'reference') ?? specs.find((s) => s.runtime === 'sentence-transformers' && s.precision === 'fp64') ?? null;
}

/** A report entry where it starts is looked for (when its runtime allows): failed, expected or not, with elements beyond tolerance. */
export function wantsWhereItStarts(r: BackendReport): boolean {
  return (r.status === 'fail' || r.status === 'xfail') && Boolean(r.details && r.metrics?.mismatches);
}

/**
 * The backends as a run holds them: every configured one, since the float64 side may not have been
 * selected (--backend), and the selected ones as the run selected them (a --atol/--rtol override included).
 */
export function heldSpecs(configured: readonly BackendConfig[], selected: readonly BackendConfig[]): BackendConfig[] {
  return configured.map((b) => selected.find((s) => s.name === b.name) ?? b);
}

/**
 * Adds `whereItStarts` (and a diagnosis line saying it) to failing backends that can be looked into.
 * Failures to look are warnings, never a change of status.
 */
export async function attachWhereItStarts(
  reports: BackendReport[],
  specs: readonly BackendConfig[],
  texts: readonly string[],
  ids: readonly string[],
  tokenizer: TextTokenizer | null,
  layers: number | undefined,
  warnings: string[],
): Promise<void> {
  const trusted = trustedSide(specs);
  if (!trusted || !tokenizer || !Number.isInteger(layers)) return;
  const failing = reports.filter((r) => wantsWhereItStarts(r) && r.name !== trusted.name);
  for (const report of failing.slice(0, WHERE_MAX_BACKENDS)) {
    const spec = specs.find((s) => s.name === report.name);
    if (!spec || !lookable(spec)) continue;
    const rows = [...new Set(report.details!.worst.map((w) => w.row))]
      .filter((r) => r < texts.length && tokenizer.encode(texts[r]).ids.length <= WHERE_MAX_TOKENS)
      .slice(0, WHERE_TEXTS);
    if (!rows.length) continue;
    try {
      const sequences = rows.map((r) => {
        const e = tokenizer.encode(texts[r]);
        return { ids: e.ids, typeIds: e.typeIds };
      });
      const r = await bisectLayers({ backendA: spec, backendB: trusted, sequences, layers: layers! });
      const d = r.firstDivergent;
      const where: WhereItStarts = {
        against: trusted.name,
        texts: rows.map((k) => ids[k]),
        path: d?.path ?? null,
        layer: d?.layer ?? null,
        op: d?.op ?? null,
        maxAbs: d?.maxAbs ?? null,
        relative: d?.relative ?? null,
        growth: r.growth.text,
      };
      report.whereItStarts = where;
      const at = d ? `${d.layer === null ? 'the embeddings' : `layer ${d.layer}`}, ${d.op} (${d.path}): relative error ${fmt(d.relative)} there` : 'no layer beyond tolerance (the difference enters after the encoder: pooling or normalization)';
      report.diagnosis = [
        ...(report.diagnosis ?? []),
        `where it starts: ${at}; through the network the error ${r.growth.text} [bisected against ${trusted.name} on ${where.texts.map((t) => `'${t}'`).join(', ')}]`,
      ];
    } catch (error) {
      warnings.push(`${report.name}: where it starts not found: ${describeCause(error)}`);
    }
  }
}
