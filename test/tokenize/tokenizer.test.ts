import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/helpers.js';
import { MINILM_DIR, requireMiniLm } from '../support/installs.js';
import { tokenizerFiles } from '../../src/fixtures/tokenizer-files.js';
import {
  CLS_TOKEN,
  DEFAULT_VOCAB_SIZE,
  SEP_TOKEN,
  SPECIAL_TOKENS,
  UNK_TOKEN,
  basicTokenize,
  buildVocab,
  wordPiece,
} from '../../src/fixtures/vocab.js';
import { loadModelInfo } from '../../src/model/model-folder.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import type { TextTokenizer } from '../../src/tokenize/types.js';

const repoRoot = ROOT;
const corpusPath = join(repoRoot, 'fixtures/corpus/default.jsonl');
const miniLmDir = MINILM_DIR;
const miniLm = requireMiniLm();
const MAX_LENGTH = 128;

const corpus: { id: string; text: string }[] = readFileSync(corpusPath, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line));
const texts = corpus.map((c) => c.text);
const textById = (id: string): string => {
  const found = corpus.find((c) => c.id === id);
  if (!found) throw new Error(`corpus has no ${id}`);
  return found.text;
};

/** A model folder with tokenizer files for the corpus (no weights: the tokenizer does not need them). */
function writeTokenizerFolder(vocab: string[], maxSeqLength: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'parity-tok-'));
  for (const [name, contents] of Object.entries(tokenizerFiles(vocab, maxSeqLength))) writeFileSync(join(dir, name), contents);
  const config = {
    model_type: 'bert',
    architectures: ['BertModel'],
    vocab_size: vocab.length,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 64,
    hidden_act: 'gelu',
    max_position_embeddings: 512,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
  };
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, 'sentence_bert_config.json'), `${JSON.stringify({ max_seq_length: maxSeqLength, do_lower_case: false })}\n`);
  return dir;
}

const vocab = buildVocab(texts);
const idOf = new Map(vocab.map((token, id) => [token, id]));
const CLS = idOf.get(CLS_TOKEN)!;
const SEP = idOf.get(SEP_TOKEN)!;
const UNK = idOf.get(UNK_TOKEN)!;

/** Independent reference: our BERT basic tokenizer + greedy WordPiece, truncated like sentence-transformers. */
function referenceIds(text: string, maxLength: number): number[] {
  const pieces = basicTokenize(text).flatMap((word) => wordPiece(word, idOf));
  return [CLS, ...pieces.slice(0, maxLength - 2).map((p) => idOf.get(p)!), SEP];
}

let dir: string;
let tokenizer: TextTokenizer;
let loadMs = 0;
let stdoutWrites: string[] = [];

beforeAll(async () => {
  dir = writeTokenizerFolder(vocab, MAX_LENGTH);
  const originalWrite = process.stdout.write.bind(process.stdout);
  const originalLog = console.log;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stdoutWrites.push(String(chunk));
    return (originalWrite as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  console.log = (...args: unknown[]) => {
    stdoutWrites.push(args.map(String).join(' '));
  };
  try {
    const t0 = performance.now();
    tokenizer = await loadTokenizer(loadModelInfo(dir));
    loadMs = performance.now() - t0;
  } finally {
    process.stdout.write = originalWrite;
    console.log = originalLog;
  }
  console.info(`fixture tokenizer: vocab ${vocab.length}, first load ${loadMs.toFixed(0)} ms (includes importing @huggingface/transformers)`);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fixture vocabulary and tokenizer files', () => {
  it('corpus has the required shape', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(220);
    expect(new Set(corpus.map((c) => c.id)).size).toBe(corpus.length);
    for (const required of ['2024', '', '   \t ', 'a', '?!...;', 'café', '3.14159', '1,000,000', '2024-11-22', '<>&"\'', '<img src=x onerror=alert(1)>']) {
      expect(texts).toContain(required);
    }
  });

  it('vocabulary: specials first, unique, characters, suffixes and every corpus word', () => {
    expect(vocab.slice(0, SPECIAL_TOKENS.length)).toEqual([...SPECIAL_TOKENS]);
    expect(new Set(vocab).size).toBe(vocab.length);
    expect(vocab.length).toBeGreaterThan(2000);
    expect(vocab.length).toBeLessThanOrEqual(DEFAULT_VOCAB_SIZE);
    for (const piece of ['##s', '##ing', '##ed', '##ly', '##tion', 'e', '##e', '東', '😀', '##🇵']) expect(vocab).toContain(piece);
    const words = new Set(texts.flatMap(basicTokenize));
    expect([...words].filter((w) => !idOf.has(w) && [...w].length <= 100 && /[\p{L}\p{N}]/u.test(w))).toEqual([]);
  });

  it('a smaller size keeps the most frequent words and splits the rest into pieces', () => {
    const small = buildVocab(texts, { size: 1500 });
    expect(small.length).toBe(1500);
    expect(small).toContain('the');
    expect(small.filter((token) => !idOf.has(token))).toEqual([]);
    const set = new Set(small);
    expect(wordPiece('technologist', set).length).toBeGreaterThan(1);
    expect(wordPiece('technologist', set)).not.toContain(UNK_TOKEN);
    expect(() => buildVocab(texts, { size: 100 })).toThrow(/too small/);
  });

  it('(g) buildVocab and tokenizerFiles are deterministic', () => {
    expect(buildVocab([...texts])).toEqual(vocab);
    const a = tokenizerFiles(vocab, MAX_LENGTH);
    const b = tokenizerFiles(buildVocab(texts), MAX_LENGTH);
    expect(Object.keys(a)).toEqual(['tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']);
    expect(b).toEqual(a);
    for (const contents of Object.values(a)) expect(contents.endsWith('\n')).toBe(true);
    // vocab.txt and tokenizer.json's vocab agree, in id order.
    expect(a['vocab.txt'].split('\n').slice(0, -1)).toEqual(vocab);
    const json = JSON.parse(a['tokenizer.json']);
    expect(Object.entries(json.model.vocab as Record<string, number>).every(([token, id]) => vocab[id] === token)).toBe(true);
    expect(Object.keys(json.model.vocab).length).toBe(vocab.length);
    expect(json.truncation).toEqual({ direction: 'Right', max_length: MAX_LENGTH, strategy: 'LongestFirst', stride: 0 });
  });
});

describe('loadTokenizer on the fixture tokenizer files', () => {
  it('prints nothing to stdout while loading, and describes itself', () => {
    expect(stdoutWrites).toEqual([]);
    expect(tokenizer.description).toBe(`BertTokenizer from ${dir} (max_length ${MAX_LENGTH})`);
    expect(tokenizer.maxLength).toBe(MAX_LENGTH);
    expect(tokenizer.padId).toBe(idOf.get('[PAD]'));
  });

  it('(a) a long text gives exactly maxLength ids, [CLS] first and [SEP] last', () => {
    for (const id of ['long-1', 'long-2', 'long-6', 'repeated-long']) {
      const { ids, typeIds } = tokenizer.encode(textById(id));
      expect(ids.length).toBe(MAX_LENGTH);
      expect(ids[0]).toBe(CLS);
      expect(ids[MAX_LENGTH - 1]).toBe(SEP);
      expect(ids.slice(1, -1)).not.toContain(SEP);
      expect(typeIds).toEqual(new Array(MAX_LENGTH).fill(0));
    }
  });

  it('(b) a short text gives [CLS] + its pieces + [SEP]', () => {
    const { ids, typeIds } = tokenizer.encode('hello world');
    expect(ids).toEqual([CLS, idOf.get('hello'), idOf.get('world'), SEP]);
    expect(typeIds).toEqual([0, 0, 0, 0]);
    // A word outside the vocabulary is split into known pieces, not [UNK].
    const split = tokenizer.encode('embeddingsly').ids;
    expect(split.slice(1, -1).map((id) => vocab[id]).join('').replaceAll('##', '')).toBe('embeddingsly');
  });

  it('(c) empty and whitespace-only texts give [CLS, SEP]', () => {
    expect(tokenizer.encode('').ids).toEqual([CLS, SEP]);
    expect(tokenizer.encode('   \t ').ids).toEqual([CLS, SEP]);
    expect(tokenizer.encode('').typeIds).toEqual([0, 0]);
  });

  it('(d) fewer than 2% of the corpus word pieces are [UNK]', () => {
    let pieces = 0;
    let unknown = 0;
    for (const text of texts) {
      const ids = tokenizer.encode(text).ids.slice(1, -1);
      pieces += ids.length;
      unknown += ids.filter((id) => id === UNK).length;
    }
    const fraction = unknown / pieces;
    console.info(`[UNK]: ${unknown} of ${pieces} corpus pieces (${(100 * fraction).toFixed(3)}%)`);
    expect(fraction).toBeLessThan(0.02);
    // Mostly whole words: at most a quarter of the pieces are ## continuations.
    const continuations = texts.flatMap((t) => tokenizer.encode(t).ids).filter((id) => vocab[id].startsWith('##')).length;
    expect(continuations / pieces).toBeLessThan(0.25);
  });

  it('(e) lowercases and strips accents', () => {
    const cafe = tokenizer.encode('cafe').ids;
    expect(tokenizer.encode('café').ids).toEqual(cafe);
    expect(tokenizer.encode('CAFÉ').ids).toEqual(cafe);
    expect(tokenizer.encode('Café').ids).toEqual(cafe);
    expect(tokenizer.encode('Ångström naïve São').ids).toEqual(tokenizer.encode('angstrom naive sao').ids);
    expect(tokenizer.encode('HeLLo WoRLD').ids).toEqual(tokenizer.encode('hello world').ids);
  });

  it('agrees with an independent BERT basic tokenizer + WordPiece on every corpus text', () => {
    for (const { id, text } of corpus) {
      expect(tokenizer.encode(text).ids, id).toEqual(referenceIds(text, MAX_LENGTH));
    }
  });

  it('emoji: ZWJ and variation selectors vanish, the pictographs stay as pieces', () => {
    const zwj = tokenizer.encode('👨\u200d👩\u200d👧').ids.slice(1, -1).map((id) => vocab[id]);
    expect(zwj).toEqual(['👨', '##👩', '##👧']);
    expect(tokenizer.encode('🔥🔥🚀').ids.slice(1, -1).map((id) => vocab[id])).toEqual(['🔥', '##🔥', '##🚀']);
    expect(tokenizer.encode('🇯🇵').ids.slice(1, -1).map((id) => vocab[id])).toEqual(['🇯', '##🇵']);
    expect(tokenizer.encode('❤\ufe0f').ids).toEqual(tokenizer.encode('❤').ids);
  });

  it('transformers.js {truncation: true, max_length} drops the final [SEP] (why loadTokenizer truncates itself)', async () => {
    const { AutoTokenizer } = await import('@huggingface/transformers');
    const raw = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    const out = raw(textById('long-1'), { truncation: true, max_length: MAX_LENGTH, return_tensor: false }) as unknown as {
      input_ids: number[];
    };
    console.info(`transformers.js truncation: length ${out.input_ids.length}, last 3 ids ${JSON.stringify(out.input_ids.slice(-3))} ([SEP] = ${SEP})`);
    expect(out.input_ids.length).toBe(MAX_LENGTH);
    expect(out.input_ids[0]).toBe(CLS);
    expect(out.input_ids[MAX_LENGTH - 1]).not.toBe(SEP);
    // Same ids as ours except the last one.
    expect(out.input_ids.slice(0, -1)).toEqual(tokenizer.encode(textById('long-1')).ids.slice(0, -1));
  });
});

describe.skipIf(!miniLm.present)(miniLm.title('(f) real all-MiniLM-L6-v2 tokenizer'), () => {
  it('uses max_seq_length 256 from sentence_bert_config.json, not tokenizer.json 128', async () => {
    const info = loadModelInfo(miniLmDir);
    expect(info.maxSeqLength).toBe(256);
    const tokJson = JSON.parse(readFileSync(join(miniLmDir, 'tokenizer.json'), 'utf8'));
    expect(tokJson.truncation.max_length).toBe(128);

    const t0 = performance.now();
    const tok = await loadTokenizer(info);
    console.info(`MiniLM tokenizer load: ${(performance.now() - t0).toFixed(0)} ms`);
    expect(tok.maxLength).toBe(256);
    expect(tok.padId).toBe(0);
    expect(tok.encode('hello world').ids).toEqual([101, 7592, 2088, 102]);

    const long = Array.from({ length: 300 }, (_, i) => ['river', 'stone', 'bright', 'quietly', 'window'][i % 5]).join(' ');
    const { ids, typeIds } = tok.encode(long);
    expect(ids.length).toBe(256);
    expect(ids[0]).toBe(101);
    expect(ids[255]).toBe(102);
    expect(typeIds.every((t) => t === 0)).toBe(true);
    expect(tok.encode('').ids).toEqual([101, 102]);

    // The whole corpus against the independent reference with the real 30522-token vocabulary
    // (emoji are [UNK] there; CJK characters are single tokens).
    const realVocab = readFileSync(join(miniLmDir, 'vocab.txt'), 'utf8').split('\n');
    const realIds = new Map(realVocab.map((token, id) => [token, id]));
    let unknown = 0;
    for (const { id, text } of corpus) {
      const pieces = basicTokenize(text).flatMap((word) => wordPiece(word, realIds));
      unknown += pieces.filter((p) => p === UNK_TOKEN).length;
      const expected = [101, ...pieces.slice(0, 254).map((p) => realIds.get(p)!), 102];
      expect(tok.encode(text).ids, id).toEqual(expected);
    }
    expect(unknown).toBeGreaterThan(0);
  });
});
