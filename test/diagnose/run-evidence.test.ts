/**
 * The diagnoses' evidence through `parity run`: a backend whose vectors are the fixture pooled with
 * CLS instead of mean gets the cause named and confirmed by re-embedding, and an ONNX-style backend's
 * length pattern is never called truncation (parity tokenized for it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BertFloat64 } from '../../src/backends/reference/bert-f64.js';
import { tokenizedBy } from '../../src/backends/registry.js';
import { poolSequence } from '../../src/embed/pooling.js';
import { loadModelInfo } from '../../src/model/model-folder.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import { writeNpy } from '../../src/npy/npy.js';
import { runParity } from '../../src/run/run.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import { FIXTURE, ROOT, tempDir } from '../support/helpers.js';

describe('diagnosis evidence in a run', () => {
  it('names CLS pooling, confirmed by re-embedding the worst texts, for vectors pooled the wrong way', async () => {
    const dir = tempDir('parity-run-evidence-');
    const info = loadModelInfo(FIXTURE.model);
    const tokenizer = await loadTokenizer(info);
    const texts = readFileSync(FIXTURE.corpus, 'utf8').trim().split('\n').map((l) => JSON.parse(l).text as string);
    const model = new BertFloat64(info.config, readSafetensors(join(FIXTURE.model, 'model.safetensors')));
    const dim = model.hidden;
    const data = new Float32Array(texts.length * dim);
    texts.forEach((t, r) => {
      const e = tokenizer.encode(t);
      poolSequence(model.forward(e.ids, e.typeIds), { offset: 0, length: e.ids.length }, dim, { ...info.pooling, modes: ['cls'] }, data, r * dim);
    });
    writeNpy(join(dir, 'cls.npy'), { rows: texts.length, dim, data });
    const config = join(dir, 'parity.config.json');
    writeFileSync(config, JSON.stringify({ model: FIXTURE.model, corpus: FIXTURE.corpus, golden: FIXTURE.golden, backends: [{ name: 'cls-vectors', runtime: 'file', path: 'cls.npy' }] }));
    const { report } = await runParity({ config, out: join(dir, 'out') });
    const b = report.backends[0];
    expect(b.status).toBe('fail');
    const line = b.diagnosis!.find((d) => d.includes('CLS pooling'));
    expect(line).toMatch(/^the backend behaves like the model with CLS pooling instead of mean \[confirmed: 4 texts re-embedded under \d+ hypotheses/);
    // Nothing else is claimed as a cause: every other line is an observation or the same cause.
    expect(b.diagnosis!.filter((d) => / \[(confirmed|likely|possible):/.test(d)).length).toBe(1);
  }, 180_000);

  it('attaches where a failing ONNX backend starts to depart: fp16 at the embeddings, bisected against the reference', async () => {
    const dir = tempDir('parity-run-where-');
    // cpu-fp16 held to an fp32 tolerance fails; the config's reference is the float64 side even unselected.
    const { report } = await runParity({ config: join(ROOT, 'parity.config.json'), backends: ['cpu-fp16'], tolerance: { atol: 1e-5, rtol: 1e-5 }, out: join(dir, 'out') });
    const b = report.backends.find((x) => x.name === 'cpu-fp16')!;
    expect(b.status).toBe('fail');
    expect(b.whereItStarts).toMatchObject({ against: 'reference', path: 'embeddings', layer: null });
    expect(b.whereItStarts!.texts).toHaveLength(2);
    expect(b.whereItStarts!.relative).toBeGreaterThan(1e-4);
    expect(b.diagnosis!.at(-1)).toMatch(/^where it starts: the embeddings, embeddings \(word \+ position \+ type, LayerNorm\) \(embeddings\): relative error .* \[bisected against reference on '/);
  }, 180_000);

  it('every runtime declares who tokenizes for it', () => {
    expect(tokenizedBy('onnxruntime-node')).toBe('harness');
    expect(tokenizedBy('transformers.js')).toBe('backend');
    expect(tokenizedBy('file')).toBeUndefined();
  });
});
