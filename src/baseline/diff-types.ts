/**
 * What changed between a baseline run and this one (`parity run --baseline`, `parity diff A B`):
 * plain data, kept in report.json as `baseline` and rendered by every report format.
 * Schema: docs/report-schema.md ("baseline").
 */
import type { Moves } from '../compare/moved.js';
import type { DriftLimits } from '../config/checks.js';

/** One metric of one backend in both runs; `growth` is after ÷ before (see drift-metrics.ts). */
export interface MetricChange {
  key: string;
  before: number;
  after: number;
  /** after ÷ before: 1 unchanged, 2 doubled; Infinity from 0 (or a finite value) to non-zero (or NaN); 0 to 0 is 1. */
  growth: number;
}

/** A value of the environment (or a package version, a model file hash …) that differs between the runs. */
export interface EnvironmentChange {
  /** Dotted path: `intraOpNumThreads`, `adapter.subgroupMaxSize`, `packages.onnxruntime-node`. */
  key: string;
  /** As text; null where the run did not record it. */
  before: string | null;
  after: string | null;
}

export interface BackendDrift {
  name: string;
  /** `both`, or the one run it is in (named, never dropped). */
  in: 'both' | 'baseline' | 'current';
  /** Status in each run (null in the run it is missing from). */
  statusBefore: string | null;
  statusAfter: string | null;
  /** Every metric both runs measured, in a fixed order (empty unless both produced vectors). */
  metrics: MetricChange[];
  /** The vectors themselves, when both runs kept them; otherwise null and `movesNotCompared` says why. */
  moves: Moves | null;
  movesNotCompared?: string;
  /** The backend's environment and tolerance, key by key, where they differ. */
  environment: EnvironmentChange[];
  /** The drift limits applied (this run's config), and every one broken, one line each. */
  limits?: DriftLimits;
  exceeded: string[];
}

export interface BaselineDiff {
  /** The baseline report as given, its date, verdict and parity version. */
  baseline: { path: string; createdAt: string; verdict: string; version: string | null };
  /** Every backend of either run: this run's order, then those only in the baseline. */
  backends: BackendDrift[];
  /** Text ids compared in one run only: how many, and the first ones. */
  texts: { onlyInBaseline: { count: number; ids: string[] }; onlyInCurrent: { count: number; ids: string[] } };
  /** Run-wide differences: packages, model files, corpus, golden. */
  environment: EnvironmentChange[];
}
