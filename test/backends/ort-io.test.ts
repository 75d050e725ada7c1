/**
 * The single feeds builder, output choice and graphOptimizationLevel option every ONNX Runtime
 * flavour and `parity bisect` use (src/backends/ort-io.ts).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOutputDims, GRAPH_OPTIMIZATION_LEVELS, modelFeeds, selectModelOutput } from '../../src/backends/ort-io.js';
import { createBackends } from '../../src/backends/registry.js';
import { parseConfig } from '../../src/config/config.js';
import { padBatch, realStart } from '../../src/embed/batches.js';
import { BackendError, InputError } from '../../src/errors.js';
import { ROOT } from '../support/helpers.js';

const encoded = [
  { ids: [5, 6, 7], typeIds: [0, 0, 0], promptLength: 0, fullLength: 3 },
  { ids: [8], typeIds: [0], promptLength: 0, fullLength: 1 },
];
const raw = (data: BigInt64Array, dims: number[]) => ({ values: Array.from(data, Number), dims });

describe('modelFeeds', () => {
  it('feeds exactly the declared inputs, [batch, seq] int64, right padding', () => {
    const batch = padBatch(encoded, [0, 1], 1);
    const feeds = modelFeeds('b', ['input_ids', 'attention_mask'], batch, raw);
    expect(Object.keys(feeds)).toEqual(['input_ids', 'attention_mask']);
    expect(feeds.input_ids).toEqual({ values: [5, 6, 7, 8, 1, 1], dims: [2, 3] });
    expect(feeds.attention_mask.values).toEqual([1, 1, 1, 1, 0, 0]);
  });

  it('left padding puts the real tokens last; position_ids count real tokens from 0 (pads 1)', () => {
    const batch = padBatch(encoded, [0, 1], 0, 'left');
    const feeds = modelFeeds('b', ['input_ids', 'attention_mask', 'position_ids', 'token_type_ids'], batch, raw);
    expect(feeds.input_ids.values).toEqual([5, 6, 7, 0, 0, 8]);
    expect(feeds.attention_mask.values).toEqual([1, 1, 1, 0, 0, 1]);
    expect(feeds.position_ids.values).toEqual([0, 1, 2, 1, 1, 0]);
    expect(feeds.token_type_ids.values).toEqual([0, 0, 0, 0, 0, 0]);
    expect([realStart(batch, 0), realStart(batch, 1)]).toEqual([0, 2]);
  });

  it('an input it cannot feed is an error naming it; a KV cache input says how to export without it', () => {
    const batch = padBatch(encoded, [0, 1], 0);
    expect(() => modelFeeds('dec', ['input_ids', 'pixel_values'], batch, raw)).toThrow(BackendError);
    expect(() => modelFeeds('dec', ['input_ids', 'pixel_values'], batch, raw)).toThrow(/model input "pixel_values" cannot be fed: parity feeds input_ids, attention_mask, token_type_ids, position_ids$/);
    expect(() => modelFeeds('dec', ['input_ids', 'past_key_values.0.key'], batch, raw)).toThrow(/"past_key_values.0.key" is a KV cache input .* export the model without the cache/);
  });
});

describe('selectModelOutput', () => {
  it('prefers token vectors (harness pooling), then the model\'s sentence_embedding, then a single output', () => {
    expect(selectModelOutput('b', ['sentence_embedding', 'token_embeddings'])).toEqual({ name: 'token_embeddings', kind: 'tokens' });
    expect(selectModelOutput('b', ['pooler_output', 'last_hidden_state'])).toEqual({ name: 'last_hidden_state', kind: 'tokens' });
    expect(selectModelOutput('b', ['sentence_embedding'])).toEqual({ name: 'sentence_embedding', kind: 'sentence' });
    expect(selectModelOutput('b', ['output_0'])).toEqual({ name: 'output_0', kind: 'auto' });
    expect(() => selectModelOutput('b', ['logits', 'pooler_output'])).toThrow(/none is last_hidden_state, token_embeddings or sentence_embedding/);
  });
  it('checks the rank against the kind', () => {
    expect(checkOutputDims('b', { name: 'x', kind: 'auto' }, [2, 5, 8])).toBe(true);
    expect(checkOutputDims('b', { name: 'x', kind: 'auto' }, [2, 8])).toBe(false);
    expect(() => checkOutputDims('b', { name: 'sentence_embedding', kind: 'sentence' }, [2, 5, 8])).toThrow(/expected \[batch, dim\]/);
    expect(() => checkOutputDims('b', { name: 'last_hidden_state', kind: 'tokens' }, [2, 8])).toThrow(/expected \[batch, seq, hidden\]/);
  });
});

describe('graphOptimizationLevel, one option for the three ONNX Runtime runtimes', () => {
  const RUNTIMES = ['onnxruntime-node', 'onnxruntime-web', 'webgpu-browser'];
  const modelDir = join(ROOT, 'fixtures/models/tiny-bert');
  const spec = (runtime: string, options: Record<string, unknown>) => ({ name: 'b', runtime, modelDir, options });

  it.each(RUNTIMES)('%s: is a config key, defaults to all, and the environment says which level', (runtime) => {
    const parsed = parseConfig({ model: modelDir, corpus: 'c.jsonl', golden: 'g.npy', backends: [{ name: 'b', runtime, graphOptimizationLevel: 'basic' }] }, '/x/parity.config.json');
    expect(parsed.backends[0].options.graphOptimizationLevel).toBe('basic');
    for (const level of GRAPH_OPTIMIZATION_LEVELS) {
      const [b] = createBackends([spec(runtime, { graphOptimizationLevel: level })]);
      expect(b.environment().graphOptimizationLevel).toBe(level);
    }
    const [b] = createBackends([spec(runtime, {})]);
    expect(b.environment().graphOptimizationLevel).toBe('all');
  });

  it.each(RUNTIMES.flatMap((runtime) => ['max', 'Basic', 99, null].map((value) => [runtime, value] as const)))(
    '%s: rejects %j in one line naming the backend and the key',
    (runtime, value) => {
      let error: unknown;
      try {
        createBackends([spec(runtime, { graphOptimizationLevel: value })]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toBe(`backend "b": "graphOptimizationLevel" must be one of disabled, basic, extended, all, got ${JSON.stringify(value)}`);
    },
  );
});
