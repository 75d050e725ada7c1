/**
 * The report object every renderer takes (terminal, JSON, HTML, JUnit, Markdown). It is plain
 * data: renderers never run anything, and `report.json` is exactly this object.
 * Schema: docs/report-schema.md; bump REPORT_SCHEMA_VERSION on any incompatible change.
 */
import type { Details, Metrics } from '../compare/metric-types.js';
import type { Tolerance } from '../compare/tolerance.js';
import type { Expectation } from '../config/expectation.js';
import type { WatchedElement } from './watched-element.js';
import type { BatchInvarianceThresholds, ChecksConfig, DownstreamThresholds, DriftLimits } from '../config/checks.js';
import type { BaselineDiff } from '../baseline/diff-types.js';
import type { DownstreamImpact } from '../compare/downstream.js';
import type { ResolvedEmbedding } from '../model/model-folder.js';
import type { BatchInvarianceResult } from '../compare/batch-invariance.js';

export const REPORT_SCHEMA_VERSION = 1;

/** xfail: failed as the config expects (a tracked runtime bug); xpass: expected to fail but passed. */
export type BackendStatus = 'pass' | 'fail' | 'skipped' | 'error' | 'xfail' | 'xpass';
export type Verdict = 'pass' | 'fail' | 'error';

export interface SerializedDetails {
  /**
   * Present when the run compared more texts than checks.reportRows: the rows (ascending) that the
   * per-row arrays below hold — the worst by cosine Δ. Absent: the arrays hold every row in order.
   */
  rows?: number[];
  /** 1 - cos per text, in corpus order. */
  cosineDelta: number[];
  /** Largest |a - g| per text. */
  rowMaxAbs: number[];
  /** | ||a|| - ||g|| | per text. */
  normDelta: number[];
  /** Largest |a - g| per dimension. */
  dimMaxAbs: number[];
  histogram: { minLog10: number; binsPerDecade: number; counts: number[] };
  worst: Details['worst'];
}

export interface BackendReport {
  name: string;
  runtime: string;
  precision: string;
  /** The config's note for this backend (e.g. why its tolerance is what it is). */
  note?: string;
  status: BackendStatus;
  /** The config's expected failure, when it applied to this run (status is then xfail or xpass). */
  expected?: { status: 'fail'; reason: string };
  /** The config's expectation as written (kept so `parity merge` can apply it again). */
  expect?: Expectation;
  /** The config's limits on the diagnosis checks, if any (kept so `parity merge` can apply them again). */
  limits?: { downstream?: DownstreamThresholds; batchInvariance?: BatchInvarianceThresholds; drift?: DriftLimits };
  /** Does the difference matter: nearest neighbours and pairwise similarities, golden vs this backend. */
  downstream?: DownstreamImpact | null;
  /** The same texts alone and padded next to the longest text. */
  batchInvariance?: BatchInvarianceResult | null;
  /** Plain-language patterns recognised in the error (see src/compare/diagnosis.ts). */
  diagnosis?: string[];
  /** The first layer and op where a failing backend departs from the run's float64 side (run/where-it-starts.ts). */
  whereItStarts?: {
    against: string;
    texts: string[];
    path: string | null;
    layer: number | null;
    op: string | null;
    maxAbs: number | null;
    relative: number | null;
    growth: string;
  };
  /** Why it failed, was skipped or errored (first line); null on pass. */
  reason: string | null;
  reasons: string[];
  /** torch.testing-style summary of the comparison. */
  message: string | null;
  tolerance: Tolerance;
  metrics: Metrics | null;
  details: SerializedDetails | null;
  environment: Record<string, unknown>;
  timing: BackendTiming | null;
  /** Where this backend's vectors were saved, relative to the report folder. */
  vectors: string | null;
}

/**
 * Wall time of each phase of one backend, in milliseconds. The phases after embedding are absent in
 * reports written before they were timed, and in merged reports for what merge did not time.
 */
export interface BackendTiming {
  openMs: number;
  embedMs: number;
  textsPerSecond: number;
  /** Comparing its vectors with the golden's, block by block as they came, and the summary. */
  compareMs?: number;
  /** Downstream impact and the diagnoses. */
  downstreamMs?: number;
  /** Embedding the sample alone and padded, and comparing the two. */
  batchInvarianceMs?: number;
}

/** Wall time of the run's phases that are not one backend's, in milliseconds. */
export interface RunTiming {
  /** Max |a - b| between every two vector sets. */
  pairwiseMs: number;
  /**
   * From the start of the run to its verdict, before any report file is written: the time to verdict
   * that report.html and summary.md show ("up to writing the report"), since they are written before
   * the writing can be timed. Absent in older reports.
   */
  verdictMs?: number;
  /**
   * Rendering and writing every report file (report.json is then written again with this figure).
   * Absent only in the report the files are rendered from, and in a report.json cut short before its second write.
   */
  reportMs?: number;
  /** From the start of the run to its report written: the time to verdict. Absent when reportMs is. */
  totalMs?: number;
  /** How many backends worked at once (run/lanes.ts); absent in older reports (one at a time). */
  jobs?: number;
  /** CPU threads each backend got where its config sets none (lanes.ts threadsPerBackend); absent: each runtime's own default. */
  threadsPerBackend?: number;
  /** The report whose backend times set the start order, longest first (run/start-order.ts); absent: config order. */
  longestFirstBy?: string;
}

export interface Report {
  schemaVersion: number;
  tool: { name: 'parity'; version: string };
  createdAt: string;
  command: string[];
  verdict: Verdict;
  config: string | null;
  model: {
    dir: string;
    files: Record<string, string>;
    pooling: string;
    normalize: boolean;
    maxSeqLength: number;
    tokenizer: string;
    /** The prompt prepended to every text (config_sentence_transformers.json), absent in older reports. */
    prompt?: { name: string; text: string } | null;
    /** Pooling's include_prompt: false leaves the prompt's tokens out of pooling. */
    includePrompt?: boolean;
    /** Matryoshka truncate_dim (null: every dimension). */
    truncateDim?: number | null;
    /** The model id and snapshot revision when the config named a model id (resolved in the Hugging Face cache). */
    hub?: { id: string; revision: string };
  } | null;
  corpus: {
    path: string;
    sha256: string;
    count: number;
    ids: string[];
    /** The texts, in corpus order (same length as ids), so renderers can show them; optional. */
    texts?: string[];
    /** Present when this run compared one shard: `ids`/`texts` and every per-row array then hold these rows. */
    shard?: { index: number; count: number; rows: number[] };
  };
  golden: { path: string; dtype: string; shape: [number, number]; backend: string | null; createdAt: string | null };
  backends: BackendReport[];
  /** Max |a - b| between every pair of backends that produced vectors (golden included as "golden"). */
  pairwise: { names: string[]; maxAbs: number[][] };
  warnings: string[];
  packages: Record<string, string>;
  /** Sizes of the diagnosis checks this run used. */
  checks?: ChecksConfig;
  /**
   * The run's embedding choices as resolved (the prompt that applied by name, truncateDim): with
   * `batching`, `checks`, `watch` and `model.dir` the run identity `merge` rebuilds (run/identity.ts).
   */
  embedding?: ResolvedEmbedding;
  /** How texts were batched (blocks, length-sorted batches): `merge` needs it to judge batch-length expectations. */
  batching?: { batchSize: number; blockTexts: number };
  /** The config's watched elements: golden and every backend's value (absent when none configured). */
  watch?: WatchedElement[];
  /** What changed since the baseline run (`run --baseline`), backend by backend (absent without one). */
  baseline?: BaselineDiff;
  /** Where the run's time went (absent in older reports and in merged ones). */
  timing?: RunTiming;
}

/**
 * error if any backend errored or none ran; fail if any failed (or, with `strict`, passed while
 * expected to fail); otherwise pass. xfail never fails a run: that is its purpose.
 */
export function overallVerdict(backends: readonly Pick<BackendReport, 'status'>[], { strict = false } = {}): Verdict {
  if (backends.some((b) => b.status === 'error')) return 'error';
  if (backends.every((b) => b.status === 'skipped')) return 'error';
  if (backends.some((b) => b.status === 'fail' || (strict && b.status === 'xpass'))) return 'fail';
  return 'pass';
}

/**
 * Per-row arrays for every row up to `maxRows` rows; above that only the `maxRows` worst rows by
 * cosine Δ (listed in `rows`), so report.json stays a file people attach to CI runs and the run's
 * memory does not grow with the corpus.
 */
export function serializeDetails(d: Details, minLog10: number, binsPerDecade: number, maxRows = Infinity): SerializedDetails {
  const n = d.cosineDelta.length;
  const common = { dimMaxAbs: Array.from(d.dimMaxAbs), histogram: { minLog10, binsPerDecade, counts: d.histogram }, worst: d.worst };
  if (n <= maxRows) {
    return { cosineDelta: Array.from(d.cosineDelta), rowMaxAbs: Array.from(d.rowMaxAbs), normDelta: Array.from(d.normDelta), ...common };
  }
  const worst = Array.from({ length: n }, (_, i) => i)
    .sort((a, b) => d.cosineDelta[b] - d.cosineDelta[a] || d.rowMaxAbs[b] - d.rowMaxAbs[a] || a - b)
    .slice(0, maxRows)
    .sort((a, b) => a - b);
  return {
    rows: worst,
    cosineDelta: worst.map((r) => d.cosineDelta[r]),
    rowMaxAbs: worst.map((r) => d.rowMaxAbs[r]),
    normDelta: worst.map((r) => d.normDelta[r]),
    ...common,
  };
}
