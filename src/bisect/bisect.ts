/**
 * Layer-wise bisection of two ONNX models (e.g. cpu-fp16 vs cpu-fp32): both graphs are rewritten so
 * every node output is a graph output (onnx-graph.ts), run with onnxruntime-node on the same padded
 * batch (the harness tokenizer + padBatch, exactly what the backends run), and every intermediate
 * tensor of A is compared with its counterpart in B in A's topological order. The first node whose
 * output exceeds the tolerance is where A departs from B: everything before it agrees.
 *
 * - Roles: A is the backend under suspicion, B the reference; an element of A mismatches when
 *   |a - b| > atol + rtol·|b|, with A's configured tolerance unless one is given.
 * - Optimization: sessions use graphOptimizationLevel 'disabled' by default. At 'all' ONNX Runtime
 *   fuses ops (LayerNorm, Gelu, Attention, MatMul+Add...), and although marked outputs block fusing
 *   across them, the optimized graph no longer runs the kernels the model file names. Only required
 *   transformations run at 'disabled' (e.g. the Casts inserted around fp16 ops without a CPU kernel).
 * - Mapping A's outputs to B's: by output name when at least half of A's non-Cast outputs exist in B
 *   (torch.onnx exports and onnxconverter-common's fp16 conversion keep names; the fixture's graphs
 *   share every name). Otherwise by position: the k-th non-Cast node of each op type (domain:opType)
 *   in A's topological order pairs with the k-th of that type in B, outputs by index; Cast nodes
 *   are skipped because fp16 conversion inserts them. A conversion that adds or fuses non-Cast
 *   nodes shifts positional pairs after that point; names are preferred for that reason.
 * - Padding: elements at padded token positions are not compared (tensor-compare.ts). The batch and
 *   sequence axes of each output are found generally, not from names: A is run once more on a probe
 *   batch with one more row and one fewer column; an axis that grows with the batch is the batch
 *   axis, one that shrinks with the padded length a sequence axis (attention scores have two).
 *   Outputs without such axes (shapes, [batch·seq, hidden] after a Reshape) are compared whole.
 * - Memory: outputs are fetched `outputsPerRun` at a time (default 64): each chunk is one run of A,
 *   B and the probe, compared and dropped.
 */
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import type { BackendSpec } from '../backends/backend.js';
import { parseOrtNodeOptions } from '../backends/onnxruntime-node/runner.js';
import { DEFAULT_TOLERANCE, type Tolerance } from '../compare/tolerance.js';
import { loadConfig, selectBackends } from '../config/config.js';
import { loadCorpus } from '../corpus/corpus.js';
import { padBatch, type PaddedBatch } from '../embed/batches.js';
import { modelFeeds, type GraphOptimizationLevel } from '../backends/ort-io.js';
import { BackendError, describeCause, InputError } from '../errors.js';
import { displayPath } from '../io/display-path.js';
import { ModelContexts } from '../tokenize/model-context.js';
import type { TextTokenizer } from '../tokenize/types.js';
import { decodeModel, graphInfo, markAllOutputsInModel, type GraphInfo, type GraphNode } from '../onnx/onnx-graph.js';
import { compareTensorValues, findPaddingAxes, FLOAT_TYPES, tensorValues, type TensorData, type TensorStats } from './tensor-compare.js';

const { onnx } = onnxProto;
type Ort = typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

/** A config backend entry (BackendConfig fits): runtime onnxruntime-node. */
export interface BisectBackend extends BackendSpec {
  tolerance?: Tolerance;
}

export type BisectTolerance = Pick<Tolerance, 'atol' | 'rtol' | 'mismatchRatio'>;

export interface BisectOptions {
  /** The backend under suspicion. */
  backendA: BisectBackend;
  /** The reference it is compared with. */
  backendB: BisectBackend;
  /** Texts run as one padded batch. */
  texts: readonly string[];
  tokenizer: TextTokenizer;
  /** Default: backendA's tolerance (DEFAULT_TOLERANCE.fp32 when it has none). */
  tolerance?: Partial<BisectTolerance>;
  /** Outputs fetched per session.run (default 64). */
  outputsPerRun?: number;
  /** Default 'disabled' (see the file comment). */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** How A's outputs are paired with B's (default 'auto': names when they match, else positions). */
  mapping?: 'auto' | 'name' | 'position';
}

export interface NodeComparison extends TensorStats {
  /** Position in A's topological order. */
  index: number;
  node: string;
  opType: string;
  output: string;
  nodeB: string;
  outputB: string;
  type: string;
  typeB: string;
  dims: number[];
  dimsB: number[];
  /** mismatchRatio > tolerance.mismatchRatio (or the shapes differ). */
  exceeds: boolean;
  /** Why the comparison is partial or absent (shape differs, non-numeric type, masking). */
  note?: string;
}

export interface DivergentNode extends NodeComparison {
  /** The node's inputs that are compared outputs of earlier nodes, with their figures. */
  inputs: { name: string; node: string; maxAbs: number; exceeds: boolean }[];
}

export interface BisectSideInfo {
  name: string;
  model: string;
  device: string;
  nodes: number;
}

export interface BisectResult {
  a: BisectSideInfo;
  b: BisectSideInfo;
  tolerance: BisectTolerance;
  graphOptimizationLevel: string;
  mapping: 'name' | 'position';
  texts: number;
  batch: number;
  seq: number;
  lengths: number[];
  /** Outputs compared with padded positions left out. */
  maskedOutputs: number;
  /** Set when the probe run failed and nothing could be masked. */
  maskingNote?: string;
  /** Compared outputs in A's topological order. */
  nodes: NodeComparison[];
  firstDivergent: DivergentNode | null;
  /** The last compared output (normally the graph output). */
  final: NodeComparison | null;
  /** A outputs with no counterpart in B (Casts of a conversion, fused nodes). */
  unmatchedA: string[];
  /** How many of B's node outputs were not paired. */
  unmatchedB: number;
}

interface LoadedModel {
  spec: BisectBackend;
  path: string;
  device: 'cpu' | 'cuda';
  info: GraphInfo;
  session: Session;
}

let ortPromise: Promise<Ort> | null = null;
const loadOrt = () => (ortPromise ??= import('onnxruntime-node') as Promise<Ort>);

async function loadModel(spec: BisectBackend, level: BisectOptions['graphOptimizationLevel']): Promise<LoadedModel> {
  if (spec.runtime !== 'onnxruntime-node') {
    throw new InputError(`bisect runs ONNX files with onnxruntime-node; backend "${spec.name}" has runtime "${spec.runtime}"`);
  }
  const opts = parseOrtNodeOptions(spec);
  const path = resolve(spec.modelDir, opts.modelFile);
  if (!existsSync(path)) throw new InputError(`backend "${spec.name}": model file ${path} not found`);
  const model = decodeModel(readFileSync(path));
  markAllOutputsInModel(model);
  const info = graphInfo(model);
  const bytes = onnx.ModelProto.encode(model).finish();
  const ort = await loadOrt();
  const sessionOptions = {
    executionProviders: [opts.device],
    graphOptimizationLevel: level ?? 'disabled',
    ...(opts.intraOpNumThreads ? { intraOpNumThreads: opts.intraOpNumThreads } : {}),
  };
  let session: Session;
  try {
    if (info.externalData) {
      // External data paths are relative to the model file: the rewritten copy must sit beside it.
      const tmp = join(dirname(path), `.${basename(path)}.parity-bisect-${process.pid}.onnx`);
      writeFileSync(tmp, bytes);
      try {
        session = await ort.InferenceSession.create(tmp, sessionOptions);
      } finally {
        unlinkSync(tmp);
      }
    } else {
      session = await ort.InferenceSession.create(bytes, sessionOptions);
    }
  } catch (error) {
    throw new BackendError(spec.name, `cannot create an ONNX Runtime session for ${path} with every node output marked: ${describeCause(error)}`, {
      cause: error,
    });
  }
  return { spec, path, device: opts.device, info, session };
}

interface OutputPair {
  a: GraphNode;
  outA: string;
  b: GraphNode;
  outB: string;
}

/** Pairs A's node outputs with B's; see the file comment. */
export function mapOutputs(a: GraphInfo, b: GraphInfo, mode: 'auto' | 'name' | 'position' = 'auto') {
  const bByOutput = new Map<string, GraphNode>();
  for (const n of b.nodes) for (const o of n.outputs) if (o) bByOutput.set(o, n);
  const aOutputs = a.nodes.filter((n) => n.opType !== 'Cast').flatMap((n) => n.outputs.filter(Boolean));
  const named = aOutputs.filter((o) => bByOutput.has(o)).length;
  const use: 'name' | 'position' = mode === 'auto' ? (aOutputs.length > 0 && named * 2 >= aOutputs.length ? 'name' : 'position') : mode;
  const pairs: OutputPair[] = [];
  const unmatchedA: string[] = [];
  if (use === 'name') {
    for (const n of a.nodes) {
      for (const o of n.outputs) {
        if (!o) continue;
        const m = bByOutput.get(o);
        if (m) pairs.push({ a: n, outA: o, b: m, outB: o });
        else unmatchedA.push(o);
      }
    }
  } else {
    const key = (n: GraphNode) => `${n.domain}:${n.opType}`;
    const bByType = new Map<string, GraphNode[]>();
    for (const n of b.nodes) if (n.opType !== 'Cast') (bByType.get(key(n)) ?? bByType.set(key(n), []).get(key(n))!).push(n);
    const seen = new Map<string, number>();
    for (const n of a.nodes) {
      if (n.opType === 'Cast') {
        unmatchedA.push(...n.outputs.filter(Boolean));
        continue;
      }
      const k = seen.get(key(n)) ?? 0;
      seen.set(key(n), k + 1);
      const m = bByType.get(key(n))?.[k];
      n.outputs.forEach((o, i) => {
        if (!o) return;
        if (m && m.outputs[i]) pairs.push({ a: n, outA: o, b: m, outB: m.outputs[i] });
        else unmatchedA.push(o);
      });
    }
  }
  const pairedB = new Set(pairs.map((p) => p.outB));
  const unmatchedB = b.nodes.reduce((s, n) => s + n.outputs.filter((o) => o && !pairedB.has(o)).length, 0);
  return { mode: use, pairs, unmatchedA, unmatchedB };
}

type Feeds = Record<string, InstanceType<Ort['Tensor']>>;

/** The backends' own feeds builder (ort-io.ts), so bisect runs exactly the inputs `run` feeds. */
function feedsFor(ort: Ort, session: Session, batch: Parameters<typeof modelFeeds>[2], name: string): Feeds {
  return modelFeeds(name, session.inputNames, batch, (data, dims) => new ort.Tensor('int64', data, dims));
}

/** The batch with one more row (a copy of row 0) and one fewer column: only its output shapes matter. */
function probeBatch(batch: PaddedBatch) {
  const rows = batch.batch + 1;
  const seq = batch.seq - 1;
  const pick = (src: BigInt64Array) => {
    const out = new BigInt64Array(rows * seq);
    for (let r = 0; r < rows; r++) {
      const from = (r < batch.batch ? r : 0) * batch.seq;
      out.set(src.subarray(from, from + seq), r * seq);
    }
    return out;
  };
  return {
    batch: rows,
    seq,
    inputIds: pick(batch.inputIds),
    attentionMask: pick(batch.attentionMask),
    tokenTypeIds: pick(batch.tokenTypeIds),
    positionIds: pick(batch.positionIds),
  };
}

async function run(session: Session, feeds: Feeds, fetches: string[], name: string): Promise<Record<string, TensorData>> {
  try {
    return (await session.run(feeds, fetches)) as unknown as Record<string, TensorData>;
  } catch (error) {
    throw new BackendError(name, `session.run with ${fetches.length} marked outputs failed: ${describeCause(error)}`, { cause: error });
  }
}

/** A's configured tolerance (fp32's when it has none), with what the command line overrides. */
export function bisectTolerance(backendA: { tolerance?: Tolerance }, override?: Partial<BisectTolerance>): BisectTolerance {
  const base = backendA.tolerance ?? DEFAULT_TOLERANCE.fp32;
  return {
    atol: override?.atol ?? base.atol,
    rtol: override?.rtol ?? base.rtol,
    mismatchRatio: override?.mismatchRatio ?? base.mismatchRatio,
  };
}

export async function bisect(options: BisectOptions): Promise<BisectResult> {
  const { backendA, backendB, texts, tokenizer } = options;
  if (texts.length === 0) throw new InputError('bisect needs at least one text');
  const tolerance = bisectTolerance(backendA, options.tolerance);
  const level = options.graphOptimizationLevel ?? 'disabled';
  const perRun = Math.max(1, Math.floor(options.outputsPerRun ?? 64));

  const encoded = texts.map((t) => tokenizer.encode(t));
  const batch = padBatch(encoded, encoded.map((_, i) => i), tokenizer.padId, tokenizer.paddingSide);
  const ort = await loadOrt();
  const A = await loadModel(backendA, level);
  let B: LoadedModel | null = null;
  try {
    B = await loadModel(backendB, level);
    const { mode, pairs, unmatchedA, unmatchedB } = mapOutputs(A.info, B.info, options.mapping);
    const feedsA = feedsFor(ort, A.session, batch, backendA.name);
    const feedsB = feedsFor(ort, B.session, batch, backendB.name);
    let probeFeeds: Feeds | null = null;
    let maskingNote: string | undefined;
    if (batch.seq >= 2) probeFeeds = feedsFor(ort, A.session, probeBatch(batch), backendA.name);
    else maskingNote = 'sequence length 1: nothing to mask';

    const nodes: NodeComparison[] = [];
    let maskedOutputs = 0;
    for (let start = 0; start < pairs.length; start += perRun) {
      const chunk = pairs.slice(start, start + perRun);
      const outA = await run(A.session, feedsA, chunk.map((p) => p.outA), backendA.name);
      const outB = await run(B.session, feedsB, chunk.map((p) => p.outB), backendB.name);
      let probe: Record<string, TensorData> | null = null;
      if (probeFeeds) {
        try {
          probe = await run(A.session, probeFeeds, chunk.map((p) => p.outA), backendA.name);
        } catch (error) {
          probeFeeds = null;
          maskingNote = `probe run for padding axes failed, padded positions are compared too: ${describeCause(error)}`;
        }
      }
      for (const p of chunk) {
        const ta = outA[p.outA];
        const tb = outB[p.outB];
        const cmp = compareOutput(p, ta, tb, probe?.[p.outA], batch, tolerance);
        if (cmp.masked > 0) maskedOutputs++;
        nodes.push(cmp);
      }
    }

    const firstIndex = nodes.findIndex((n) => n.exceeds);
    let firstDivergent: DivergentNode | null = null;
    if (firstIndex >= 0) {
      const first = nodes[firstIndex];
      const byOutput = new Map(nodes.map((n) => [n.output, n]));
      const node = A.info.nodes[first.index];
      firstDivergent = {
        ...first,
        inputs: node.inputs
          .filter((i) => byOutput.has(i))
          .map((i) => {
            const n = byOutput.get(i)!;
            return { name: i, node: n.node, maxAbs: n.maxAbs, exceeds: n.exceeds };
          }),
      };
    }
    return {
      a: { name: backendA.name, model: displayPath(A.path), device: A.device, nodes: A.info.nodes.length },
      b: { name: backendB.name, model: displayPath(B.path), device: B.device, nodes: B.info.nodes.length },
      tolerance,
      graphOptimizationLevel: level,
      mapping: mode,
      texts: texts.length,
      batch: batch.batch,
      seq: batch.seq,
      lengths: batch.lengths,
      maskedOutputs,
      ...(maskingNote ? { maskingNote } : {}),
      nodes,
      firstDivergent,
      final: nodes[nodes.length - 1] ?? null,
      unmatchedA,
      unmatchedB,
    };
  } finally {
    await A.session.release();
    await B?.session.release();
  }
}

function compareOutput(
  p: OutputPair,
  ta: TensorData | undefined,
  tb: TensorData | undefined,
  probe: TensorData | undefined,
  batch: PaddedBatch,
  tolerance: BisectTolerance,
): NodeComparison {
  const head = {
    index: p.a.index,
    node: p.a.name,
    opType: p.a.opType,
    output: p.outA,
    nodeB: p.b.name,
    outputB: p.outB,
    type: ta?.type ?? 'missing',
    typeB: tb?.type ?? 'missing',
    dims: ta ? ta.dims.map(Number) : [],
    dimsB: tb ? tb.dims.map(Number) : [],
  };
  const empty: TensorStats = {
    total: 0,
    masked: 0,
    maxAbs: 0,
    maxAbsAt: null,
    meanAbs: 0,
    maxRef: 0,
    mismatches: 0,
    mismatchRatio: 0,
    nonFiniteA: 0,
    nonFiniteB: 0,
  };
  if (!ta || !tb) return { ...head, ...empty, exceeds: false, note: 'not returned by the runtime' };
  const sameShape = head.dims.length === head.dimsB.length && head.dims.every((d, k) => d === head.dimsB[k]);
  if (!sameShape) {
    return { ...head, ...empty, exceeds: true, note: `shape [${head.dims}] vs [${head.dimsB}]` };
  }
  const va = tensorValues(ta);
  const vb = tensorValues(tb);
  if (!va || !vb) return { ...head, ...empty, exceeds: false, note: `type ${ta.type}/${tb.type} not compared` };
  const axes = findPaddingAxes(head.dims, probe?.dims.map(Number), batch.batch, batch.seq);
  const mask = axes ? { ...axes, lengths: batch.lengths, paddingSide: batch.paddingSide } : null;
  const stats = compareTensorValues(va, vb, head.dims, tolerance, mask);
  const exceeds = stats.mismatches > 0 && stats.mismatchRatio > tolerance.mismatchRatio;
  return { ...head, ...stats, exceeds };
}

export interface RunBisectOptions {
  /** parity.config.json path (default: ./parity.config.json). */
  config?: string;
  /** Backend under suspicion, by config name (e.g. "cpu-fp16"). */
  backendA: string;
  /** Reference backend, by config name (e.g. "cpu-fp32"). */
  backendB: string;
  /** Corpus file (default: the config's). */
  corpus?: string;
  /** How many corpus texts, from the first (default 16). */
  texts?: number;
  tolerance?: Partial<BisectTolerance>;
  outputsPerRun?: number;
  graphOptimizationLevel?: BisectOptions['graphOptimizationLevel'];
  mapping?: BisectOptions['mapping'];
}

export const BISECT_DEFAULT_TEXTS = 16;

/** What `parity bisect A B` runs: resolves config, corpus and tokenizer, then bisect(). */
export async function runBisect(options: RunBisectOptions): Promise<BisectResult> {
  const config = loadConfig(options.config);
  const [a, b] = selectBackends(config, [options.backendA, options.backendB]);
  if (!b) throw new InputError(`bisect needs two different backends (got "${options.backendA}" twice)`);
  const corpus = loadCorpus(options.corpus ?? config.corpus);
  const count = options.texts ?? BISECT_DEFAULT_TEXTS;
  if (!Number.isInteger(count) || count < 1) throw new InputError(`--texts must be a positive integer, got ${count}`);
  const { tokenizer } = await new ModelContexts().get(a.modelDir);
  return bisect({
    backendA: a,
    backendB: b,
    texts: corpus.texts.slice(0, count),
    tokenizer,
    tolerance: options.tolerance,
    outputsPerRun: options.outputsPerRun,
    graphOptimizationLevel: options.graphOptimizationLevel,
    mapping: options.mapping,
  });
}

/** Whether an output holds floating-point values (the table hides exact integer/bool outputs). */
export function isFloatOutput(n: NodeComparison): boolean {
  return FLOAT_TYPES.has(n.type) || FLOAT_TYPES.has(n.typeB);
}
