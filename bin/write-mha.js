#!/usr/bin/env node
// write-mha.js MODEL_DIR [OUT]: onnx/model_mha.onnx from MODEL_DIR's model.safetensors (src/fixtures/mha.ts).
// Used by python/make_models.py; runs the compiled code in dist/ (built by `npm ci`).
import { writeMhaModel } from '../dist/fixtures/mha.js';

const [dir, out] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: write-mha.js MODEL_DIR [OUT]\n');
  process.exit(2);
}
process.stdout.write(`${writeMhaModel(dir, out)}\n`);
