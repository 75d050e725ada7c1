/**
 * `file`: vectors produced elsewhere (sentence-transformers or PyTorch in Python, an Infinity dump,
 * scripts/golden_sentence_transformers.py) and saved as .npy, compared like any backend's. Nothing is
 * run: the file must hold one row per corpus text, in corpus order. `path` is relative to the
 * config file's folder. Vectors whose .meta.json records another prompt or truncateDim than the
 * run's are refused as such a golden is (they differ for a reason that is not the backend's); full
 * vectors (no truncateDim) are cut to the run's truncateDim by the registry's shared step.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { BackendError, describeCause, InputError } from '../../errors.js';
import { checkMadeWithChoices, metaPathFor, readMetaBeside } from '../../golden/golden.js';
import { displayPath } from '../../io/display-path.js';
import { sha256 } from '../../io/hash.js';
import { decodeNpy, type NpyMatrix } from '../../npy/npy.js';
import type { ModelInfo } from '../../model/model-folder.js';
import type { Availability, Backend, BackendContext, BackendFactory, BackendSpec } from '../backend.js';
import { selectRows, type Matrix } from '../../numeric/matrix.js';

export class FileBackend implements Backend {
  readonly name: string;
  /** Absolute path of the .npy file. */
  readonly path: string;
  private loaded: { vectors: NpyMatrix; sha256: string } | null = null;

  constructor(spec: BackendSpec) {
    this.name = spec.name;
    const path = spec.options.path;
    if (typeof path !== 'string' || path === '') {
      throw new InputError(`backend "${spec.name}": "path" must be the .npy file to compare (relative to the config file), got ${JSON.stringify(path)}`);
    }
    this.path = resolve(spec.configDir ?? process.cwd(), path);
  }

  async availability(): Promise<Availability> {
    if (!existsSync(this.path)) return { available: false, reason: `vectors file ${displayPath(this.path)} not found ("path" is relative to the config file)` };
    if (!statSync(this.path).isFile()) return { available: false, reason: `${displayPath(this.path)} is not a file` };
    return { available: true };
  }

  /**
   * InputError when the .meta.json beside the file says the vectors were made with another prompt or
   * truncateDim than `model`'s (the run's). No meta, or one that does not record them, passes; an
   * unreadable one is left to environment(), which records why.
   */
  checkMadeWith(model: Pick<ModelInfo, 'prompt' | 'truncateDim'>): void {
    let found: ReturnType<typeof readMetaBeside>;
    try {
      found = readMetaBeside(this.path);
    } catch {
      return;
    }
    if (!found) return;
    checkMadeWithChoices(
      `backend "${this.name}": ${displayPath(this.path)} (${displayPath(found.path)})`,
      found.meta,
      model.prompt,
      model.truncateDim,
      `make the vectors again with this run's prompt and truncateDim`,
      // Full vectors are cut to the run's truncateDim by the registry's shared step.
      { fullVectorsTruncated: true },
    );
  }

  async open(context: BackendContext): Promise<void> {
    if (context.model) this.checkMadeWith(context.model);
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.path);
    } catch (error) {
      throw new BackendError(this.name, `cannot read ${displayPath(this.path)}: ${describeCause(error)}`, { cause: error });
    }
    try {
      this.loaded = { vectors: decodeNpy(bytes, displayPath(this.path)), sha256: sha256(bytes) };
    } catch (error) {
      throw new BackendError(this.name, describeCause(error), { cause: error });
    }
  }

  async embed(texts: readonly string[], rows?: readonly number[]): Promise<Matrix> {
    if (!this.loaded) throw new BackendError(this.name, 'embed() called before open()');
    const { vectors } = this.loaded;
    if (rows) {
      // A block (or shard) of the corpus: the file holds the whole corpus, so pick those rows.
      const last = Math.max(...rows);
      if (last >= vectors.rows) {
        throw new BackendError(
          this.name,
          `${displayPath(this.path)} has ${vectors.rows} rows but the corpus has at least ${last + 1} texts; ` +
            `the file must hold one vector per corpus text, in corpus order`,
        );
      }
      return selectRows(vectors, rows);
    }
    if (vectors.rows !== texts.length) {
      throw new BackendError(
        this.name,
        `${displayPath(this.path)} has ${vectors.rows} rows but the corpus has ${texts.length} texts; ` +
          `the file must hold one vector per corpus text, in corpus order`,
      );
    }
    return { rows: vectors.rows, dim: vectors.dim, data: vectors.data };
  }

  environment(): Record<string, unknown> {
    const env: Record<string, unknown> = { runtime: 'file', path: displayPath(this.path) };
    if (this.loaded) {
      env.sha256 = this.loaded.sha256;
      env.dtype = this.loaded.vectors.dtype;
      env.shape = [this.loaded.vectors.rows, this.loaded.vectors.dim];
    }
    try {
      const found = readMetaBeside(this.path);
      if (found) env.meta = { path: displayPath(found.path), backend: found.meta.backend ?? null, createdAt: found.meta.createdAt ?? null };
    } catch (error) {
      env.meta = { path: displayPath(metaPathFor(this.path)), error: describeCause(error) };
    }
    return env;
  }

  async close(): Promise<void> {
    this.loaded = null;
  }
}

export const createFileBackend: BackendFactory = (spec) => new FileBackend(spec);
