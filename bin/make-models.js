#!/usr/bin/env node
// `npm run models`: builds models/all-MiniLM-L6-v2/ with the project's Python environment
// (python/make_models.py). The export needs torch/onnx/onnxruntime, so without .venv it says how to
// make one instead of failing deep inside Python.
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
const r = spawnSync(python, [join(root, 'python', 'make_models.py'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  // The exporter calls bin/write-mha.js with this same Node; nothing may be downloaded.
  env: { ...process.env, PARITY_NODE: process.execPath, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
});
process.exit(r.status ?? 2);
