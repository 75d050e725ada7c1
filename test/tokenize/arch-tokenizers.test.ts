/**
 * The harness tokenizer (transformers.js + sentence-transformers-style truncation by hand) gives the
 * same token ids as the Python tokenizer sentence-transformers uses, on every corpus text, for each
 * architecture fixture's tokenizer: WordPiece with <s> … </s> (MPNet), Unigram + Metaspace with
 * <s> … </s> (XLM-RoBERTa), byte-level BPE with [CLS] … [SEP] (ModernBERT), and byte-level BPE with
 * the Qwen2 split, no BOS and <|endoftext|> appended (Qwen3-Embedding) — with and without a prompt,
 * and the prompt length sentence-transformers' include_prompt false leaves out.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/corpus/corpus.js';
import { loadModelInfo } from '../../src/model/model-folder.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import { ROOT } from '../support/helpers.js';
import { requirePythonEnv, VENV_PYTHON } from '../support/installs.js';

const python = requirePythonEnv();
const corpus = loadCorpus(join(ROOT, 'fixtures/corpus/default.jsonl'));
const MODELS = join(ROOT, 'fixtures/models/arch');

/** sentence-transformers' own preprocessing of the corpus (prompt included), and its prompt length. */
function pythonIds(dir: string, promptName: string | null): { ids: number[][]; masks: number[][]; promptLength: number | null; paddingSide: string } {
  const code = `
import json, sys, os
os.environ["HF_HUB_OFFLINE"] = "1"
from sentence_transformers import SentenceTransformer
sys.path.insert(0, ${JSON.stringify(join(ROOT, 'scripts'))})
import golden_sentence_transformers as g
_, texts = g.load_corpus(${JSON.stringify(corpus.path)})
m = SentenceTransformer(${JSON.stringify(dir)}, device="cpu")
name = ${promptName === null ? 'None' : JSON.stringify(promptName)}
prompt = m.prompts[name] if name is not None else None
ids, masks = [], []
for t in texts:
    f = m.preprocess([t], prompt=prompt)
    ids.append(f["input_ids"][0].tolist()); masks.append(f["attention_mask"][0].tolist())
pl = m[0]._get_prompt_length(prompt) if prompt else None
print(json.dumps({"ids": ids, "masks": masks, "promptLength": pl, "paddingSide": m.tokenizer.padding_side}))
`;
  const r = spawnSync(VENV_PYTHON, ['-c', code], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const CASES: { fixture: string; promptName: string | null; side: 'left' | 'right' }[] = [
  { fixture: 'mpnet', promptName: null, side: 'right' },
  { fixture: 'xlm-roberta', promptName: null, side: 'right' },
  { fixture: 'xlm-roberta', promptName: 'query', side: 'right' },
  { fixture: 'modernbert', promptName: null, side: 'right' },
  { fixture: 'qwen3', promptName: null, side: 'left' },
  { fixture: 'qwen3', promptName: 'query', side: 'left' },
];

describe.skipIf(!python.present)(python.title('architecture fixture tokenizers equal the Python tokenizers on the corpus'), () => {
  for (const c of CASES) {
    it(`${c.fixture}${c.promptName ? ` with prompt "${c.promptName}"` : ''}`, async () => {
      const dir = join(MODELS, c.fixture);
      const py = pythonIds(dir, c.promptName);
      const tokenizer = await loadTokenizer(loadModelInfo(dir, { promptName: c.promptName }));
      expect(tokenizer.paddingSide).toBe(c.side);
      expect(py.paddingSide).toBe(c.side);
      const mismatched: string[] = [];
      corpus.texts.forEach((text, i) => {
        const ours = tokenizer.encode(text).ids;
        if (JSON.stringify(ours) !== JSON.stringify(py.ids[i])) {
          mismatched.push(`${corpus.ids[i]} ${JSON.stringify(text).slice(0, 60)}: ours ${JSON.stringify(ours).slice(0, 120)} python ${JSON.stringify(py.ids[i]).slice(0, 120)}`);
        }
        expect(py.masks[i].every((m) => m === 1)).toBe(true);
      });
      expect(mismatched).toEqual([]);
      // Long texts really were truncated, so the comparison covers truncation too.
      expect(Math.max(...py.ids.map((ids) => ids.length))).toBe(tokenizer.maxLength);
      if (c.promptName) {
        expect(tokenizer.encode('x').promptLength).toBe(py.promptLength);
        expect(py.promptLength).toBeGreaterThan(0);
      }
    }, 180_000);
  }
});
