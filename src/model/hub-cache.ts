/**
 * A model id such as `sentence-transformers/all-MiniLM-L6-v2`, resolved in the local Hugging Face
 * cache offline, the way transformers does with HF_HUB_OFFLINE=1 (huggingface_hub's
 * try_to_load_from_cache): the cache is HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub;
 * the model is models--{org}--{name}/snapshots/{commit}/, the commit read from refs/main (or from
 * refs/{revision} for a branch or tag, or the revision itself when it is a commit with a snapshot).
 * Nothing is downloaded: a model missing from the cache is one line naming where parity looked and the
 * command that downloads it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';

/** Where a model came from when the config or --model named a model id. */
export interface HubModel {
  id: string;
  /** The snapshot's commit hash. */
  revision: string;
  /** The revision asked for (a branch, tag or commit; "main" by default). */
  requested: string;
}

/** The cache folder huggingface_hub uses, and which variable chose it. */
export function hubCacheRoot(env: NodeJS.ProcessEnv = process.env): { path: string; source: string } {
  if (env.HF_HUB_CACHE) return { path: resolve(env.HF_HUB_CACHE), source: 'HF_HUB_CACHE' };
  if (env.HF_HOME) return { path: resolve(env.HF_HOME, 'hub'), source: 'HF_HOME/hub' };
  return { path: join(homedir(), '.cache', 'huggingface', 'hub'), source: '~/.cache/huggingface/hub' };
}

/** "org/name" or "name", in the characters the Hub allows (no "..", no leading "." or "/"). */
export function looksLikeModelId(ref: string): boolean {
  return /^(?:[A-Za-z0-9][\w.-]*\/)?[A-Za-z0-9][\w.-]*$/.test(ref) && !ref.includes('..');
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** @param folder the folder path the ref also names, when it was tried first (said in the error). */
export function resolveHubModel(id: string, revision: string | undefined, env: NodeJS.ProcessEnv = process.env, folder?: string): { dir: string; hub: HubModel } {
  const cache = hubCacheRoot(env);
  const repo = join(cache.path, `models--${id.split('/').join('--')}`);
  const requested = revision ?? 'main';
  const download = `hf download ${id}${revision ? ` --revision ${revision}` : ''} (or set HF_HUB_CACHE / HF_HOME to the cache that has it)`;
  const missing = (what: string) =>
    new InputError(
      `model "${id}" is ${folder ? `no folder (${folder}) and ` : ''}not in the Hugging Face cache: ${what} (cache ${cache.path}, from ${cache.source}); download it with: ${download}`,
    );
  if (!isDir(repo)) throw missing(`no ${repo}`);
  let commit: string;
  const ref = join(repo, 'refs', requested);
  if (existsSync(ref) && statSync(ref).isFile()) commit = readFileSync(ref, 'utf8').trim();
  else if (/^[0-9a-f]{40}$/.test(requested)) commit = requested;
  else throw missing(`no ${ref}`);
  const dir = join(repo, 'snapshots', commit);
  if (!isDir(dir)) throw missing(`no snapshot ${dir}${existsSync(ref) ? ` (named by ${ref})` : ''}`);
  return { dir, hub: { id, revision: commit, requested } };
}

/**
 * `--model` or the config's `model`: a folder (relative to `baseDir`) when one exists there, else a
 * model id looked up in the cache. A ref that is neither stays a folder path, for the "does not
 * exist" error of whoever reads it. `revision` needs an id.
 */
export function resolveModelRef(ref: string, baseDir: string, revision?: string, env: NodeJS.ProcessEnv = process.env): { dir: string; hub: HubModel | null } {
  const local = resolve(baseDir, ref);
  if (existsSync(local) && revision === undefined) return { dir: local, hub: null };
  if (!looksLikeModelId(ref)) {
    if (revision !== undefined) throw new InputError(`a revision (${revision}) needs a model id such as org/name, and "${ref}" is a folder path`);
    return { dir: local, hub: null };
  }
  if (existsSync(local)) throw new InputError(`"${ref}" is a folder (${local}), so it has no revision ${revision}; pass the model id, or leave out the revision`);
  return resolveHubModel(ref, revision, env, revision === undefined ? local : undefined);
}
