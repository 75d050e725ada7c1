/** A backend session in this process: no crash isolation, used with `"isolation": "none"` and by workers. */
import type { Backend } from '../backends/backend.js';
import type { Matrix } from '../numeric/matrix.js';
import { createBackends } from '../backends/registry.js';
import type { BackendConfig } from '../config/config.js';
import type { EmbeddingChoices } from '../model/model-folder.js';
import { describeCause } from '../errors.js';
import type { ModelContexts } from '../tokenize/model-context.js';
import { beforeDeadline, type BackendSession, type OpenResult } from './session.js';

export class InProcessSession implements BackendSession {
  constructor(
    private readonly backend: Backend,
    private readonly modelDir: string,
    private readonly batchSize: number,
    private readonly contexts: ModelContexts,
    private readonly embedding: EmbeddingChoices = {},
    /** BackendContext.threads: the CPU threads the command gives the backend (undefined: the runtime's default). */
    private readonly threads?: number,
  ) {}

  static fromSpec(spec: BackendConfig, batchSize: number, contexts: ModelContexts, threads?: number): InProcessSession {
    return new InProcessSession(createBackends([spec])[0], spec.modelDir, batchSize, contexts, spec.embedding, threads);
  }

  get name(): string {
    return this.backend.name;
  }

  async open(deadline: number): Promise<OpenResult> {
    const started = performance.now();
    this.closed = false;
    try {
      const availability = await this.backend.availability();
      if (!availability.available) return { status: 'skipped', reason: availability.reason, environment: await this.environment() };
      await beforeDeadline(
        (async () => {
          const ctx = await this.contexts.get(this.modelDir, this.embedding);
          await this.backend.open({ model: ctx.model, tokenizer: ctx.tokenizer, batchSize: this.batchSize, ...(this.threads ? { threads: this.threads } : {}) });
        })(),
        deadline,
        `backend ${this.name} did not open within its timeoutMs`,
      );
      return { status: 'ok', environment: await this.environment(), openMs: performance.now() - started };
    } catch (error) {
      return { status: 'error', reason: describeCause(error), environment: await this.environment(), detail: error instanceof Error ? error.stack : undefined };
    }
  }

  embed(texts: readonly string[], deadline: number, rows?: readonly number[]): Promise<Matrix> {
    return beforeDeadline(this.backend.embed(texts, rows), deadline, `backend ${this.name} did not finish within its timeoutMs`);
  }

  async environment(): Promise<Record<string, unknown>> {
    try {
      return this.backend.environment();
    } catch (error) {
      return { environmentError: describeCause(error) };
    }
  }

  /** A run closes each backend when it is done, and every one again at the end: the second is a no-op (a shared browser's lease is returned once). */
  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.backend.close();
    } catch {
      /* closing a broken backend must not hide its outcome */
    }
  }
}
