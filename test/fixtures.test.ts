/** The fixture generator: deterministic, complete, and a model worth comparing backends on. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BertFloat64 } from '../src/backends/reference/bert-f64.js';
import { loadCorpus } from '../src/corpus/corpus.js';
import { fixtureFiles, writeFixture } from '../src/fixtures/make.js';
import { PRESETS } from '../src/fixtures/presets.js';
import { bertParameterNames } from '../src/fixtures/weights.js';
import { loadModelInfo } from '../src/model/model-folder.js';
import { readSafetensors } from '../src/model/safetensors.js';
import { loadTokenizer } from '../src/tokenize/tokenizer.js';
import { ROOT, tempDir } from './helpers.js';

const committed = join(ROOT, 'fixtures/models/tiny-bert');
const corpus = loadCorpus(join(ROOT, 'fixtures/corpus/default.jsonl'));

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? listFiles(join(dir, f)) : [join(dir, f)]));
}

describe('npm run fixtures', () => {
  it.each([
    ['tiny', 'tiny-bert'],
    ['alibi', 'tiny-alibi'],
    ['rotary', 'tiny-rotary'],
  ])('re-running writes byte-identical files, identical to the committed fixture (%s)', (presetName, folder) => {
    const committed = join(ROOT, 'fixtures/models', folder);
    const preset = PRESETS[presetName];
    const out = tempDir();
    writeFixture({ preset, outDir: out, corpusTexts: corpus.texts });
    const again = fixtureFiles({ preset, corpusTexts: corpus.texts });
    const written = listFiles(out).map((p) => relative(out, p)).sort();
    expect(written).toEqual(listFiles(committed).map((p) => relative(committed, p)).sort());
    for (const name of written) {
      const bytes = readFileSync(join(out, name));
      expect(bytes.equals(readFileSync(join(committed, name))), name).toBe(true);
      expect(Buffer.from(again.get(name)!).equals(bytes), name).toBe(true);
    }
  });

  it('the long-reach families: no position table, 8192 tokens, ALiBi slopes and RoFormer layout in config.json', () => {
    const alibi = loadModelInfo(join(ROOT, 'fixtures/models/tiny-alibi'));
    expect(alibi.config).toMatchObject({ model_type: 'bert', position_embedding_type: 'alibi', alibi_slopes: [16, 0.0625], hidden_size: 32, num_attention_heads: 2 });
    expect(alibi.maxSeqLength).toBe(8192);
    const rotary = loadModelInfo(join(ROOT, 'fixtures/models/tiny-rotary'));
    expect(rotary.config).toMatchObject({ model_type: 'roformer', architectures: ['RoFormerModel'], hidden_size: 32, num_attention_heads: 2 });
    expect(rotary.maxSeqLength).toBe(8192);
    for (const info of [alibi, rotary]) {
      const names = [...readSafetensors(join(info.dir, 'model.safetensors')).keys()].sort();
      expect(names).toEqual(bertParameterNames(info.config).sort());
      expect(names.some((n) => n.includes('position_embeddings'))).toBe(false);
    }
    expect(bertParameterNames(rotary.config)).not.toContain('pooler.dense.weight'); // RoFormerModel has none
  });

  it('writes the Hugging Face / sentence-transformers layout with BertModel parameter names', () => {
    const info = loadModelInfo(committed);
    expect(info.config.architectures).toEqual(['BertModel']);
    expect(info.pooling).toEqual({ mode: 'mean', normalize: true });
    expect(info.maxSeqLength).toBe(128);
    const tensors = readSafetensors(join(committed, 'model.safetensors'));
    expect([...tensors.keys()].sort()).toEqual(bertParameterNames(info.config).sort());
    expect(tensors.get('encoder.layer.0.intermediate.dense.weight')!.shape).toEqual([128, 64]); // [out, in]
    const vocab = readFileSync(join(committed, 'vocab.txt'), 'utf8').trimEnd().split('\n');
    expect(vocab.length).toBe(info.config.vocab_size);
  });

  it('is numerically interesting: peaked attention, activations over orders of magnitude', async () => {
    const info = loadModelInfo(committed);
    const tokenizer = await loadTokenizer(info);
    const model = new BertFloat64(info.config, readSafetensors(join(committed, 'model.safetensors')));
    const peak: number[] = [];
    const magnitudes: number[] = [];
    for (const text of corpus.texts.filter((t) => t.split(' ').length > 12).slice(0, 30)) {
      const e = tokenizer.encode(text);
      const S = e.ids.length;
      model.forward(e.ids, e.typeIds, (name, data) => {
        if (name.endsWith('attention_probs')) {
          for (let q = 0; q < data.length / S; q++) peak.push(Math.max(...data.subarray(q * S, (q + 1) * S)) * S);
        } else if (name.endsWith('.output')) {
          for (const v of data) magnitudes.push(Math.abs(v));
        }
      });
    }
    peak.sort((a, b) => a - b);
    magnitudes.sort((a, b) => a - b);
    const medianPeak = peak[peak.length >> 1];
    const spread = magnitudes[Math.floor(magnitudes.length * 0.99)] / magnitudes[Math.floor(magnitudes.length * 0.01)];
    console.log(`median max-attention × seq ${medianPeak.toFixed(1)} (1 = uniform); |activation| p99/p1 ${spread.toExponential(2)}`);
    expect(medianPeak).toBeGreaterThan(4); // far from uniform attention
    expect(spread).toBeGreaterThan(100); // over two orders of magnitude
  });
});
