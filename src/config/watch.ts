/**
 * Watched elements (config key `watch`): single vector elements reported for every backend beside
 * the golden, e.g. the last dimension of the text "2024", where PyTorch and a flash-attention server
 * were seen to part ways (-0.0078360 vs -0.0078096). A max abs says how far the worst element moved;
 * a watched element shows what each backend actually returns for one you care about.
 */
import { InputError } from '../errors.js';

export interface WatchSpec {
  id: string;
  dim: number;
}

export function parseWatch(raw: unknown, file: string): WatchSpec[] {
  if (raw === undefined) return [];
  const bad = (what: string): never => {
    throw new InputError(`${file}: "watch" ${what}`);
  };
  if (!Array.isArray(raw)) bad('must be an array like [{"id": "seed-2024", "dim": 383}]');
  return (raw as unknown[]).map((entry, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) bad(`[${i}] must be an object like {"id": "seed-2024", "dim": 383}`);
    const o = entry as Record<string, unknown>;
    for (const key of Object.keys(o)) if (key !== 'id' && key !== 'dim') bad(`[${i}] has unknown key "${key}" (allowed: id, dim)`);
    if (typeof o.id !== 'string' || o.id === '') bad(`[${i}].id must be a corpus id (a non-empty string), got ${JSON.stringify(o.id)}`);
    if (typeof o.dim !== 'number' || !Number.isInteger(o.dim) || o.dim < 0) bad(`[${i}].dim must be an integer >= 0, got ${JSON.stringify(o.dim)}`);
    return { id: o.id as string, dim: o.dim as number };
  });
}

/** Fails before anything runs when a watched id is not in the corpus or a dim is past the golden's width. */
export function checkWatch(specs: readonly WatchSpec[], corpusIds: readonly string[], dim: number, file: string): void {
  const known = new Set(corpusIds);
  for (const w of specs) {
    if (!known.has(w.id)) throw new InputError(`${file}: "watch" id "${w.id}" is not in the corpus`);
    if (w.dim >= dim) throw new InputError(`${file}: "watch" dim ${w.dim} of "${w.id}" is past the golden's ${dim} dimensions`);
  }
}
