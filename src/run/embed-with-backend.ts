/**
 * Runs one backend over the corpus: whatever it throws or however long it hangs, the caller gets an
 * outcome (vectors, skipped with reason, or error with reason).
 */
import type { Backend } from '../backends/backend.js';
import type { Matrix } from '../numeric/matrix.js';
import { InProcessSession } from './in-process.js';
import { describeCause } from '../errors.js';
import type { EmbeddingChoices } from '../model/model-folder.js';
import type { ModelContexts } from '../tokenize/model-context.js';

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
  /** Prompt and truncate_dim for this run (default: the model's default prompt, all dimensions). */
  embedding?: EmbeddingChoices;
}

/**
 * The whole corpus in one call, through the same in-process session `run` uses block by block
 * (availability, open, embed and close under one deadline). For `golden` and tests.
 */
export async function embedWithBackend(req: EmbedRequest): Promise<EmbedOutcome> {
  const session = new InProcessSession(req.backend, req.modelDir, req.batchSize, req.contexts, req.embedding);
  const deadline = performance.now() + req.timeoutMs;
  try {
    const opened = await session.open(deadline);
    if (opened.status !== 'ok') {
      if (opened.status === 'skipped') return { status: 'skipped', reason: opened.reason, environment: opened.environment };
      const error = new Error(opened.reason);
      if (opened.detail) error.stack = opened.detail;
      return { status: 'error', reason: opened.reason, error, environment: opened.environment };
    }
    const started = performance.now();
    try {
      const vectors = await session.embed(req.texts, deadline);
      const embedMs = performance.now() - started;
      const timing = { openMs: opened.openMs, embedMs, textsPerSecond: embedMs > 0 ? (req.texts.length * 1000) / embedMs : 0 };
      return { status: 'ok', vectors, environment: await session.environment(), timing };
    } catch (error) {
      return { status: 'error', reason: describeCause(error), error, environment: await session.environment() };
    }
  } finally {
    await session.close();
  }
}
