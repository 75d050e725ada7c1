/**
 * Where bisect across frameworks gets intermediate tensors: one source per framework, each running
 * one unpadded sequence at a time (no padding, no mask: what the float64 reference does anyway) and
 * naming every tensor by the transformers module path that produced it (`embeddings`,
 * `encoder.layer.0.attention.self`, …), so that the three pair by name:
 * - PyTorch: forward hooks on every module of the sentence-transformers model (python/layer_dump.py),
 *   loaded exactly as the `sentence-transformers` backend loads it (device, dtype, attention);
 * - ONNX Runtime: every node output made a graph output; a module path's tensor is the output of the
 *   last node (topologically) inside its scope, as torch.onnx names scopes
 *   (`encoder.layer.0.attention.self` ↔ `/encoder/layer.0/attention/self/…`);
 * - the float64 reference: its probes, named after the same modules.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { BackendSpec } from '../backends/backend.js';
import { parseOrtNodeOptions } from '../backends/onnxruntime-node/runner.js';
import { BertFloat64 } from '../backends/reference/bert-f64.js';
import { parseSentenceTransformersOptions } from '../backends/sentence-transformers/options.js';
import { BackendError, describeCause, InputError } from '../errors.js';
import { displayPath } from '../io/display-path.js';
import { loadModelInfo } from '../model/model-folder.js';
import { readSafetensors } from '../model/safetensors.js';
import { parseNpyHeader } from '../npy/npy.js';
import { findPython, PYTHON_SETUP_HINT } from '../python/interpreter.js';
import { packagePath } from '../package-root.js';
import { decodeModel, graphInfo, markAllOutputsInModel } from '../onnx/onnx-graph.js';
import { tensorValues } from './tensor-compare.js';

/** One sequence's model inputs. */
export interface Sequence {
  ids: readonly number[];
  typeIds: readonly number[];
}

/** A [seq, hidden] (or other) tensor, row-major, batch axis dropped. */
export interface NamedTensor {
  shape: number[];
  data: ArrayLike<number>;
  /** Where it came from in this framework (ONNX: node and output name; PyTorch: the module path). */
  origin: string;
  /** The op that produced it (ONNX op type; PyTorch module class is not recorded). */
  op?: string;
}

export interface LayerSource {
  /** The backend's name in the config. */
  name: string;
  framework: 'pytorch' | 'onnxruntime' | 'reference';
  /** What ran, in a few words (model file, dtype, attention). */
  describe(): string;
  /** For each sequence: module path → tensor, for the `paths` this framework has. */
  run(sequences: readonly Sequence[], paths: readonly string[]): Promise<Map<string, NamedTensor>[]>;
}

/** The runtimes bisect can look inside, and how. */
export const LAYER_RUNTIMES = ['onnxruntime-node', 'sentence-transformers', 'reference'] as const;

/** torch.onnx's scope for a module path: dots become slashes except before a list index. */
export function onnxScope(modulePath: string): string {
  return '/' + modulePath.replace(/\.(?!\d)/g, '/') + '/';
}

export function layerSource(spec: BackendSpec): LayerSource {
  if (spec.runtime === 'reference') return referenceSource(spec);
  if (spec.runtime === 'onnxruntime-node') return onnxSource(spec);
  if (spec.runtime === 'sentence-transformers') return pytorchSource(spec);
  throw new InputError(`backend "${spec.name}": bisect cannot look inside runtime "${spec.runtime}" (it can inside ${LAYER_RUNTIMES.join(', ')})`);
}

function referenceSource(spec: BackendSpec): LayerSource {
  let model: BertFloat64 | null = null;
  return {
    name: spec.name,
    framework: 'reference',
    describe: () => `float64 reference from ${displayPath(join(spec.modelDir, 'model.safetensors'))}`,
    async run(sequences) {
      model ??= new BertFloat64(loadModelInfo(spec.modelDir).config, readSafetensors(join(spec.modelDir, 'model.safetensors')));
      return sequences.map((s) => {
        const out = new Map<string, NamedTensor>();
        model!.forward(s.ids, s.typeIds, (name, data) => {
          if (name.endsWith('attention_probs')) return;
          // The probes say "layer.0.attention"; transformers' BertModel says "encoder.layer.0.attention".
          const path = name.startsWith('layer.') ? `encoder.${name}` : name;
          out.set(path, { shape: [s.ids.length, data.length / s.ids.length], data: Float64Array.from(data), origin: `probe ${name}` });
        });
        return out;
      });
    },
  };
}

function onnxSource(spec: BackendSpec): LayerSource {
  const options = parseOrtNodeOptions(spec);
  const path = resolve(spec.modelDir, options.modelFile);
  return {
    name: spec.name,
    framework: 'onnxruntime',
    describe: () => `ONNX Runtime (cpu, graphOptimizationLevel disabled) on ${displayPath(path)}`,
    async run(sequences, paths) {
      if (!existsSync(path)) throw new InputError(`backend "${spec.name}": no ONNX model at ${displayPath(path)}`);
      const ort = await import('onnxruntime-node');
      const model = decodeModel(readFileSync(path));
      markAllOutputsInModel(model);
      const info = graphInfo(model);
      const bytes = (await import('onnx-proto')).default.onnx.ModelProto.encode(model).finish();
      const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', executionProviders: ['cpu'] });
      try {
        const opOf = new Map(info.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
        const results: Map<string, NamedTensor>[] = [];
        for (const s of sequences) {
          const dims = [1, s.ids.length];
          const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
          const int64 = (xs: readonly number[]) => new ort.Tensor('int64', BigInt64Array.from(xs, (x) => BigInt(x)), dims);
          for (const name of session.inputNames) {
            if (name === 'input_ids') feeds[name] = int64(s.ids);
            else if (name === 'attention_mask') feeds[name] = int64(s.ids.map(() => 1));
            else if (name === 'token_type_ids') feeds[name] = int64(s.typeIds);
            else if (name === 'position_ids') feeds[name] = int64(s.ids.map((_, i) => i));
            else throw new InputError(`backend "${spec.name}": ${displayPath(path)} has an input "${name}" bisect does not know how to feed`);
          }
          const fetched = await session.run(feeds);
          const byScope = new Map<string, NamedTensor>();
          // Topological order: the last float output inside a scope is the module's output.
          for (const node of info.nodes) {
            for (const output of node.outputs) {
              const t = fetched[output];
              if (!t || !['float32', 'float16', 'float64'].includes(t.type)) continue;
              const values = tensorValues({ type: t.type, dims: t.dims, data: t.data });
              if (!values || t.dims[0] !== 1) continue;
              for (let cut = node.name.lastIndexOf('/'); cut > 0; cut = node.name.lastIndexOf('/', cut - 1)) {
                byScope.set(node.name.slice(0, cut + 1), { shape: t.dims.slice(1).map(Number), data: Float64Array.from(values), origin: `${node.name} → ${output}`, op: opOf.get(output)?.opType });
              }
            }
          }
          // A wrapper module around the transformer (parity's export names it "m"; a
          // sentence-transformers export "0/auto_model") prefixes every scope: found from the
          // embeddings' scope and applied to all.
          const embeddings = onnxScope(paths[0] ?? 'embeddings');
          const prefix = [...byScope.keys()].filter((k) => k.endsWith(embeddings)).sort((x, y) => x.length - y.length)[0]?.slice(0, -embeddings.length + 1) ?? '';
          const out = new Map<string, NamedTensor>();
          for (const p of paths) {
            const t = byScope.get(prefix + onnxScope(p).slice(1));
            if (t) out.set(p, t);
          }
          results.push(out);
        }
        return results;
      } finally {
        await session.release();
      }
    },
  };
}

function pytorchSource(spec: BackendSpec): LayerSource {
  const options = parseSentenceTransformersOptions(spec);
  let ran: { dtype?: string; attention?: string | null; torch?: string } = {};
  return {
    name: spec.name,
    framework: 'pytorch',
    describe: () => `PyTorch ${ran.torch ?? ''} ${ran.dtype ?? options.dtype}${ran.attention ? `, ${ran.attention} attention` : ''} on ${options.device}`.replace(/\s+/g, ' '),
    async run(sequences) {
      const python = findPython({ configured: options.python, configDir: spec.configDir });
      const dir = mkdtempSync(join(tmpdir(), 'parity-layers-'));
      try {
        const request = join(dir, 'request.json');
        writeFileSync(request, JSON.stringify({ modelDir: spec.modelDir, device: options.device, dtype: options.dtype, attention: options.attention ?? null, sequences }));
        const script = packagePath('python', 'layer_dump.py');
        const r = spawnSync(python.command, [script, request, join(dir, 'out')], { encoding: 'utf8', env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' }, maxBuffer: 64 << 20 });
        if (r.error || r.status !== 0) {
          const tail = (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
          throw new BackendError(spec.name, `python/layer_dump.py failed under ${python.command} (from ${python.source}; \`${PYTHON_SETUP_HINT}\` builds it): ${r.error ? describeCause(r.error) : `exit ${r.status}: ${tail}`}`);
        }
        const index = JSON.parse(readFileSync(join(dir, 'out', 'index.json'), 'utf8')) as { order: string[]; dtype: string; attention: string | null; torch: string };
        ran = index;
        return sequences.map((_, k) => {
          const out = new Map<string, NamedTensor>();
          for (const p of index.order) {
            const file = join(dir, 'out', String(k), `${p}.npy`);
            if (!existsSync(file)) continue;
            // layer_dump.py writes C-order '<f8'.
            const buf = readFileSync(file);
            const h = parseNpyHeader(buf, file);
            const data = new Float64Array(buf.buffer.slice(buf.byteOffset + h.dataOffset, buf.byteOffset + buf.byteLength));
            out.set(p, { shape: h.shape, data, origin: `module ${p}` });
          }
          return out;
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
