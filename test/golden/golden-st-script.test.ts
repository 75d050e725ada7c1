/**
 * scripts/golden_sentence_transformers.py must write a meta whose corpus sha256 equals parity's, or
 * `parity run` would refuse its golden. Its stdlib-only part (corpus reading, JS-compatible JSON,
 * hashing) is run here with the project's Python (.venv, `npm run setup:python`); the embedding part
 * runs against stand-ins for torch and sentence-transformers.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/helpers.js';
import { requirePythonEnv, VENV_PYTHON } from '../support/installs.js';
import { loadCorpus } from '../../src/corpus/corpus.js';
import { checkGoldenMatchesCorpus, readGolden } from '../../src/golden/golden.js';
import { modelFileHashes } from '../../src/model/model-files.js';

const root = ROOT;
const SCRIPTS = join(root, 'scripts');
const pythonEnv = requirePythonEnv();

/** Stand-ins for torch and sentence-transformers, just enough for main(): row i of the output is [len(text), i, 0.5]. */
const STUBS: Record<string, string> = {
  'torch/__init__.py': `__version__ = "0.0-stub"\nclass version:\n    cuda = None\n`,
  'sentence_transformers/__init__.py': [
    'import numpy as np',
    'class Transformer: pass',
    'class Pooling:',
    '    pooling_mode_cls_token = False',
    '    pooling_mode_mean_tokens = True',
    'class Normalize: pass',
    'class BertTokenizerFast: pass',
    'class _Param:',
    '    dtype = "torch.float32"',
    'class SentenceTransformer:',
    '    def __init__(self, path, device=None):',
    '        self.device, self.tokenizer, self.max_seq_length = device, BertTokenizerFast(), 128',
    '        self._modules = [Transformer(), Pooling(), Normalize()]',
    '    def __iter__(self): return iter(self._modules)',
    '    def parameters(self): return iter([_Param()])',
    '    def encode(self, texts, batch_size, convert_to_numpy, normalize_embeddings, show_progress_bar):',
    '        assert convert_to_numpy and not normalize_embeddings and batch_size == 7',
    '        return np.array([[len(t), i, 0.5] for i, t in enumerate(texts)], dtype=np.float32)',
    '',
  ].join('\n'),
};

/** Runs `code` with the script importable as `g`; returns its stdout parsed as JSON. */
function python(code: string): unknown {
  const prelude = `import json, sys; sys.path.insert(0, ${JSON.stringify(SCRIPTS)}); import golden_sentence_transformers as g\n`;
  const r = spawnSync(VENV_PYTHON, ['-c', prelude + code], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${VENV_PYTHON} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}
const pyCorpus = (path: string) =>
  python(`ids, texts = g.load_corpus(${JSON.stringify(path)})\nprint(json.dumps({"ids": ids, "sha256": g.corpus_hash(ids, texts), "count": len(texts)}))`) as {
    ids: string[];
    sha256: string;
    count: number;
  };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parity-st-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!pythonEnv.present)(pythonEnv.title('golden_sentence_transformers.py hashing (stdlib only)'), () => {
  it('imports without sentence-transformers, torch or numpy being loaded', () => {
    expect(python(`print(json.dumps(sorted(m for m in ("torch", "numpy", "sentence_transformers") if m in sys.modules)))`)).toEqual([]);
  });

  it('corpus_hash equals corpusHash for the fixture corpus', () => {
    const js = loadCorpus(join(root, 'fixtures/corpus/default.jsonl'));
    const py = pyCorpus(js.path);
    expect(py.count).toBe(js.texts.length);
    expect(py.ids).toEqual(js.ids);
    expect(py.sha256).toBe(js.sha256);
  });

  it('matches on escaping edge cases: control characters, U+2028, lone surrogates, odd ids, CRLF, JS-only whitespace lines', () => {
    const controls = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('');
    const texts = [
      'quote " backslash \\ slash /',
      controls + '\u007f\u0080\u009f',
      'line\u2028para\u2029end',
      'lone high \ud800 and low \udfff, pair 😀 \ud83d\ude00',
      '\ufeffbom inside',
      'emoji 👩‍👩‍👧 flags 🇯🇵',
      '',
      'trailing space ',
    ];
    const ids: unknown[] = [1, 1.5, 1e21, true, null, undefined, 'x', 0.000001];
    const lines = texts.map((text, i) => JSON.stringify(ids[i] === undefined ? { text } : { id: ids[i], text }));
    // Lines JavaScript's trim() treats as blank (U+FEFF, NBSP, U+3000) are skipped by both.
    const raw = [lines[0], '\ufeff', lines.slice(1, 4).join('\r\n'), ' \u00a0\u3000 ', ...lines.slice(4), ''].join('\n');
    const path = join(dir, 'edge.jsonl');
    writeFileSync(path, raw);
    const js = loadCorpus(path);
    const py = pyCorpus(path);
    expect(py.ids).toEqual(js.ids);
    expect(py.sha256).toBe(js.sha256);

    const plain = join(dir, 'plain.txt');
    writeFileSync(plain, 'first\r\nsecond\rstill second\n\nfourth é\n');
    const jsPlain = loadCorpus(plain);
    const pyPlain = pyCorpus(plain);
    expect(pyPlain.ids).toEqual(jsPlain.ids);
    expect(pyPlain.sha256).toBe(jsPlain.sha256);
  });

  it('model_file_hashes equals modelFileHashes for the fixture model', () => {
    const model = join(root, 'fixtures/models/tiny-bert');
    const py = python(`print(json.dumps(g.model_file_hashes(${JSON.stringify(model)})))`) as Record<string, string>;
    const js = modelFileHashes(model);
    expect(Object.keys(py)).toEqual(Object.keys(js));
    expect(py).toEqual(js);
  });

  it('meta_path_for and createdAt follow the TypeScript side', () => {
    const [meta, created] = python(`print(json.dumps([g.meta_path_for("out/st.NPY"), g.iso_now()]))`) as [string, string];
    expect(meta).toBe('out/st.meta.json');
    expect(created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe.skipIf(!pythonEnv.present)(pythonEnv.title('golden_sentence_transformers.py main() with stand-in torch / sentence-transformers'), () => {
  it('writes an .npy and meta that parity reads as a golden for the same corpus', () => {
    const stubs = join(dir, 'stubs');
    for (const [file, text] of Object.entries(STUBS)) {
      mkdirSync(dirname(join(stubs, file)), { recursive: true });
      writeFileSync(join(stubs, file), text);
    }
    const model = join(root, 'fixtures/models/tiny-bert');
    const corpusPath = join(root, 'fixtures/corpus/default.jsonl');
    const out = join(dir, 'st', 'golden.npy');
    const args = ['--model', model, '--corpus', corpusPath, '--out', out, '--batch-size', '7', '--dtype', 'float64'];
    const r = spawnSync(VENV_PYTHON, [join(SCRIPTS, 'golden_sentence_transformers.py'), ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, PYTHONPATH: stubs },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);

    const corpus = loadCorpus(corpusPath);
    const golden = readGolden(out);
    expect(() => checkGoldenMatchesCorpus(golden, corpus)).not.toThrow();
    expect(golden.vectors).toMatchObject({ rows: corpus.texts.length, dim: 3, dtype: '<f8' });
    corpus.texts.forEach((t, i) => {
      expect(golden.vectors.data[i * 3]).toBe([...t].length); // corpus order, Python len = code points
      expect(golden.vectors.data[i * 3 + 1]).toBe(i);
    });
    expect(golden.meta).toMatchObject({
      schemaVersion: 1,
      dtype: '<f8',
      shape: [corpus.texts.length, 3],
      corpus: { sha256: corpus.sha256, count: corpus.texts.length, ids: corpus.ids },
      model: { files: modelFileHashes(model) },
      backend: { name: 'sentence-transformers', runtime: 'sentence-transformers' },
      pooling: 'mean',
      normalize: true,
      maxSeqLength: 128,
      tokenizer: 'transformers BertTokenizerFast (sentence-transformers)',
    });
    expect(golden.meta!.packages.torch).toBe('0.0-stub');
  });
});
