/** `parity golden`: embed the corpus with a trusted backend and save vectors + provenance. */
import { resolve } from 'node:path';
import { createBackends } from '../backends/registry.js';
import { loadConfig, selectBackends } from '../config/config.js';
import { loadCorpus } from '../corpus/corpus.js';
import { BackendError, InputError } from '../errors.js';
import { writeGolden, type GoldenMeta } from '../golden/golden.js';
import { modelFileHashes } from '../model/model-files.js';
import { embedWithBackend } from '../run/embed-with-backend.js';
import { ModelContexts } from '../tokenize/model-context.js';
import { identityFromConfig } from '../run/identity.js';
import { packageVersions } from '../versions.js';
import { existsSync } from 'node:fs';
import { displayPath } from '../io/display-path.js';

export interface GoldenOptions {
  config?: string;
  backend: string;
  corpus?: string;
  out?: string;
  update: boolean;
  /** Overrides the config's promptName ("" = no prompt). */
  promptName?: string | null;
}

export async function makeGolden(options: GoldenOptions): Promise<{ path: string; rows: number; dim: number; dtype: string }> {
  const config = loadConfig(options.config);
  const [spec] = selectBackends(config, [options.backend]);
  const corpus = loadCorpus(options.corpus ? resolve(options.corpus) : config.corpus);
  const out = options.out ? resolve(options.out) : config.golden;
  // Check before spending time embedding; writeGolden checks again before writing.
  if (existsSync(out) && !options.update) {
    throw new InputError(`golden ${out} already exists; pass --update to replace it`);
  }
  // The run identity's embedding choices and batching, as `parity run` builds them.
  const { embedding, batching } = identityFromConfig(config, { promptName: options.promptName });
  const [backend] = createBackends([spec]);
  const contexts = new ModelContexts();
  const outcome = await embedWithBackend({
    backend,
    modelDir: spec.modelDir,
    texts: corpus.texts,
    batchSize: batching.batchSize,
    timeoutMs: spec.timeoutMs,
    contexts,
    embedding,
  });
  if (outcome.status === 'skipped') throw new BackendError(spec.name, `cannot make a golden: skipped: ${outcome.reason}`);
  if (outcome.status === 'error') throw new BackendError(spec.name, `cannot make a golden: ${outcome.reason}`, { cause: outcome.error });
  const ctx = await contexts.get(spec.modelDir, embedding);
  const v = outcome.vectors;
  // The golden keeps what the backend returned: float64 from `reference` or a float64 PyTorch model
  // (sentence-transformers, dtype float64), float32 from everything else.
  const dtype = v.data instanceof Float64Array ? '<f8' : '<f4';
  const meta: GoldenMeta = {
    schemaVersion: 1,
    createdAt: new Date().toISOString(),
    dtype,
    shape: [v.rows, v.dim],
    corpus: { path: displayPath(corpus.path), sha256: corpus.sha256, count: corpus.texts.length, ids: corpus.ids },
    model: {
      dir: displayPath(spec.modelDir),
      files: modelFileHashes(spec.modelDir),
      // The config's model id, unless this backend loads another folder.
      ...(config.hub && spec.modelDir === config.model ? { hub: { id: config.hub.id, revision: config.hub.revision } } : {}),
    },
    backend: { name: spec.name, runtime: spec.runtime, environment: outcome.environment },
    // Runtimes that tokenize for themselves (sentence-transformers, transformers.js) say which tokenizer ran.
    tokenizer: typeof outcome.environment.tokenizer === 'string' ? outcome.environment.tokenizer : ctx.tokenizer.description,
    pooling: ctx.model.pooling.mode,
    normalize: ctx.model.pooling.normalize,
    maxSeqLength: ctx.model.maxSeqLength,
    promptName: ctx.model.prompt?.name ?? null,
    prompt: ctx.model.prompt?.text ?? null,
    truncateDim: ctx.model.truncateDim,
    packages: packageVersions(),
  };
  writeGolden(out, v, meta, { update: options.update });
  return { path: displayPath(out), rows: v.rows, dim: v.dim, dtype };
}
