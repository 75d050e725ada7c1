/**
 * The fixture corpus: JSON Lines of {"id", "text"} (or plain text, one text per line). Its hash is
 * taken over the parsed (id, text) pairs, not the file bytes, so a golden stays valid across a
 * reformatting of the file but not across any change of a text or an id.
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { sha256 } from '../io/hash.js';

export interface Corpus {
  path: string;
  ids: string[];
  texts: string[];
  sha256: string;
}

export function corpusHash(ids: readonly string[], texts: readonly string[]): string {
  return sha256(JSON.stringify(ids.map((id, i) => [id, texts[i]])));
}

export function loadCorpus(path: string): Corpus {
  const abs = resolve(path);
  let raw: string;
  try {
    raw = readFileSync(abs, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read corpus ${abs}: ${(error as NodeJS.ErrnoException).code ?? error} (set "corpus" in parity.config.json or pass --corpus FILE)`, {
      cause: error,
    });
  }
  const ext = extname(abs).toLowerCase();
  const { ids, texts } = ext === '.jsonl' || ext === '.ndjson' ? parseJsonl(raw, abs) : parsePlain(raw);
  if (texts.length === 0) throw new InputError(`corpus ${abs} has no texts`);
  return { path: abs, ids, texts, sha256: corpusHash(ids, texts) };
}

function parseJsonl(raw: string, path: string) {
  const ids: string[] = [];
  const texts: string[] = [];
  const seen = new Map<string, number>();
  raw.split('\n').forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === '') return;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch (error) {
      throw new InputError(`${path}:${lineNo}: not valid JSON (${(error as Error).message}); each line must be {"id": "...", "text": "..."}`);
    }
    const e = entry as { id?: unknown; text?: unknown };
    if (typeof entry !== 'object' || entry === null || typeof e.text !== 'string') {
      throw new InputError(`${path}:${lineNo}: each line must be an object with a string "text" (and an "id")`);
    }
    const id = e.id === undefined ? String(ids.length) : String(e.id);
    const previous = seen.get(id);
    if (previous !== undefined) throw new InputError(`${path}:${lineNo}: duplicate id "${id}" (first on line ${previous})`);
    seen.set(id, lineNo);
    ids.push(id);
    texts.push(e.text);
  });
  return { ids, texts };
}

function parsePlain(raw: string) {
  const lines = raw.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const texts = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  return { ids: texts.map((_, i) => `line-${i + 1}`), texts };
}
