/**
 * `parity sweep`: finds the sequence length at which a backend starts to disagree. For each length it
 * builds a probe of exactly that many tokens, embeds it alone and padded in one batch next to a short
 * companion text (so the companion carries length-8 tokens of real text and L-8 padded positions), and
 * compares three rows — probe alone, probe batched, companion batched — with a trusted backend.
 *
 * Why the companion: in a bidirectional encoder a masking sentinel can only change a vector through
 * rows whose nearest unmasked key is far away, which are padded rows; a long run of padding next to a
 * short text is where they arise and where an overflow in them (fp16) can leak into real rows as
 * 0·NaN. Under causal ALiBi a masked key is a future or padded one whose bias grows with distance, and
 * the companion's first rows are the first to have one far enough away (tiny-alibi-causal at 3125).
 *
 * This file is the orchestration only: probes, sessions, the trusted vectors, the order of lengths
 * and --refine. Each length is judged in judge.ts through evaluate/ (as `run` judges a corpus), its
 * sentence is diagnosis.ts, the result's shape result.ts, and the output render.ts.
 */
import { sep } from 'node:path';
import type { Matrix } from '../numeric/matrix.js';
import { fmt } from '../numeric/format.js';
import { loadConfig, selectBackends, type BackendConfig } from '../config/config.js';
import type { MeasuredRows } from '../evaluate/lengths.js';
import { BackendError, InputError, describeCause } from '../errors.js';
import { displayPath } from '../io/display-path.js';
import { overallVerdict } from '../report/report.js';
import { readMetaBeside } from '../golden/golden.js';
import { openSessions, type Isolation, type SessionFactory } from '../run/sessions.js';
import type { BackendSession } from '../run/session.js';
import { ModelContexts } from '../tokenize/model-context.js';
import { describeTruncation, summarize } from './diagnosis.js';
import { comparePoint, errorKind, judgeLengths, lengthRows } from './judge.js';
import { identityFromConfig, modelContext } from '../run/identity.js';
import { PROBE_SEED, probeText, singleTokenWords, type Probe } from './probes.js';
import type { SweepBackend, SweepPoint, SweepResult } from './result.js';

export const DEFAULT_LENGTHS = [8, 32, 128, 512, 2048, 8192];
/** Token length of the companion text padded next to each probe. */
export const COMPANION_LENGTH = 8;

export interface SweepOptions {
  config?: string;
  backends?: string[];
  against?: string;
  lengths?: number[];
  /** Overrides the config's isolation ("none" runs backends in this process), as for `parity run`. */
  isolation?: Isolation;
  /**
   * Bisect each backend's boundary between the last grid length that passes and the first that
   * fails, down to one token: the first failing length exactly, at the cost of about log2(gap) more
   * lengths per backend (the trusted vectors of each are computed once and shared).
   */
  refine?: boolean;
  onProgress?: (line: string) => void;
}

/**
 * The trusted backend: --against; else the backend the config's golden was made with (its
 * .meta.json names it) when the config has it; else the float64 reference; else any fp64 backend
 * (PyTorch float64).
 */
export function pickTrusted(all: BackendConfig[], against: string | undefined, goldenPath?: string): BackendConfig {
  if (against) {
    const b = all.find((x) => x.name === against);
    if (!b) throw new InputError(`--against "${against}" is not a backend in the config (known: ${all.map((x) => x.name).join(', ')})`);
    return b;
  }
  const goldenBackend = goldenPath ? readMetaBeside(goldenPath)?.meta.backend?.name : undefined;
  const b = all.find((x) => x.name === goldenBackend) ?? all.find((x) => x.runtime === 'reference') ?? all.find((x) => x.precision === 'fp64');
  if (!b) throw new InputError('sweep: the config has no reference/fp64 backend to trust; name one with --against');
  return b;
}

/** Why a backend skips a length: the config's `maxTokens` for it is below the length. */
export function backendLimitReason(spec: Pick<BackendConfig, 'name' | 'maxTokens'>, length: number): string | null {
  return spec.maxTokens !== undefined && length > spec.maxTokens ? `longer than backend ${spec.name}'s limit of ${spec.maxTokens} tokens (maxTokens)` : null;
}

export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const config = loadConfig(options.config);
  const lengths = [...new Set(options.lengths ?? DEFAULT_LENGTHS)].sort((a, b) => a - b);
  // The run identity, as `parity run` builds it: the probes are measured with the harness tokenizer
  // of the run's prompt, and every backend embeds with that prompt and truncateDim.
  const identity = identityFromConfig(config);
  const withIdentity = (b: BackendConfig): BackendConfig => ({ ...b, embedding: identity.embedding });
  const trusted = withIdentity(pickTrusted(config.backends, options.against, config.golden));
  const selected = selectBackends(config, options.backends).filter((b) => b.name !== trusted.name).map(withIdentity);
  const contexts = new ModelContexts();
  const ctx = await modelContext(identity, contexts);
  const words = singleTokenWords(ctx.model.dir, ctx.tokenizer);
  const maxLength = ctx.tokenizer.maxLength;
  const log = options.onProgress ?? (() => {});

  // Where the limit comes from, with the model folder (already in sweep.json's `model`) left out.
  const limitSource = ctx.model.sources.maxSeqLength.split(`${ctx.model.dir}${sep}`).join('');
  // A probe of exactly `length` tokens, or null when the tokenizer does not keep it at that length.
  const probeAt = (length: number): Probe | null => {
    const p = probeText(words, ctx.tokenizer, length, PROBE_SEED);
    return p && ctx.tokenizer.encode(p.text).ids.length === length ? p : null;
  };
  const probes = new Map<number, Probe>();
  const probeStatus: SweepResult['probes'] = [];
  for (const length of lengths) {
    if (length > maxLength) {
      probeStatus.push({ length, status: 'skipped', reason: `longer than the model's limit of ${maxLength} tokens (${limitSource})` });
      continue;
    }
    // Without trusted vectors no backend can be judged at this length.
    const trustedLimit = backendLimitReason(trusted, length);
    if (trustedLimit) {
      probeStatus.push({ length, status: 'skipped', reason: trustedLimit });
      continue;
    }
    const p = probeAt(length);
    if (!p) {
      const raw = probeText(words, ctx.tokenizer, length, PROBE_SEED);
      probeStatus.push({ length, status: 'skipped', reason: raw ? `probe encodes to ${ctx.tokenizer.encode(raw.text).ids.length} tokens, not ${length}` : 'shorter than the special tokens' });
      continue;
    }
    probes.set(length, p);
    probeStatus.push({ length, status: 'ok' });
  }
  const companionFor = (length: number) => probeText(words, ctx.tokenizer, Math.min(COMPANION_LENGTH, Math.max(3, length >> 1)), PROBE_SEED + 1)!;

  // Backends run where `parity run` would run them (worker processes by default), so a backend that
  // crashes or hangs at one length costs its own points, not the sweep.
  const warnings: string[] = [];
  const sessions = openSessions(options.isolation ?? config.isolation, contexts, Math.max(2, identity.batching.batchSize), warnings);
  // The first requested length past the model's limit, as a truncation check: its probe is that
  // many tokens whole and the harness tokenizer (as sentence-transformers) cuts it to the limit.
  const beyond = lengths.find((l) => l > maxLength);
  const truncationProbe = beyond === undefined ? null : probeText(words, ctx.tokenizer, beyond, PROBE_SEED);
  if (truncationProbe && ctx.tokenizer.encode(truncationProbe.text).ids.length !== maxLength) throw new Error(`sweep: a ${beyond}-token probe did not truncate to ${maxLength} tokens`);
  let golden: TrustedVectors | null = null;
  try {
    golden = await TrustedVectors.open(trusted, companionFor, sessions, log);
    for (const [length, p] of probes) await golden.at(length, p);
    // Not when the trusted backend's own maxTokens is below the model's limit: nothing to compare with.
    const truncation = truncationProbe && !backendLimitReason(trusted, maxLength) ? { probe: truncationProbe, limit: maxLength } : null;
    if (truncation) await golden.at(truncation.probe.length, truncation.probe);
    const backends: SweepBackend[] = [];
    for (const spec of selected) backends.push(await sweepBackend(spec, probes, probeStatus, golden, companionFor, sessions, log, options.refine ? probeAt : null, truncation));
    // As `run` rolls up its backends: an error (or nothing that ran) exits 2, a failure 1.
    const verdict = overallVerdict(backends.map((b) => ({ status: b.verdict })));
    return {
      schema: 'parity-sweep/1',
      // As report.json's model.dir: relative to the working folder, no machine path in a shared page.
      model: displayPath(ctx.model.dir),
      embedding: identity.embedding,
      modelMaxLength: maxLength,
      trusted: trusted.name,
      lengths,
      companionLength: COMPANION_LENGTH,
      isolation: sessions.isolation,
      probes: probeStatus,
      backends,
      warnings,
      verdict,
    };
  } finally {
    await golden?.close();
    await sessions.close();
  }
}

/**
 * Trusted vectors: each text alone (a reference is exact per sequence; any other trusted backend is
 * asked for each text on its own so no padding enters the golden), per length, computed once and
 * kept, with the session open for the lengths --refine asks for later. Without them nothing can be
 * judged, so a trusted backend that fails ends the sweep (exit 2) rather than becoming a point.
 */
class TrustedVectors {
  private readonly cache = new Map<number, { probe: Matrix; companion: Matrix }>();

  private constructor(
    private readonly trusted: BackendConfig,
    private readonly session: BackendSession,
    private readonly companionFor: (length: number) => Probe,
    private readonly log: (line: string) => void,
  ) {}

  static async open(trusted: BackendConfig, companionFor: (length: number) => Probe, sessions: SessionFactory, log: (line: string) => void): Promise<TrustedVectors> {
    const session = sessions.session(trusted, 1);
    const opened = await session.open(performance.now() + trusted.timeoutMs);
    if (opened.status !== 'ok') {
      await session.close();
      throw new InputError(`sweep: the trusted backend "${trusted.name}" cannot run: ${opened.reason}`);
    }
    return new TrustedVectors(trusted, session, companionFor, log);
  }

  async at(length: number, p: Probe): Promise<{ probe: Matrix; companion: Matrix }> {
    const known = this.cache.get(length);
    if (known) return known;
    const started = performance.now();
    // Per length: the float64 reference alone can take minutes at 8192 tokens.
    const deadline = started + this.trusted.timeoutMs;
    try {
      const vectors = { probe: await this.session.embed([p.text], deadline), companion: await this.session.embed([this.companionFor(length).text], deadline) };
      this.cache.set(length, vectors);
      this.log(`${this.trusted.name} (trusted) ${length} tokens: ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return vectors;
    } catch (error) {
      throw new BackendError(this.trusted.name, `the trusted backend failed at ${length} tokens, so the sweep cannot judge any backend: ${describeCause(error)}`, { cause: error });
    }
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

async function sweepBackend(
  spec: BackendConfig,
  probes: Map<number, Probe>,
  probeStatus: SweepResult['probes'],
  golden: TrustedVectors,
  companionFor: (length: number) => Probe,
  sessions: SessionFactory,
  log: (line: string) => void,
  probeAt: ((length: number) => Probe | null) | null,
  truncationCheck: { probe: Probe; limit: number } | null,
): Promise<SweepBackend> {
  const base = { name: spec.name, runtime: spec.runtime, precision: spec.precision, tolerance: spec.tolerance };
  // Both texts of a batched call must share one padded batch: the factory's batch size is at least 2.
  const session = sessions.session(spec);
  const deadline = performance.now() + spec.timeoutMs;
  const opened = await session.open(deadline);
  if (opened.status !== 'ok') {
    await session.close();
    const kind = errorKind(opened.reason);
    const reason = kind === 'shape' ? `shape error: ${opened.reason}` : opened.reason;
    const points = probeStatus.map((p): SweepPoint => ({ length: p.length, status: opened.status === 'skipped' ? 'skipped' : 'error', reason: `did not open (${kind === 'shape' && opened.status === 'error' ? 'shape error' : opened.status}, above)` }));
    // As in `run`: a backend that did not run is skipped or an error, which no expectation excuses.
    return {
      ...base,
      status: opened.status,
      reason,
      ...(opened.status === 'error' ? { errorKind: kind } : {}),
      points,
      firstFailingLength: opened.status === 'error' ? (probeStatus[0]?.length ?? null) : null,
      lastPassingLength: null,
      diagnosis: opened.status === 'skipped' ? `skipped: ${opened.reason}` : `${kind === 'shape' ? 'shape error' : 'error'} before any length ran: ${opened.reason}`,
      verdict: opened.status,
    };
  }
  const points: SweepPoint[] = [];
  /** Each measured point's rows, judged again with the expectation once the environment is known. */
  const measured = new Map<SweepPoint, MeasuredRows>();
  let environment: Record<string, unknown> = {};
  /** One length: the probe alone, the companion alone, both in one padded batch, against the trusted vectors. */
  const measure = async (length: number, probe: Probe, extra: Pick<SweepPoint, 'refined' | 'truncatedTo'> = {}): Promise<SweepPoint> => {
    const g = await golden.at(length, probe);
    const companion = companionFor(length);
    const texts = { length, companionTokens: companion.length, ...(extra.truncatedTo !== undefined ? { truncatedTo: extra.truncatedTo } : {}) };
    const started = performance.now();
    let point: SweepPoint;
    try {
      const alone = await session.embed([probe.text], deadline);
      const companionAlone = await session.embed([companion.text], deadline);
      const batched = await session.embed([probe.text, companion.text], deadline);
      point = { ...comparePoint(texts, spec.tolerance, g, alone, companionAlone, batched, performance.now() - started), ...extra };
      measured.set(point, lengthRows(texts, g, alone, batched, companionAlone));
    } catch (error) {
      const message = describeCause(error);
      point = { length, status: 'error', reason: errorKind(message) === 'shape' ? `shape error: ${message}` : message, ...extra };
    }
    log(`${spec.name} ${length} tokens: ${point.status}${point.maxAbs !== undefined ? ` max abs ${fmt(point.maxAbs)}` : ''} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    return point;
  };
  let refinedBetween: [number, number] | undefined;
  let truncation: SweepPoint | undefined;
  try {
    for (const p of probeStatus) {
      const probe = probes.get(p.length);
      if (!probe) {
        points.push({ length: p.length, status: 'skipped', reason: p.reason });
        continue;
      }
      const limit = backendLimitReason(spec, p.length);
      if (limit) {
        points.push({ length: p.length, status: 'skipped', reason: limit });
        continue;
      }
      // timeoutMs bounds the whole backend, as in `parity run`: once a hang has used it up, asking
      // again would only start (and kill) another worker per length.
      if (performance.now() >= deadline) {
        points.push({ length: p.length, status: 'error', reason: `not run: backend ${spec.name} used up its timeoutMs (${spec.timeoutMs} ms) at a shorter length` });
        continue;
      }
      points.push(await measure(p.length, probe));
    }
    if (probeAt) refinedBetween = await refine(points, (length) => backendLimitReason(spec, length) === null && performance.now() < deadline, probeAt, measure);
    // A backend whose own limit is below the model's cannot take the truncated text either.
    if (truncationCheck && !backendLimitReason(spec, truncationCheck.limit) && performance.now() < deadline) {
      truncation = await measure(truncationCheck.probe.length, truncationCheck.probe, { truncatedTo: truncationCheck.limit });
    }
  } finally {
    environment = await session.environment();
    await session.close();
  }
  const all = truncation ? [...points, truncation] : points;
  const { verdict, expected } = judgeLengths(spec, environment, measured, all);
  const summary = summarize(points);
  if (refinedBetween) summary.diagnosis += ` (bisected between ${refinedBetween[0]} and ${refinedBetween[1]}: ${points.filter((p) => p.refined).length} more lengths)`;
  if (truncation) summary.diagnosis += `; ${describeTruncation(truncation)}`;
  const errors = all.filter((x) => x.status === 'error');
  return {
    ...base,
    status: 'ok',
    ...(errors.length ? { errorKind: errors.some((x) => x.reason?.startsWith('shape error')) ? 'shape' : 'other' } : {}),
    points,
    ...(refinedBetween ? { refinedBetween } : {}),
    ...(truncation ? { truncation } : {}),
    ...summary,
    verdict,
    ...(expected ? { expected } : {}),
  };
}

/**
 * --refine: binary search between the last grid length that passes and the first that fails (a
 * divergence, not an error), one token at a time, so the first failing length is exact. Stops early
 * when a length errors, has no exact-length probe, or the backend's limit or time is up. Adds the
 * lengths it measured to `points` (sorted, marked `refined`) and returns the pair it bisected.
 */
async function refine(
  points: SweepPoint[],
  allowed: (length: number) => boolean,
  probeAt: (length: number) => Probe | null,
  measure: (length: number, probe: Probe, extra: { refined: true }) => Promise<SweepPoint>,
): Promise<[number, number] | undefined> {
  const ran = points.filter((p) => p.status !== 'skipped');
  const firstBad = ran.findIndex((p) => p.status === 'fail' || p.status === 'error');
  if (firstBad <= 0 || ran[firstBad].status !== 'fail' || ran[firstBad - 1].status !== 'pass') return undefined;
  let lo = ran[firstBad - 1].length;
  let hi = ran[firstBad].length;
  if (hi - lo <= 1) return undefined;
  const between: [number, number] = [lo, hi];
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const probe = allowed(mid) ? probeAt(mid) : null;
    if (!probe) break;
    const point = await measure(mid, probe, { refined: true });
    points.push(point);
    if (point.status === 'pass') lo = mid;
    else if (point.status === 'fail') hi = mid;
    else break;
  }
  points.sort((a, b) => a.length - b.length);
  return between;
}
