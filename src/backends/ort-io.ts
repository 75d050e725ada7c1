/**
 * What every ONNX Runtime flavour (native, wasm, WebGPU in a page) does the same way around a BERT
 * export: feed the inputs the model declares from a padded batch, pick last_hidden_state, check its
 * rank. The runtimes differ only in their Tensor class and in how they run.
 */
import type { PaddedBatch } from '../embed/batches.js';
import { BackendError } from '../errors.js';

/** Feeds for the inputs a BERT export declares (token_type_ids is optional in many exports). */
export function bertFeeds<T>(backend: string, inputNames: readonly string[], batch: PaddedBatch, tensor: (data: BigInt64Array, dims: number[]) => T): Record<string, T> {
  const dims = [batch.batch, batch.seq];
  const available: Record<string, BigInt64Array> = {
    input_ids: batch.inputIds,
    attention_mask: batch.attentionMask,
    token_type_ids: batch.tokenTypeIds,
  };
  const feeds: Record<string, T> = {};
  for (const name of inputNames) {
    const data = available[name];
    if (!data) throw new BackendError(backend, `model input "${name}" is not one of input_ids, attention_mask, token_type_ids`);
    feeds[name] = tensor(data, dims);
  }
  return feeds;
}

/** last_hidden_state when the model has it, else its first output (single-output exports). */
export function hiddenStateOutput(outputNames: readonly string[]): string {
  return outputNames.includes('last_hidden_state') ? 'last_hidden_state' : outputNames[0];
}

export function checkHiddenStateDims(backend: string, output: string, dims: readonly number[]): void {
  if (dims.length !== 3) throw new BackendError(backend, `output "${output}" has dims [${dims}], expected [batch, seq, hidden]`);
}
