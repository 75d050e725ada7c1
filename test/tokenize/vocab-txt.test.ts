/**
 * A BERT folder with only vocab.txt and tokenizer_config.json (no tokenizer.json) tokenizes as
 * transformers' BertTokenizer would: checked id for id against the same folder's tokenizer.json on
 * every corpus text, for the shipped tiny-bert (uncased, strip_accents true) and the real
 * all-MiniLM-L6-v2 (uncased, strip_accents unset), and for a cased config (do_lower_case false)
 * against Python transformers' own BertTokenizer on the same vocab.txt.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/corpus/corpus.js';
import { loadModelInfo } from '../../src/model/model-folder.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import { FIXTURE, tempDir } from '../support/helpers.js';
import { MINILM_DIR, requireMiniLm, requirePythonEnv, VENV_PYTHON } from '../support/installs.js';

const texts = loadCorpus(FIXTURE.corpus).texts;
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** The folder's files without tokenizer.json (and its config edited by `edit`). */
function withoutTokenizerJson(dir: string, edit: (config: Record<string, unknown>) => void = () => {}): string {
  const copy = tempDir('parity-vocab-txt-');
  temps.push(copy);
  cpSync(dir, copy, { recursive: true, filter: (src) => !/\.(onnx|safetensors|bin)$/.test(src) && !src.endsWith('tokenizer.json') });
  const cfgPath = join(copy, 'tokenizer_config.json');
  const config = JSON.parse(readFileSync(cfgPath, 'utf8'));
  edit(config);
  writeFileSync(cfgPath, JSON.stringify(config));
  return copy;
}

async function ids(dir: string): Promise<number[][]> {
  const tok = await loadTokenizer(loadModelInfo(dir));
  return texts.map((t) => tok.encode(t).ids);
}

describe('a BERT folder with vocab.txt and tokenizer_config.json only', () => {
  it('tiny-bert: the same ids as its tokenizer.json on every corpus text', async () => {
    const expected = await ids(FIXTURE.model);
    const got = await ids(withoutTokenizerJson(FIXTURE.model));
    expect(got).toEqual(expected);
    expect(got.flat().length).toBeGreaterThan(texts.length * 3);
  });

  const miniLm = requireMiniLm();
  it.skipIf(!miniLm.present)(miniLm.title('the real all-MiniLM-L6-v2: the same ids as its tokenizer.json on every corpus text'), async () => {
    expect(await ids(withoutTokenizerJson(MINILM_DIR))).toEqual(await ids(MINILM_DIR));
  });

  const python = requirePythonEnv();
  it.skipIf(!python.present)(python.title("a cased config (do_lower_case and strip_accents false): the ids of Python transformers' BertTokenizer"), async () => {
    const dir = withoutTokenizerJson(FIXTURE.model, (c) => Object.assign(c, { do_lower_case: false, strip_accents: false }));
    const script = [
      'import json, sys',
      'from transformers import BertTokenizer',
      'tok = BertTokenizer(sys.argv[1], do_lower_case=False, strip_accents=False)',
      'texts = [json.loads(l)["text"] for l in open(sys.argv[2], encoding="utf-8") if l.strip()]',
      'print(json.dumps([tok(t, truncation=True, max_length=128)["input_ids"] for t in texts]))',
    ].join('\n');
    const r = spawnSync(VENV_PYTHON, ['-c', script, join(dir, 'vocab.txt'), FIXTURE.corpus], { encoding: 'utf8', env: { ...process.env, HF_HUB_OFFLINE: '1' } });
    expect(r.status, r.stderr).toBe(0);
    const cased = await ids(dir);
    expect(cased).toEqual(JSON.parse(r.stdout));
    // And the case really reached the tokenizer: the uncased folder gives other ids on some texts.
    const uncased = await ids(withoutTokenizerJson(FIXTURE.model));
    expect(texts.filter((_, i) => JSON.stringify(cased[i]) !== JSON.stringify(uncased[i])).length).toBeGreaterThan(5);
  }, 60_000);
});
