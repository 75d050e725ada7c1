/**
 * parity.config.json: which model, corpus and golden, and which backends with which tolerances.
 * Paths are relative to the config file. Every key is validated, and an error names the key, the
 * file and what is expected, because a typo in a tolerance silently loosening CI is the worst outcome.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BackendSpec } from '../backends/backend.js';
import { RUNTIMES } from '../backends/runtimes.js';
import { DEFAULT_TOLERANCE, type Tolerance } from '../compare/tolerance.js';
import { InputError } from '../errors.js';
import { readJson } from '../io/read-json.js';
import { looksLikeModelId, resolveModelRef, type HubModel } from '../model/hub-cache.js';
import type { EmbeddingChoices } from '../model/model-folder.js';
import { parseExpectation, type Expectation } from './expectation.js';
import { parseWatch, type WatchSpec } from './watch.js';
import { parseBatchInvarianceThresholds, parseChecks, parseDownstreamThresholds, parseDriftLimits, type BatchInvarianceThresholds, type ChecksConfig, type DownstreamThresholds, type DriftLimits } from './checks.js';

export type Precision = 'fp64' | 'fp32' | 'fp16';

export interface BackendConfig extends BackendSpec {
  precision: Precision;
  tolerance: Tolerance;
  /** Per-backend wall-clock limit for open + embed, milliseconds. */
  timeoutMs: number;
  /** Free text from the config (why these tolerances, say); shown in reports. */
  note?: string;
  /** A known divergence: failing is expected (xfail) while the `when` conditions hold. */
  expect?: Expectation;
  /** Optional limits on the downstream-impact figures (reported either way). */
  downstream?: DownstreamThresholds;
  /** Optional limit on how much a padded batch may change a vector (reported either way). */
  batchInvariance?: BatchInvarianceThresholds;
  /** Optional limits on the change since a baseline run (`run --baseline`; reported either way). */
  drift?: DriftLimits;
  /**
   * Most tokens per text (special tokens included) this backend accepts, when it is below the model's
   * own limit (a server's max input, an export with a fixed position table). Read by `parity sweep`,
   * which skips longer lengths for this backend with that reason; `parity run` does not use it.
   */
  maxTokens?: number;
  /** The run's prompt and truncate_dim (the config's top-level keys, or --prompt-name), carried to worker processes. */
  embedding: EmbeddingChoices;
}

export interface ParityConfig {
  path: string;
  dir: string;
  /** The model folder: the config's folder path, or the cache snapshot of its model id. */
  model: string;
  /** When `model` is a model id: the id and the snapshot's revision (resolved in the local Hugging Face cache). */
  hub: HubModel | null;
  corpus: string;
  golden: string;
  batchSize: number;
  /** Texts per streamed block (rounded up to whole batches); default 16 batches. */
  blockTexts?: number;
  /** "process": each backend runs in a worker process (the WebGPU ones share one), so a crash or hang loses only it. */
  isolation: 'process' | 'none';
  /** How many backends work at once (run/lanes.ts); default 2 (1 on one core) in worker processes, 1 in-process. */
  jobs?: number;
  /** Sizes of the diagnosis checks (downstream impact, batch invariance). */
  checks: ChecksConfig;
  /** Single elements every report shows for every backend (e.g. text "seed-2024", dim 383). */
  watch: WatchSpec[];
  /** `promptName` and `truncateDim`: what sentence-transformers' encode(prompt_name=…, truncate_dim=…) would be given. */
  embedding: EmbeddingChoices;
  backends: BackendConfig[];
}

export const DEFAULT_CONFIG_FILE = 'parity.config.json';
const TOP_KEYS = ['$schema', 'model', 'revision', 'corpus', 'golden', 'batchSize', 'blockTexts', 'timeoutMs', 'isolation', 'jobs', 'checks', 'promptName', 'truncateDim', 'watch', 'backends'];
const COMMON_BACKEND_KEYS = ['name', 'runtime', 'precision', 'tolerance', 'timeoutMs', 'modelDir', 'note', 'expect', 'downstream', 'batchInvariance', 'drift', 'maxTokens'];
const TOLERANCE_KEYS = ['atol', 'rtol', 'cosine', 'mismatchRatio'];

class Checker {
  constructor(private readonly file: string) {}
  fail(key: string, expected: string, got: unknown): never {
    throw new InputError(`${this.file}: "${key}" must be ${expected}, got ${JSON.stringify(got)}`);
  }
  string(obj: Record<string, unknown>, key: string, path: string): string {
    const v = obj[key];
    if (typeof v !== 'string' || v === '') this.fail(path, 'a non-empty string', v);
    return v;
  }
  number(v: unknown, path: string, { min = 0, integer = false } = {}): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
      this.fail(path, `${integer ? 'an integer' : 'a number'} >= ${min}`, v);
    }
    return v;
  }
  keys(obj: Record<string, unknown>, allowed: readonly string[], path: string): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        throw new InputError(`${this.file}: unknown key "${path ? `${path}.` : ''}${key}" (allowed: ${allowed.join(', ')})`);
      }
    }
  }
  object(v: unknown, path: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'an object', v);
    return v as Record<string, unknown>;
  }
}

export function parseTolerance(raw: unknown, base: Tolerance, check: Checker, path: string): Tolerance {
  if (raw === undefined) return { ...base };
  const obj = check.object(raw, path);
  check.keys(obj, TOLERANCE_KEYS, path);
  const t: Tolerance = { ...base };
  if (obj.atol !== undefined) t.atol = check.number(obj.atol, `${path}.atol`);
  if (obj.rtol !== undefined) t.rtol = check.number(obj.rtol, `${path}.rtol`);
  if (obj.cosine !== undefined) t.cosine = check.number(obj.cosine, `${path}.cosine`);
  if (obj.mismatchRatio !== undefined) {
    t.mismatchRatio = check.number(obj.mismatchRatio, `${path}.mismatchRatio`);
    if (t.mismatchRatio > 1) check.fail(`${path}.mismatchRatio`, 'a fraction between 0 and 1', obj.mismatchRatio);
  }
  return t;
}

export function parseConfig(raw: unknown, file: string): ParityConfig {
  const check = new Checker(file);
  const dir = dirname(resolve(file));
  const obj = check.object(raw, '(top level)');
  check.keys(obj, TOP_KEYS, '');
  if (obj.revision !== undefined && (typeof obj.revision !== 'string' || obj.revision === '')) check.fail('revision', 'a branch, tag or commit of the model id in "model"', obj.revision);
  const modelRef = check.string(obj, 'model', 'model');
  const revision = obj.revision as string | undefined;
  // A model id missing from the cache is an error once the config is loaded to be used (loadConfig),
  // not here: parsing alone (init's check, tests) needs no model on disk.
  const { dir: model, hub } = resolveConfigModel(modelRef, dir, revision);
  const corpus = resolve(dir, check.string(obj, 'corpus', 'corpus'));
  const golden = resolve(dir, check.string(obj, 'golden', 'golden'));
  const batchSize = obj.batchSize === undefined ? 16 : check.number(obj.batchSize, 'batchSize', { min: 1, integer: true });
  const defaultTimeout = obj.timeoutMs === undefined ? 600_000 : check.number(obj.timeoutMs, 'timeoutMs', { min: 1, integer: true });
  const blockTexts = obj.blockTexts === undefined ? undefined : check.number(obj.blockTexts, 'blockTexts', { min: 1, integer: true });
  const isolation = obj.isolation ?? 'process';
  if (isolation !== 'process' && isolation !== 'none') check.fail('isolation', '"process" or "none"', obj.isolation);
  const isolationMode = isolation as 'process' | 'none';
  const jobs = obj.jobs === undefined ? undefined : check.number(obj.jobs, 'jobs', { min: 1, integer: true });
  const embedding: EmbeddingChoices = {};
  if (obj.promptName !== undefined) {
    if (obj.promptName !== null && typeof obj.promptName !== 'string') check.fail('promptName', 'a prompt name from the model\'s config_sentence_transformers.json, or null for none', obj.promptName);
    embedding.promptName = obj.promptName as string | null;
  }
  if (obj.truncateDim !== undefined) embedding.truncateDim = check.number(obj.truncateDim, 'truncateDim', { min: 1, integer: true });
  if (!Array.isArray(obj.backends) || obj.backends.length === 0) check.fail('backends', 'a non-empty array of backend entries', obj.backends);

  const names = new Set<string>();
  const backends = (obj.backends as unknown[]).map((entry, i): BackendConfig => {
    const path = `backends[${i}]`;
    const b = check.object(entry, path);
    const name = check.string(b, 'name', `${path}.name`);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) check.fail(`${path}.name`, 'letters, digits, ".", "_" or "-"', name);
    if (names.has(name)) throw new InputError(`${file}: backend name "${name}" appears twice (${path})`);
    names.add(name);
    const runtime = check.string(b, 'runtime', `${path}.runtime`);
    const entryRuntime = RUNTIMES[runtime];
    if (!entryRuntime) check.fail(`${path}.runtime`, `one of ${Object.keys(RUNTIMES).join(', ')}`, runtime);
    check.keys(b, [...COMMON_BACKEND_KEYS, ...entryRuntime.optionKeys], path);
    const precision = (b.precision ?? entryRuntime.defaultPrecision?.(b) ?? 'fp32') as Precision;
    if (!['fp64', 'fp32', 'fp16'].includes(precision)) check.fail(`${path}.precision`, 'one of fp64, fp32, fp16', b.precision);
    const tolerance = parseTolerance(b.tolerance, DEFAULT_TOLERANCE[precision], check, `${path}.tolerance`);
    const timeoutMs = b.timeoutMs === undefined ? defaultTimeout : check.number(b.timeoutMs, `${path}.timeoutMs`, { min: 1, integer: true });
    const modelDir = b.modelDir === undefined ? model : resolve(dir, check.string(b, 'modelDir', `${path}.modelDir`));
    const options: Record<string, unknown> = {};
    for (const key of entryRuntime.optionKeys) if (b[key] !== undefined) options[key] = b[key];
    const note = b.note === undefined ? undefined : check.string(b, 'note', `${path}.note`);
    const expect = parseExpectation(b.expect, file, `${path}.expect`);
    const downstream = parseDownstreamThresholds(b.downstream, file, `${path}.downstream`);
    const batchInvariance = parseBatchInvarianceThresholds(b.batchInvariance, file, `${path}.batchInvariance`);
    const drift = parseDriftLimits(b.drift, file, `${path}.drift`);
    // Named by backend, not only by index: the one line must say which entry to fix.
    if (b.maxTokens !== undefined && (typeof b.maxTokens !== 'number' || !Number.isInteger(b.maxTokens) || b.maxTokens < 1)) {
      throw new InputError(`${file}: backend "${name}" (${path}): "maxTokens" must be a positive integer (most tokens per text, special tokens included), got ${JSON.stringify(b.maxTokens)}`);
    }
    const maxTokens = b.maxTokens as number | undefined;
    return { name, runtime, modelDir, configDir: dir, options, precision, tolerance, timeoutMs, embedding, ...(note ? { note } : {}), ...(expect ? { expect } : {}), ...(downstream ? { downstream } : {}), ...(batchInvariance ? { batchInvariance } : {}), ...(drift ? { drift } : {}), ...(maxTokens !== undefined ? { maxTokens } : {}) };
  });
  return { path: resolve(file), dir, model, hub, corpus, golden, batchSize, ...(blockTexts ? { blockTexts } : {}), isolation: isolationMode, ...(jobs ? { jobs } : {}), checks: parseChecks(obj.checks, file), embedding, watch: parseWatch(obj.watch, file), backends };
}

export function loadConfig(file: string | undefined): ParityConfig {
  const path = resolve(file ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(path)) {
    throw new InputError(
      file && file !== DEFAULT_CONFIG_FILE
        ? `config file ${path} does not exist (run \`npx parity init --config ${file}\` to write one)`
        : `no ${DEFAULT_CONFIG_FILE} in ${dirname(path)}; run \`npx parity init\` to write one for your model (or pass --config FILE)`,
    );
  }
  const raw = readJson<Record<string, unknown>>(path, 'config');
  const config = parseConfig(raw, path);
  // The model is neither a folder nor in the cache: the cache's one line (where it looked, how to download).
  if (!existsSync(config.model) && typeof raw.model === 'string' && looksLikeModelId(raw.model)) resolveModelRef(raw.model, config.dir);
  return config;
}

/** The folder, or the cache snapshot of a model id; a missing one stays a folder path (see loadConfig). */
function resolveConfigModel(ref: string, dir: string, revision: string | undefined): ReturnType<typeof resolveModelRef> {
  if (revision !== undefined) return resolveModelRef(ref, dir, revision);
  try {
    return resolveModelRef(ref, dir);
  } catch (error) {
    if (error instanceof InputError) return { dir: resolve(dir, ref), hub: null };
    throw error;
  }
}

/** Picks the named backends, in the order asked; unknown names are one error listing the known ones. */
export function selectBackends(config: ParityConfig, names: readonly string[] | undefined): BackendConfig[] {
  if (!names || names.length === 0) return config.backends;
  const known = new Map(config.backends.map((b) => [b.name, b]));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) {
    throw new InputError(
      `unknown backend${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} ` +
        `(configured in ${config.path}: ${[...known.keys()].join(', ')})`,
    );
  }
  return [...new Set(names)].map((n) => known.get(n)!);
}
