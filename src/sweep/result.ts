/**
 * What `parity sweep` produces (sweep.json's shape, docs/report-schema.md): below the sweep's
 * orchestration (sweep.ts), its judge (judge.ts), renderers (render.ts) and reader (read.ts).
 */
import type { ResolvedEmbedding } from '../model/model-folder.js';
import type { Tolerance } from '../compare/tolerance.js';
import type { BackendStatus, Verdict } from '../report/report.js';
import type { Isolation } from '../run/sessions.js';

export type PointStatus = 'pass' | 'fail' | 'error' | 'skipped';

export interface SweepPoint {
  length: number;
  status: PointStatus;
  reason?: string;
  /** Over the three rows (probe alone, probe batched, companion batched) vs the trusted backend. */
  maxAbs?: number;
  mismatches?: number;
  total?: number;
  cosineDelta?: number;
  nonFinite?: number;
  /** The backend's own batched rows vs its alone rows (probe and companion). */
  batchVsAloneMaxAbs?: number;
  /** Max abs of the probe embedded alone only: tells "breaks with length" from "breaks when padded". */
  aloneMaxAbs?: number;
  embedMs?: number;
  /** A length `--refine` added while bisecting between the grid's last pass and first failure. */
  refined?: boolean;
  /** The truncation check only: the model's limit the text must be cut to (it is `length` tokens whole). */
  truncatedTo?: number;
}

export interface SweepBackend {
  name: string;
  runtime: string;
  precision: string;
  tolerance: Tolerance;
  status: 'ok' | 'skipped' | 'error';
  reason?: string;
  /** 'shape' when the failure is a shape mismatch (named, never excused). */
  errorKind?: 'shape' | 'other';
  points: SweepPoint[];
  firstFailingLength: number | null;
  lastPassingLength: number | null;
  /** With `--refine`: the grid lengths (last pass, first failure) the boundary was bisected between. */
  refinedBetween?: [number, number];
  /**
   * When a requested length is past the model's limit (skipped as a length): that text embedded once
   * more as a truncation check — every backend must cut it to the limit as sentence-transformers
   * does. A divergence here fails the backend although every length that ran agreed.
   */
  truncation?: SweepPoint;
  diagnosis: string;
  /** A configured expected failure that applies: failing is xfail, passing is xpass. */
  expected?: { reason: string; outcome: 'xfail' | 'xpass' };
  /** Its lengths judged by evaluate/lengths.ts, as `run` judges a backend. */
  verdict: BackendStatus;
}

export interface SweepResult {
  schema: 'parity-sweep/1';
  model: string;
  /** The run identity's prompt and truncateDim the probes were embedded with (absent in older sweep.json). */
  embedding?: ResolvedEmbedding;
  modelMaxLength: number;
  trusted: string;
  lengths: number[];
  companionLength: number;
  /** How the backends ran: "process" (a worker process per backend; the WebGPU ones share one) or "none" (in this process). */
  isolation: Isolation;
  probes: { length: number; status: 'ok' | 'skipped'; reason?: string }[];
  backends: SweepBackend[];
  /** Things worth knowing that did not fail the sweep (backends ran in-process for want of a build). */
  warnings: string[];
  /** The backends' verdicts rolled up as `run` rolls up a report's (report.ts overallVerdict): also the exit code. */
  verdict: Verdict;
}
