/**
 * The fault zoo: correct embeddings of the tiny-bert fixture with one known fault injected each, and
 * the diagnosis run on every one the way `run` would (the facts a run has: who tokenized, the
 * backend's own token ids when it tokenizes itself, weights hashes, texts re-embedded by the
 * reference under each suspected fault). Faults are injected through ONNX Runtime on the fixture's
 * own ONNX export (different inputs, pooling or model file) wherever the fault is an input, or into
 * the vectors; the hypotheses are re-embedded by the float64 reference, a separate implementation.
 * Every fault must get its right cause named, and no finding may name any other cause: the
 * confusion matrix is printed, and a single wrong claim fails the test.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { BertFloat64 } from '../../src/backends/reference/bert-f64.js';
import { findings, type DiagnosisContext } from '../../src/compare/diagnosis.js';
import type { Cause, Finding } from '../../src/compare/finding.js';
import { compareMatrices } from '../../src/compare/metrics.js';
import { HypothesisReembedder } from '../../src/diagnose/hypotheses.js';
import { worstRows } from '../../src/compare/worst-rows.js';
import { batchRows } from '../../src/embed/batches.js';
import { poolSequence, type PoolingSpec } from '../../src/embed/pooling.js';
import { loadModelInfo } from '../../src/model/model-folder.js';
import { readSafetensors, type SafeTensor } from '../../src/model/safetensors.js';
import type { Matrix } from '../../src/numeric/matrix.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import type { EncodedText } from '../../src/tokenize/types.js';
import { FIXTURE, tempDir } from '../support/helpers.js';

const BATCH = 8;
const HYPOTHESIS_ROWS = 8;
const TOL = { atol: 1e-5, rtol: 1.3e-6 };

interface Seq {
  ids: number[];
  typeIds: number[];
}
interface Fault {
  name: string;
  cause: Cause;
  /** The backend's vectors. */
  actual: Matrix;
  context: Partial<DiagnosisContext>;
}

let texts: { id: string; text: string }[];
let encoded: EncodedText[];
let golden: Matrix;
let pooling: PoolingSpec;
let faults: Fault[];
let padTo: number[];
let config: ReturnType<typeof loadModelInfo>['config'];
let tensors: Map<string, SafeTensor>;
let padId: number;
/** One for every fault, as `run` keeps one for all its failing backends: kept vectors must not change a diagnosis. */
let reembedder: HypothesisReembedder;

const lengths = () => encoded.map((e) => e.ids.length);

/** ONNX Runtime on `model`, texts in length-sorted batches of BATCH, pooled by the harness's pooling. */
async function ortEmbed(model: string, seqs: Seq[], opts: { spec?: PoolingSpec; maskAll?: boolean } = {}): Promise<Matrix> {
  const session = await ort.InferenceSession.create(model);
  const spec = opts.spec ?? pooling;
  const dim = config.hidden_size;
  const out = new Float32Array(seqs.length * dim);
  for (const rows of batchRows(seqs.map((s) => s.ids.length), BATCH, true)) {
    const seq = Math.max(...rows.map((r) => seqs[r].ids.length));
    const n = rows.length * seq;
    const ids = new BigInt64Array(n).fill(BigInt(padId));
    const mask = new BigInt64Array(n);
    const types = new BigInt64Array(n);
    rows.forEach((r, b) => {
      seqs[r].ids.forEach((id, t) => {
        ids[b * seq + t] = BigInt(id);
        mask[b * seq + t] = 1n;
        types[b * seq + t] = BigInt(seqs[r].typeIds[t]);
      });
    });
    if (opts.maskAll) mask.fill(1n);
    const dims = [rows.length, seq];
    const res = await session.run({ input_ids: new ort.Tensor('int64', ids, dims), attention_mask: new ort.Tensor('int64', mask, dims), token_type_ids: new ort.Tensor('int64', types, dims) });
    const hidden = res.last_hidden_state.data as Float32Array;
    rows.forEach((r, b) => poolSequence(hidden, { offset: b * seq * dim, length: seqs[r].ids.length }, dim, spec, out, r * dim));
  }
  await session.release();
  return { rows: seqs.length, dim, data: out };
}

function f64Embed(model: BertFloat64, seqs: Seq[]): Matrix {
  const dim = model.hidden;
  const out = new Float64Array(seqs.length * dim);
  seqs.forEach((s, r) => poolSequence(model.forward(s.ids, s.typeIds), { offset: 0, length: s.ids.length }, dim, pooling, out, r * dim));
  return { rows: seqs.length, dim, data: out };
}

const copy = (m: Matrix, edit: (data: Float32Array | Float64Array) => void): Matrix => {
  const data = m.data.slice() as Float32Array;
  edit(data);
  return { ...m, data };
};
/** Rows of the `n` longest texts. */
const longest = (n: number) => lengths().map((l, r) => [l, r]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, n).map(([, r]) => r);

const diagnosed = new Map<Fault, Finding[]>();
/** What `run` would hand the diagnosis for this backend, hypotheses re-embedded for its worst rows. */
function diagnoseFault(f: Fault): Finding[] {
  if (!diagnosed.has(f)) diagnosed.set(f, diagnoseUncached(f));
  return diagnosed.get(f)!;
}
function diagnoseUncached(f: Fault): Finding[] {
  const { metrics, details } = compareMatrices(golden, f.actual, TOL);
  const rows = worstRows(details.rowMaxAbs, HYPOTHESIS_ROWS);
  reembedder ??= new HypothesisReembedder({ config, tensors, pooling, padId });
  const hypotheses = reembedder.reembed({ rows, encoded: rows.map((r) => encoded[r]), padTo: rows.map((r) => padTo[r]) });
  return findings(metrics, details, { golden, actual: f.actual, lengths: lengths(), hypotheses, weights: { golden: 'fixture-weights', backend: 'fixture-weights' }, ...f.context });
}

beforeAll(async () => {
  const info = loadModelInfo(FIXTURE.model);
  config = info.config;
  pooling = { ...info.pooling };
  const tokenizer = await loadTokenizer(info);
  padId = tokenizer.padId;
  texts = readFileSync(FIXTURE.corpus, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  encoded = texts.map((t) => tokenizer.encode(t.text));
  tensors = readSafetensors(join(FIXTURE.model, 'model.safetensors'));
  const reference = new BertFloat64(config, tensors);
  golden = f64Embed(reference, encoded);
  padTo = new Array(encoded.length);
  for (const rows of batchRows(lengths(), BATCH, true)) {
    const seq = Math.max(...rows.map((r) => encoded[r].ids.length));
    for (const r of rows) padTo[r] = seq;
  }
  const onnx = join(FIXTURE.model, 'onnx', 'model.onnx');
  const harness = { tokenizedBy: 'harness' as const };
  const clean = await ortEmbed(onnx, encoded);
  const ownTokens = (backend: Seq[]) => ({ tokenizedBy: 'backend' as const, tokens: { ids: texts.map((t) => t.id), golden: encoded.map((e) => e.ids), backend: backend.map((s) => s.ids) } });

  const cut = encoded.map((e) => (e.ids.length > 32 ? { ids: [...e.ids.slice(0, 31), e.ids.at(-1)!], typeIds: e.typeIds.slice(0, 32) } : e));
  const noSep = encoded.map((e) => ({ ids: e.ids.slice(0, -1), typeIds: e.typeIds.slice(0, -1) }));
  // A tokenizer that keeps case: the fixture's tokenizer.json with the normalizer's lowercase off.
  const cased = tempDir('parity-zoo-cased-');
  cpSync(FIXTURE.model, cased, { recursive: true });
  const tj = JSON.parse(readFileSync(join(cased, 'tokenizer.json'), 'utf8'));
  tj.normalizer.lowercase = false;
  writeFileSync(join(cased, 'tokenizer.json'), JSON.stringify(tj));
  const casedTokenizer = await loadTokenizer(loadModelInfo(cased));
  const casedSeqs = texts.map((t) => casedTokenizer.encode(t.text));
  // Position ids offset by one: the position table read one row on (what an offset does), through the f64 model.
  const shifted = new Map(tensors);
  const pos = tensors.get('embeddings.position_embeddings.weight')!;
  const table = new Float32Array(pos.data.length);
  table.set(pos.data.subarray(config.hidden_size));
  shifted.set('embeddings.position_embeddings.weight', { ...pos, data: table });
  // Another revision: every weight moved by a relative 1e-3, deterministically.
  const revised = new Map([...tensors].map(([k, t]) => [k, { ...t, data: t.data.map((x, i) => x * (1 + 1e-3 * Math.sin(i))) }]));
  const fp16 = await ortEmbed(join(FIXTURE.model, 'onnx', 'model_fp16.onnx'), encoded);
  const longRows = new Set(longest(Math.floor(encoded.length / 10)));
  const dim = config.hidden_size;

  faults = [
    { name: 'truncation at 32 tokens', cause: 'truncation', actual: await ortEmbed(onnx, cut), context: ownTokens(cut) },
    { name: 'final [SEP] dropped', cause: 'special-tokens', actual: await ortEmbed(onnx, noSep), context: ownTokens(noSep) },
    { name: 'normalization missing', cause: 'normalization', actual: await ortEmbed(onnx, encoded, { spec: { ...pooling, normalize: false } }), context: harness },
    { name: 'CLS pooling instead of mean', cause: 'pooling', actual: await ortEmbed(onnx, encoded, { spec: { ...pooling, modes: ['cls'] } }), context: harness },
    { name: 'token_type_ids all ones', cause: 'token-type-ids', actual: await ortEmbed(onnx, encoded.map((e) => ({ ids: e.ids, typeIds: e.typeIds.map(() => 1) }))), context: harness },
    { name: 'attention mask ignored', cause: 'attention-mask', actual: await ortEmbed(onnx, encoded, { maskAll: true }), context: harness },
    { name: 'position ids offset by 1', cause: 'position-ids', actual: f64Embed(new BertFloat64(config, shifted), encoded), context: harness },
    { name: 'lowercasing off', cause: 'tokenization', actual: await ortEmbed(onnx, casedSeqs), context: ownTokens(casedSeqs) },
    {
      name: 'fp16 overflow to inf',
      cause: 'overflow',
      actual: copy(clean, (d) => longest(3).forEach((r, k) => (d[r * dim + k] = k % 2 ? -Infinity : Infinity))),
      context: harness,
    },
    { name: '-5e4 sentinel mask', cause: 'masking', actual: copy(clean, (d) => longest(2).forEach((r, k) => (d[r * dim + 5 + k] += 2e-3))), context: harness },
    {
      name: 'kernel error confined to long sequences',
      cause: 'long-sequence',
      actual: copy(clean, (d) => longRows.forEach((r) => d.set(fp16.data.subarray(r * dim, (r + 1) * dim), r * dim))),
      context: harness,
    },
    { name: 'dimensions shifted by one', cause: 'dimension-order', actual: copy(clean, (d) => { for (let r = 0; r < clean.rows; r++) for (let k = 0; k < dim; k++) d[r * dim + k] = clean.data[r * dim + ((k + 1) % dim)]; }), context: harness },
    { name: 'golden from another revision', cause: 'model-revision', actual: f64Embed(new BertFloat64(config, revised), encoded), context: { ...harness, weights: { golden: 'fixture-weights', backend: 'revised-weights' } } },
  ];
}, 120_000);

describe('fault zoo', () => {
  it('names the right cause for every injected fault and never a cause the evidence rules out', () => {
    const rows = faults.map((f) => {
      const found = diagnoseFault(f);
      const named = [...new Set(found.filter((x) => x.cause !== null).map((x) => x.cause!))];
      return { fault: f.name, expected: f.cause, named, right: named.includes(f.cause), wrong: named.filter((c) => c !== f.cause), found };
    });
    // The confusion matrix: each fault, the causes named (the right one marked), and wrong claims.
    console.log(
      ['fault | expected | named | wrong claims', ...rows.map((r) => `${r.fault} | ${r.expected} | ${r.named.map((c) => (c === r.expected ? `*${c}*` : c)).join(', ') || '-'} | ${r.wrong.join(', ') || '0'}`)].join('\n'),
    );
    for (const r of rows) {
      expect({ fault: r.fault, right: r.right, wrong: r.wrong, found: r.right && r.wrong.length === 0 ? [] : r.found }).toEqual({ fault: r.fault, right: true, wrong: [], found: [] });
    }
  });

  it('a clean backend gets no finding at all', async () => {
    const clean = await ortEmbed(join(FIXTURE.model, 'onnx', 'model.onnx'), encoded);
    expect(diagnoseFault({ name: 'clean', cause: 'shape', actual: clean, context: { tokenizedBy: 'harness' } })).toEqual([]);
  });

  it('every finding names its evidence and how sure it is', () => {
    for (const f of faults) {
      for (const x of diagnoseFault(f)) {
        expect(x.evidence.length).toBeGreaterThan(10);
        expect(['confirmed', 'likely', 'possible', 'observed']).toContain(x.confidence);
        if (x.cause === null) expect(x.confidence).toBe('observed');
      }
    }
  });
});
