/**
 * Runs one backend over the corpus, isolated: whatever it throws or however long it hangs, the caller
 * gets an outcome (vectors, skipped with reason, or error with reason) and the other backends go on.
 */
import type { Backend, Matrix } from '../backends/backend.js';
import { describeCause } from '../errors.js';
import type { ModelContexts } from './model-context.js';

export type EmbedOutcome =
  | { status: 'ok'; vectors: Matrix; environment: Record<string, unknown>; timing: Timing }
  | { status: 'skipped'; reason: string; environment: Record<string, unknown> }
  | { status: 'error'; reason: string; error: unknown; environment: Record<string, unknown>; timing?: Partial<Timing> };

export interface Timing {
  openMs: number;
  embedMs: number;
  textsPerSecond: number;
}

export interface EmbedRequest {
  backend: Backend;
  modelDir: string;
  texts: readonly string[];
  batchSize: number;
  timeoutMs: number;
  contexts: ModelContexts;
}

class TimeoutError extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${ms} ms (timeoutMs)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function safeEnvironment(backend: Backend): Record<string, unknown> {
  try {
    return backend.environment();
  } catch (error) {
    return { environmentError: describeCause(error) };
  }
}

export async function embedWithBackend(req: EmbedRequest): Promise<EmbedOutcome> {
  const { backend } = req;
  let availability;
  try {
    availability = await backend.availability();
  } catch (error) {
    return { status: 'error', reason: `availability check failed: ${describeCause(error)}`, error, environment: {} };
  }
  if (!availability.available) return { status: 'skipped', reason: availability.reason, environment: safeEnvironment(backend) };

  const started = performance.now();
  let opened = 0;
  try {
    const vectors = await withTimeout(
      (async () => {
        const ctx = await req.contexts.get(req.modelDir);
        await backend.open({ model: ctx.model, tokenizer: ctx.tokenizer, batchSize: req.batchSize });
        opened = performance.now();
        return backend.embed(req.texts);
      })(),
      req.timeoutMs,
      `backend ${backend.name}`,
    );
    const done = performance.now();
    const embedMs = done - opened;
    return {
      status: 'ok',
      vectors,
      environment: safeEnvironment(backend),
      timing: { openMs: opened - started, embedMs, textsPerSecond: embedMs > 0 ? (req.texts.length * 1000) / embedMs : 0 },
    };
  } catch (error) {
    return { status: 'error', reason: describeCause(error), error, environment: safeEnvironment(backend) };
  } finally {
    try {
      await backend.close();
    } catch {
      /* closing a broken backend must not hide the original outcome */
    }
  }
}
