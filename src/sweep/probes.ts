/**
 * Probe texts of exact token lengths for `parity sweep`: words drawn (seeded) from the model's own
 * vocabulary that the tokenizer keeps as one token each, so a text of L - specials words is exactly
 * L tokens. The same seed, vocabulary and tokenizer always give the same texts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { Prng } from '../numeric/prng.js';
import type { TextTokenizer } from '../tokenize/types.js';

export const PROBE_SEED = 12;

export interface Probe {
  length: number;
  text: string;
}

/** Whole words of the vocabulary (no ## pieces, no [SPECIAL] or [unusedN]) that encode to one token. */
export function singleTokenWords(modelDir: string, tokenizer: TextTokenizer): string[] {
  const path = join(modelDir, 'vocab.txt');
  if (!existsSync(path)) throw new InputError(`sweep: ${path} not found; probes are drawn from the model's WordPiece vocab.txt`);
  const specials = tokenizer.encode('').ids.length;
  const words = readFileSync(path, 'utf8')
    .split('\n')
    .filter((w) => /^[a-z]{2,}$/.test(w))
    .filter((w) => tokenizer.encode(w).ids.length === specials + 1);
  if (words.length < 16) throw new InputError(`sweep: ${path} has only ${words.length} whole lower-case words that stay one token; need 16`);
  return words;
}

/** A text of exactly `length` tokens (specials included), or null when the special tokens alone are longer. */
export function probeText(words: readonly string[], tokenizer: TextTokenizer, length: number, seed: number): Probe | null {
  const specials = tokenizer.encode('').ids.length;
  if (length < specials + 1) return null;
  const rng = new Prng(seed * 1_000_003 + length);
  const picked: string[] = [];
  for (let i = 0; i < length - specials; i++) picked.push(words[rng.int(words.length)]);
  return { length, text: picked.join(' ') };
}
