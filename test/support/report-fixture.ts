/**
 * Reports for the renderer tests: one from a real pipeline run (cpu-fp32, cpu-fp16 and
 * transformersjs-fp32 on the fixture model; the last one is xfail with a real diagnosis: its error
 * sits only in the texts it truncates) with an error and a skipped backend appended and an XSS line
 * in the corpus texts, and one fully synthetic report with fixed values for snapshot tests.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCorpus } from '../../src/corpus/corpus.js';
import { overallVerdict, type BackendReport, type Report } from '../../src/report/report.js';
import { runParity } from '../../src/run/run.js';

export const XSS_TEXT = '<img src=x onerror=alert(1)>';
export const SCRIPT_REASON = 'session failed: <script>alert(2)</script> & "quotes" | pipe \u0001 bell\u0007 lone\ud800 surrogate';

export const errorBackend = (): BackendReport => ({
  name: 'webgpu-fp16',
  runtime: 'webgpu',
  precision: 'fp16',
  status: 'error',
  reason: SCRIPT_REASON,
  reasons: [SCRIPT_REASON, 'second line of the error'],
  message: null,
  tolerance: { atol: 1e-3, rtol: 1e-3, mismatchRatio: 0, cosine: 1e-4 },
  metrics: null,
  details: null,
  environment: { runtime: 'onnxruntime-web', executionProviders: ['webgpu'], adapter: null },
  timing: null,
  vectors: null,
});

export const skippedBackend = (): BackendReport => ({
  name: 'cuda-fp16',
  runtime: 'onnxruntime-node',
  precision: 'fp16',
  status: 'skipped',
  reason: 'CUDA execution provider is not available on this machine',
  reasons: ['CUDA execution provider is not available on this machine'],
  message: null,
  tolerance: { atol: 1e-5, rtol: 1e-3, mismatchRatio: 0 },
  metrics: null,
  details: null,
  environment: {},
  timing: null,
  vectors: null,
});

/** Runs the real pipeline once (from the repo root, default parity.config.json) and decorates the report. */
export async function pipelineReport(): Promise<{ report: Report; outDir: string; xssRow: number }> {
  const outDir = mkdtempSync(join(tmpdir(), 'parity-report-'));
  // fp32 tolerances for all, whatever the config says, so cpu-fp16 fails and cpu-fp32 passes;
  // transformersjs-fp32 fails too (expected: xfail), with a diagnosis naming the long texts.
  const { report } = await runParity({
    out: outDir,
    backends: ['cpu-fp32', 'cpu-fp16', 'transformersjs-fp32'],
    tolerance: { atol: 1e-5, rtol: 1.3e-6 },
    command: ['parity', 'run', '--out', outDir],
  });
  const texts = report.corpus.texts ?? loadCorpus(report.corpus.path).texts;
  // Put the XSS line where the report shows it in a visible table: the worst element of cpu-fp16.
  const fp16 = report.backends.find((b) => b.name === 'cpu-fp16');
  const xssRow = fp16?.details?.worst[0]?.row ?? 0;
  report.corpus.texts = texts.map((t, i) => (i === xssRow ? XSS_TEXT : t));
  report.backends.push(errorBackend(), skippedBackend());
  report.verdict = overallVerdict(report.backends);
  return { report, outDir, xssRow };
}

/** A small report with every value fixed: stable across machines, for snapshots. */
export function syntheticReport(): Report {
  const ids = ['greeting', 'pipes|and*stars', 'xss', 'long'];
  const texts = ['hello world', 'a | b *c* _d_ `e` [f](g)', XSS_TEXT, 'x'.repeat(300)];
  const pass: BackendReport = {
    name: 'cpu-fp32',
    runtime: 'onnxruntime-node',
    precision: 'fp32',
    status: 'pass',
    reason: null,
    reasons: [],
    message: "Mismatched elements: 0 / 16 (0%)\nGreatest absolute difference: 1.06e-6 at text 'greeting' dim 1 (golden 0.5, actual 0.500001) (up to 1.00e-5 allowed)",
    tolerance: { atol: 1e-5, rtol: 1.3e-6, mismatchRatio: 0 },
    metrics: {
      shape: [4, 4],
      goldenShape: [4, 4],
      total: 16,
      maxAbs: 1.06e-6,
      maxAbsAt: { row: 0, dim: 1, id: 'greeting', golden: 0.5, actual: 0.50000106, absDiff: 1.06e-6, ratio: 0.106 },
      meanAbs: 2e-7,
      maxRel: 2.1e-6,
      worstRatio: 0.106,
      mismatches: 0,
      mismatchRatio: 0,
      cosineDeltaMax: 1.4e-12,
      cosineDeltaMaxAt: { row: 0, id: 'greeting', value: 1.4e-12 },
      cosineDeltaMean: 4e-13,
      normDeltaMax: 3e-8,
      normDeltaMaxAt: { row: 0, id: 'greeting', value: 3e-8 },
      nonFinite: 0,
      goldenNonFinite: 0,
      zeroRows: 0,
      goldenZeroRows: 0,
      constantRows: 0,
      goldenConstantRows: 0,
      minPassingAtol: 6.4e-7,
    },
    details: {
      cosineDelta: [1.4e-12, 2e-13, 0, -1e-16],
      rowMaxAbs: [1.06e-6, 2e-7, 0, 1e-7],
      normDelta: [3e-8, 1e-8, 0, 1e-9],
      dimMaxAbs: [1e-7, 1.06e-6, 2e-7, 0],
      histogram: { minLog10: -12, binsPerDecade: 4, counts: [8, ...new Array(20).fill(0), 2, 2, 2, 1, 1, ...new Array(32).fill(0), 0] },
      worst: [{ row: 0, dim: 1, id: 'greeting', golden: 0.5, actual: 0.50000106, absDiff: 1.06e-6, ratio: 0.106 }],
    },
    environment: { runtime: 'onnxruntime-node', version: '1.30.0', executionProviders: ['cpu'] },
    timing: { openMs: 40, embedMs: 200, textsPerSecond: 20 },
    vectors: 'vectors/cpu-fp32.npy',
    downstream: {
      n: 4,
      rows: 4,
      sampled: false,
      top1Overlap: 1,
      top5Overlap: 1,
      top10Overlap: 1,
      spearman: 1,
      maxPairwiseDelta: 4.2e-7,
      maxPairwiseDeltaAt: { i: 0, j: 2 },
      meanPairwiseDelta: 1.1e-7,
      rankFlips: 0,
      rankFlipsPossible: 12,
      anchorsWithFlips: 0,
      pairs: 6,
    },
    batchInvariance: {
      texts: 3,
      maxAbs: 0,
      meanAbs: 0,
      cosineDeltaMax: 0,
      worstText: { row: 0, id: 'greeting', maxAbs: 0, cosineDelta: 0, length: 4 },
      identical: 3,
      perText: [
        { row: 0, id: 'greeting', maxAbs: 0, cosineDelta: 0, length: 4 },
        { row: 2, id: 'xss', maxAbs: 0, cosineDelta: 0, length: 9 },
        { row: 1, id: 'pipes|and*stars', maxAbs: 0, cosineDelta: 0, length: 17 },
      ],
      batchSize: 4,
      sampleRows: [0, 2, 1],
      longest: { row: 3, id: 'long', length: 128 },
      batches: 1,
      lengthUnit: 'tokens',
    },
    diagnosis: [],
  };
  const fail: BackendReport = {
    ...pass,
    name: 'cpu-fp16',
    precision: 'fp16',
    status: 'fail',
    reason: "3 / 16 elements (19%) beyond atol 1.00e-5 + rtol 0.001·|golden|; max abs 0.00211 at text 'pipes|and*stars' dim 2",
    reasons: [
      "3 / 16 elements (19%) beyond atol 1.00e-5 + rtol 0.001·|golden|; max abs 0.00211 at text 'pipes|and*stars' dim 2",
      'downstream: top-1 neighbour overlap 0.7500 below 0.99',
      "batch invariance: text 'xss' changes by 3.10e-4 (> 0.0001) when padded next to 'long'",
    ],
    message: "Mismatched elements: 3 / 16 (19%)\nGreatest absolute difference: 0.00211 at text 'pipes|and*stars' dim 2 (golden -0.65, actual -0.64789) (up to 1.00e-5 allowed)",
    tolerance: { atol: 1e-5, rtol: 1e-3, mismatchRatio: 0 },
    metrics: {
      ...pass.metrics!,
      maxAbs: 0.00211,
      maxAbsAt: { row: 1, dim: 2, id: 'pipes|and*stars', golden: -0.65, actual: -0.64789, absDiff: 0.00211, ratio: 3.2 },
      mismatches: 3,
      mismatchRatio: 3 / 16,
      cosineDeltaMax: 4.9e-6,
      minPassingAtol: 0.00146,
    },
    details: {
      ...pass.details!,
      cosineDelta: [1e-7, 4.9e-6, 2e-6, NaN],
      worst: [
        { row: 1, dim: 2, id: 'pipes|and*stars', golden: -0.65, actual: -0.64789, absDiff: 0.00211, ratio: 3.2 },
        { row: 2, dim: 0, id: 'xss', golden: 0.1, actual: 0.1009, absDiff: 9e-4, ratio: 8.1 },
      ],
    },
    timing: { openMs: 30, embedMs: 100, textsPerSecond: 40 },
    vectors: 'vectors/cpu-fp16.npy',
    limits: { downstream: { minTop1Overlap: 0.99, maxRankFlips: 10 }, batchInvariance: { maxAbs: 1e-4 } },
    downstream: {
      n: 4,
      rows: 4,
      sampled: false,
      top1Overlap: 0.75,
      top5Overlap: 1,
      top10Overlap: 1,
      spearman: 0.8,
      maxPairwiseDelta: 0.0019,
      maxPairwiseDeltaAt: { i: 1, j: 2 },
      meanPairwiseDelta: 6e-4,
      rankFlips: 2,
      rankFlipsPossible: 12,
      anchorsWithFlips: 2,
      pairs: 6,
    },
    batchInvariance: {
      texts: 3,
      maxAbs: 3.1e-4,
      meanAbs: 2e-5,
      cosineDeltaMax: 4e-7,
      worstText: { row: 2, id: 'xss', maxAbs: 3.1e-4, cosineDelta: 4e-7, length: 9 },
      identical: 1,
      perText: [
        { row: 0, id: 'greeting', maxAbs: 0, cosineDelta: 0, length: 4 },
        { row: 2, id: 'xss', maxAbs: 3.1e-4, cosineDelta: 4e-7, length: 9 },
        { row: 1, id: 'pipes|and*stars', maxAbs: 2e-6, cosineDelta: 1e-10, length: 17 },
      ],
      batchSize: 4,
      sampleRows: [0, 2, 1],
      longest: { row: 3, id: 'long', length: 128 },
      batches: 1,
      lengthUnit: 'tokens',
    },
    diagnosis: ['error concentrated in dimension 2 <b>|pipes|</b> — a sign of a wrong bias or scale in one output channel'],
  };
  const backends = [pass, fail, errorBackend(), skippedBackend()];
  return {
    schemaVersion: 1,
    tool: { name: 'parity', version: '0.1.0' },
    createdAt: '2026-01-02T03:04:05.000Z',
    command: ['parity', 'run', '--out', 'reports/latest', '--corpus', "it's here.jsonl"],
    verdict: overallVerdict(backends),
    config: 'parity.config.json',
    model: {
      dir: 'fixtures/models/tiny-bert',
      files: { 'config.json': 'a'.repeat(64), 'onnx/model.onnx': 'b'.repeat(64) },
      pooling: 'mean',
      normalize: true,
      maxSeqLength: 128,
      tokenizer: 'BertTokenizer (max_length 128)',
    },
    corpus: { path: 'fixtures/corpus/tiny.jsonl', sha256: 'c'.repeat(64), count: 4, ids, texts },
    golden: { path: 'golden/tiny.npy', dtype: '<f8', shape: [4, 4], backend: 'reference', createdAt: '2026-01-01T00:00:00.000Z' },
    backends,
    pairwise: {
      names: ['golden', 'cpu-fp32', 'cpu-fp16'],
      maxAbs: [
        [0, 1.06e-6, 0.00211],
        [1.06e-6, 0, NaN],
        [0.00211, NaN, 0],
      ],
    },
    warnings: ['model files changed since the golden was made: onnx/model.onnx — regenerate the golden if the weights changed on purpose'],
    packages: { parity: '0.1.0', node: '20.0.0', 'onnxruntime-node': '1.30.0' },
    checks: { downstreamMaxN: 5000, batchInvarianceSample: 32 },
  };
}
