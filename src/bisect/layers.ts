/**
 * `parity bisect` across frameworks: PyTorch, ONNX Runtime and the float64 reference compared
 * layer by layer on the same token ids (the harness tokenizer's), each text run alone and unpadded.
 * See layer-sources.ts for how each framework shows its tensors and layer-compare.ts for the rules.
 */
import type { BackendConfig } from '../config/config.js';
import { loadConfig, selectBackends } from '../config/config.js';
import { bisectTolerance } from './bisect.js';
import { loadCorpus } from '../corpus/corpus.js';
import { InputError } from '../errors.js';
import { ModelContexts } from '../tokenize/model-context.js';
import { bertPoints, compareLayers, type BisectTolerance, type LayerBisect, type Point } from './layer-compare.js';
import { layerSource, LAYER_RUNTIMES, type LayerSource, type Sequence } from './layer-sources.js';

export interface LayerBisectSide {
  name: string;
  framework: LayerSource['framework'];
  ran: string;
}

export interface LayerBisectResult extends LayerBisect {
  kind: 'layers';
  a: LayerBisectSide;
  b: LayerBisectSide;
  tolerance: BisectTolerance;
  texts: number;
  lengths: number[];
  /** The first layer boundary (embeddings, attention output, layer output) that diverges. */
  firstBoundary: LayerBisect['firstDivergent'];
}

export interface LayerBisectOptions {
  backendA: BackendConfig;
  backendB: BackendConfig;
  sequences: readonly Sequence[];
  layers: number;
  tolerance?: Partial<BisectTolerance>;
}

/** Both sides run on the same sequences and compared at every point of a BERT-style encoder. */
export async function bisectLayers(options: LayerBisectOptions): Promise<LayerBisectResult> {
  const { backendA, backendB, sequences } = options;
  if (sequences.length === 0) throw new InputError('bisect needs at least one text');
  const tolerance = bisectTolerance(backendA, options.tolerance);
  const points: Point[] = bertPoints(options.layers);
  const paths = points.map((p) => p.path);
  const sa = layerSource(backendA);
  const sb = layerSource(backendB);
  const ta = await sa.run(sequences, paths);
  const tb = await sb.run(sequences, paths);
  const compared = compareLayers(points, ta, tb, tolerance);
  if (!compared.points.some((p) => p.total > 0)) {
    throw new InputError(`bisect: no point of ${sa.name} pairs with one of ${sb.name} (looked for ${points[0].path}, ${points[1]?.path ?? ''}, … by module path / torch.onnx scope); the model's node or module names do not follow transformers' BertModel`);
  }
  return {
    kind: 'layers',
    a: { name: sa.name, framework: sa.framework, ran: sa.describe() },
    b: { name: sb.name, framework: sb.framework, ran: sb.describe() },
    tolerance,
    texts: sequences.length,
    lengths: sequences.map((s) => s.ids.length),
    ...compared,
    firstBoundary: compared.points.find((p) => p.boundary && p.exceeds) ?? null,
  };
}

/** Whether two config backends are bisected across frameworks (anything but two ONNX graphs). */
export function isCrossFramework(a: BackendConfig, b: BackendConfig): boolean {
  return !(a.runtime === 'onnxruntime-node' && b.runtime === 'onnxruntime-node');
}

export interface RunLayerBisectOptions {
  config: string;
  backendA: string;
  backendB: string;
  corpus?: string;
  texts?: number;
  tolerance?: Partial<BisectTolerance>;
}

/** Default texts (spread over the corpus's lengths): each runs alone, through PyTorch and the reference too. */
export const LAYER_BISECT_DEFAULT_TEXTS = 4;

export async function runLayerBisect(options: RunLayerBisectOptions): Promise<LayerBisectResult> {
  const config = loadConfig(options.config);
  const [a, b] = selectBackends(config, [options.backendA, options.backendB]);
  if (!b) throw new InputError(`bisect needs two different backends (got "${options.backendA}" twice)`);
  for (const s of [a, b]) {
    if (!(LAYER_RUNTIMES as readonly string[]).includes(s.runtime)) {
      throw new InputError(`backend "${s.name}" (runtime ${s.runtime}): bisect can look inside ${LAYER_RUNTIMES.join(', ')} only; pick one of those with --backend/--against`);
    }
  }
  const corpus = loadCorpus(options.corpus ?? config.corpus);
  const count = options.texts ?? LAYER_BISECT_DEFAULT_TEXTS;
  if (!Number.isInteger(count) || count < 1) throw new InputError(`--texts must be a positive integer, got ${count}`);
  const { tokenizer, model } = await new ModelContexts().get(a.modelDir);
  const layers = model.config.num_hidden_layers;
  if (!Number.isInteger(layers)) throw new InputError(`${a.modelDir}/config.json has no num_hidden_layers: bisect across frameworks pairs BERT-style layers`);
  // Texts spread over the corpus's lengths (its quantiles up to the longest), so that a difference
  // that only long sequences show is not missed by a handful of short first texts.
  const encoded = corpus.texts.map((t) => tokenizer.encode(t));
  const byLength = encoded.map((e, i) => i).sort((x, y) => encoded[x].ids.length - encoded[y].ids.length || x - y);
  const picked = [...new Set(Array.from({ length: Math.min(count, byLength.length) }, (_, k) => byLength[Math.round(((k + 1) / Math.min(count, byLength.length)) * (byLength.length - 1))]))];
  const sequences = picked.map((i) => ({ ids: encoded[i].ids, typeIds: encoded[i].typeIds }));
  return bisectLayers({ backendA: a, backendB: b, sequences, layers, tolerance: options.tolerance });
}
