/**
 * Golden vectors: an .npy (float64 from the reference or a float64 PyTorch backend, float32 from other
 * runtimes: the dtype the backend returned) plus FILE.meta.json that
 * says exactly what produced it. A golden is only meaningful for the corpus it was made from, so a
 * run refuses a golden whose corpus hash differs.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Matrix } from '../numeric/matrix.js';
import type { Corpus } from '../corpus/corpus.js';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { encodeNpy, readNpy, type NpyMatrix } from '../npy/npy.js';
import { readNpyInfo } from '../npy/npy-reader.js';

export interface GoldenMeta {
  schemaVersion: 1;
  createdAt: string;
  dtype: string;
  shape: [number, number];
  corpus: { path: string; sha256: string; count: number; ids: string[] };
  /** hub: the model id and snapshot revision, when the config named a model id. */
  model: { dir: string; files: Record<string, string>; hub?: { id: string; revision: string } };
  backend: { name: string; runtime: string; environment: Record<string, unknown> };
  tokenizer: string;
  pooling: string;
  normalize: boolean;
  maxSeqLength: number;
  /** The prompt the vectors were made with (config_sentence_transformers.json name and text); absent in older goldens. */
  promptName?: string | null;
  prompt?: string | null;
  /** Matryoshka truncate_dim the vectors were made with; absent in older goldens. */
  truncateDim?: number | null;
  packages: Record<string, string>;
}

/**
 * A golden made with another prompt or truncate_dim than this run's cannot be compared: every
 * vector differs for a reason that is not the backend's. Goldens that do not record them pass.
 */
export function checkGoldenMatchesChoices(golden: { path: string; meta: GoldenMeta | null }, prompt: { name: string } | null, truncateDim: number | null): void {
  checkMadeWithChoices(`golden ${golden.path}`, golden.meta, prompt, truncateDim, 'regenerate the golden');
}

/**
 * The same check for any vectors with a .meta.json (the golden, a `file` backend's .npy): InputError
 * "`what` was made with … and this run uses …" when the meta records another prompt or truncateDim;
 * `remake` is the other way out. A meta that does not record them passes. `fullVectorsTruncated`:
 * the harness truncates these vectors to the run's truncateDim (the `file` runtime), so vectors
 * recorded as full width (truncateDim null) fit any run.
 */
export function checkMadeWithChoices(
  what: string,
  meta: Pick<Partial<GoldenMeta>, 'promptName' | 'truncateDim'> | null,
  prompt: { name: string } | null,
  truncateDim: number | null,
  remake: string,
  { fullVectorsTruncated = false } = {},
): void {
  if (!meta) return;
  const name = (n: string | null | undefined) => (n ? `prompt "${n}"` : 'no prompt');
  if (meta.promptName !== undefined && (meta.promptName ?? null) !== (prompt?.name ?? null)) {
    throw new InputError(
      `${what} was made with ${name(meta.promptName)} and this run uses ${name(prompt?.name)}: ` +
        `pass --prompt-name ${meta.promptName ?? '""'} (or set "promptName"), or ${remake}`,
    );
  }
  const full = (meta.truncateDim ?? null) === null;
  if (meta.truncateDim !== undefined && (meta.truncateDim ?? null) !== truncateDim && !(full && fullVectorsTruncated)) {
    throw new InputError(`${what} was made with truncateDim ${meta.truncateDim ?? 'none'} and this run uses ${truncateDim ?? 'none'}: set "truncateDim" to match, or ${remake}`);
  }
}

export function metaPathFor(npyPath: string): string {
  return npyPath.replace(/\.npy$/i, '') + '.meta.json';
}

/**
 * The .meta.json beside a vectors file (a golden's, or one a `file` backend compares), as written;
 * null when there is none. Not valid JSON is an InputError naming the file. The one reader of these
 * files: the golden, the `file` backend and `compare` each take what they need from it.
 */
export function readMetaBeside(npyPath: string): { path: string; meta: Partial<GoldenMeta> } | null {
  const path = metaPathFor(npyPath);
  if (!existsSync(path)) return null;
  try {
    return { path, meta: JSON.parse(readFileSync(path, 'utf8')) as Partial<GoldenMeta> };
  } catch (error) {
    throw new InputError(`${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

export function writeGolden(path: string, vectors: Matrix, meta: GoldenMeta, { update }: { update: boolean }): void {
  if (existsSync(path) && !update) {
    throw new InputError(`golden ${path} already exists; pass --update to replace it (the old file stays untouched until the new one is complete)`);
  }
  // Vectors first, meta second, each atomically: an interrupted write leaves the old pair intact or
  // at worst new vectors with old meta, which `run` then rejects by hash rather than misreads.
  writeFileAtomic(path, encodeNpy(vectors));
  writeFileAtomic(metaPathFor(path), JSON.stringify(meta, null, 2) + '\n');
}

/** A golden's header and provenance, without its vectors (`run` streams those block by block). */
export interface GoldenInfo {
  path: string;
  rows: number;
  dim: number;
  dtype: string;
  meta: GoldenMeta | null;
}

export interface Golden extends GoldenInfo {
  vectors: NpyMatrix;
}

export function readGolden(path: string): Golden {
  const info = readGoldenInfo(path);
  return { ...info, vectors: readNpy(path) };
}

export function readGoldenInfo(path: string): GoldenInfo {
  if (!existsSync(path)) {
    throw new InputError(`golden ${path} does not exist; make it with \`npx parity golden --backend reference\` (or pass --golden FILE)`);
  }
  const { rows, dim, dtype } = readNpyInfo(path);
  const meta = (readMetaBeside(path)?.meta as GoldenMeta | undefined) ?? null;
  return { path, rows, dim, dtype, meta };
}

/** Refuses a golden that was made from a different corpus (by hash) or has a different row count. */
export function checkGoldenMatchesCorpus(golden: GoldenInfo, corpus: Corpus): void {
  if (golden.meta) {
    if (golden.meta.corpus.sha256 !== corpus.sha256) {
      throw new InputError(
        `golden ${golden.path} was made from a different corpus (sha256 ${golden.meta.corpus.sha256.slice(0, 12)}…, ` +
          `${golden.meta.corpus.count} texts) than ${corpus.path} (sha256 ${corpus.sha256.slice(0, 12)}…, ${corpus.texts.length} texts); ` +
          `regenerate it with \`npx parity golden --backend reference --update\` or pass the matching --corpus`,
      );
    }
  } else if (golden.rows !== corpus.texts.length) {
    throw new InputError(
      `golden ${golden.path} has ${golden.rows} rows but corpus ${corpus.path} has ${corpus.texts.length} texts (and no .meta.json to check the corpus hash)`,
    );
  }
}

/** Text ids from the golden's .meta.json when it has one, so locations name texts, not row numbers. */
export function goldenIds(path: string, rows: number): string[] {
  try {
    const ids = readMetaBeside(path)?.meta.corpus?.ids;
    return Array.isArray(ids) && ids.length === rows ? ids.map(String) : [];
  } catch {
    // Ids only name locations; a broken meta must not stop a comparison of the vectors.
    return [];
  }
}
