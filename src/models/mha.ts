/**
 * onnx/model_mha.onnx for a real BERT checkpoint: the graph parity's fixture builder writes
 * (src/fixtures/onnx-export.ts, variant "mha"), filled with the weights of model.safetensors.
 * Neither torch.onnx nor a stock optimizer writes attention in the form ONNX Runtime Web's WebGPU
 * flash kernel takes (com.microsoft.MultiHeadAttention with separate 3-D Q/K/V and an additive
 * attention_bias, no key_padding_mask), and this builder's form is the one the fixture proved to
 * reach FlashAttention. Called by python/make_models.py (`npm run models`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBertOnnx } from '../fixtures/onnx-export.js';
import type { BertWeights } from '../fixtures/weights.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import type { BertConfig } from '../model/bert-config.js';
import { readSafetensors } from '../model/safetensors.js';

/** The checkpoint's tensors under BertModel's names (a "bert." prefix dropped, if there is one). */
export function bertWeightsFromSafetensors(path: string): BertWeights {
  const tensors = readSafetensors(path);
  const prefixed = tensors.has('bert.embeddings.word_embeddings.weight');
  const weights: BertWeights = new Map();
  for (const [name, t] of tensors) {
    if (prefixed && !name.startsWith('bert.')) continue; // heads (cls.*) are not part of BertModel
    weights.set(prefixed ? name.slice('bert.'.length) : name, t);
  }
  return weights;
}

export function writeMhaModel(modelDir: string, out = join(modelDir, 'onnx', 'model_mha.onnx')): string {
  const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as BertConfig;
  const weights = bertWeightsFromSafetensors(join(modelDir, 'model.safetensors'));
  writeFileAtomic(out, buildBertOnnx(config, weights, 'mha'));
  return out;
}
