/**
 * tiny-bert with sentence-transformers prompts, for tests of the run's prompt choice: the committed
 * fixture has none (its config_sentence_transformers.json says `"prompts": {}`). Copied into a temp
 * folder with only that file changed, so nothing large is committed and every run starts from the
 * fixture `npm run fixtures` writes. The default prompt is "query", so "passage" is a non-default
 * choice and "" (no prompt) overrides a default.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE } from './helpers.js';

export const TINY_BERT_PROMPTS = { query: 'query: ', passage: 'passage: ' } as const;

/** Writes the copy into `dir`/tiny-bert-prompts and returns its path. */
export function tinyBertWithPrompts(dir: string): string {
  const model = join(dir, 'tiny-bert-prompts');
  cpSync(FIXTURE.model, model, { recursive: true });
  const file = join(model, 'config_sentence_transformers.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...config, prompts: TINY_BERT_PROMPTS, default_prompt_name: 'query' }, null, 2) + '\n');
  return model;
}
