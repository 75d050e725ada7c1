/**
 * The single feeds builder, output choice and graphOptimizationLevel option every ONNX Runtime
 * flavour and `parity bisect` use (src/backends/ort-io.ts).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixedSequenceLength, GRAPH_OPTIMIZATION_LEVELS, modelFeeds } from '../../src/backends/ort-io.js';
import { checkOutputDims, chooseModelOutput } from '../../src/backends/output-choice.js';
import { createBackends } from '../../src/backends/registry.js';
import { parseConfig } from '../../src/config/config.js';
import { padBatch, padBatchTo, realStart } from '../../src/embed/batches.js';
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

describe('chooseModelOutput', () => {
  const out = (name: string, shape: (number | string)[] | null = null) => ({ name, shape });
  it('prefers token vectors (harness pooling), then the model\'s sentence_embedding, then a single output', () => {
    expect(chooseModelOutput('b', [out('sentence_embedding'), out('token_embeddings')], 8)).toEqual({ name: 'token_embeddings', kind: 'tokens', by: 'name' });
    expect(chooseModelOutput('b', [out('pooler_output'), out('last_hidden_state')], 8)).toEqual({ name: 'last_hidden_state', kind: 'tokens', by: 'name' });
    expect(chooseModelOutput('b', [out('sentence_embedding')], 8)).toEqual({ name: 'sentence_embedding', kind: 'sentence', by: 'name' });
    expect(chooseModelOutput('b', [out('output_0')], 8)).toEqual({ name: 'output_0', kind: 'auto', by: 'only' });
    expect(chooseModelOutput('b', [out('output_0', ['batch', 8])], 8)).toEqual({ name: 'output_0', kind: 'sentence', by: 'only' });
  });
  it('without a conventional name, the shapes decide against config.json\'s hidden size', () => {
    // torch.onnx.export of BertModel with no output_names: last_hidden_state and pooler_output, anonymous.
    expect(chooseModelOutput('b', [out('output', ['batch', 'seq', 8]), out('1234', ['batch', 8])], 8)).toEqual({ name: 'output', kind: 'tokens', by: 'shape' });
    // A [batch, seq, 4] attention-like output does not fit hidden 8; the [batch, 8] one is the sentence vector.
    expect(chooseModelOutput('b', [out('a', ['batch', 'seq', 4]), out('b', ['batch', 8])], 8)).toEqual({ name: 'b', kind: 'sentence', by: 'shape' });
  });
  it('when the shapes do not decide, one error lists every output with its shape and the config line that picks one', () => {
    const outputs = [out('output', ['batch', 'seq', 8]), out('1236', ['batch', 'seq', 8]), out('1240', ['batch', 8])];
    expect(() => chooseModelOutput('b', outputs, 8)).toThrow(BackendError);
    expect(() => chooseModelOutput('b', outputs, 8)).toThrow(
      'b: cannot tell which output holds the embeddings: "output" [batch, seq, 8], "1236" [batch, seq, 8], "1240" [batch, 8] (hidden_size 8 from config.json; 2 fit [batch, seq, hidden] and 1 fit [batch, hidden]); ' +
        'name one in this backend\'s entry of parity.config.json, e.g. "output": "output", "outputKind": "token_embeddings"',
    );
    expect(() => chooseModelOutput('b', [out('logits'), out('pooler_output')], 8)).toThrow(/"logits" no shape, "pooler_output" no shape/);
  });
  it('the config\'s output and outputKind win; a name that is not an output lists the outputs', () => {
    const outputs = [out('output', ['batch', 'seq', 8]), out('1236', ['batch', 'seq', 8])];
    expect(chooseModelOutput('b', outputs, 8, { output: '1236' })).toEqual({ name: '1236', kind: 'tokens', by: 'config' });
    expect(chooseModelOutput('b', [out('x', null)], 8, { output: 'x', outputKind: 'sentence_embedding' })).toEqual({ name: 'x', kind: 'sentence', by: 'config' });
    expect(chooseModelOutput('b', [out('o', ['batch', 'seq', 8]), out('p', ['batch', 8])], 8, { outputKind: 'sentence_embedding' })).toEqual({ name: 'p', kind: 'sentence', by: 'config' });
    expect(() => chooseModelOutput('b', outputs, 8, { output: 'nope' })).toThrow('b: "output": "nope" is not an output of the model (its outputs: "output" [batch, seq, 8], "1236" [batch, seq, 8])');
  });
  it('output and outputKind are config keys of the three ONNX runtimes, checked', () => {
    for (const runtime of ['onnxruntime-node', 'onnxruntime-web', 'webgpu-browser']) {
      const parsed = parseConfig({ model: '.', corpus: 'c.jsonl', golden: 'g.npy', backends: [{ name: 'b', runtime, output: '1236', outputKind: 'token_embeddings' }] }, '/x/parity.config.json');
      expect(parsed.backends[0].options).toMatchObject({ output: '1236', outputKind: 'token_embeddings' });
      expect(() => createBackends([{ name: 'b', runtime, modelDir: '/x', options: { outputKind: 'tokens' } }])).toThrow('backend "b": "outputKind" must be token_embeddings or sentence_embedding, got "tokens"');
    }
  });
  it('checks the rank against the kind', () => {
    expect(checkOutputDims('b', { name: 'x', kind: 'auto' }, [2, 5, 8])).toBe(true);
    expect(checkOutputDims('b', { name: 'x', kind: 'auto' }, [2, 8])).toBe(false);
    expect(() => checkOutputDims('b', { name: 'sentence_embedding', kind: 'sentence' }, [2, 5, 8])).toThrow(/expected \[batch, dim\]/);
    expect(() => checkOutputDims('b', { name: 'last_hidden_state', kind: 'tokens' }, [2, 8])).toThrow(/expected \[batch, seq, hidden\]/);
  });
});

describe('inputs: int32 feeds and a fixed sequence length', () => {
  it('feeds an int32 input as Int32Array with the same values', () => {
    const batch = padBatch(encoded, [0, 1], 1);
    const feeds = modelFeeds('b', [{ name: 'input_ids', int32: true }, { name: 'attention_mask', int32: false }], batch, (data, dims) => ({ data, dims }));
    expect(feeds.input_ids.data).toBeInstanceOf(Int32Array);
    expect(Array.from(feeds.input_ids.data as Int32Array)).toEqual([5, 6, 7, 8, 1, 1]);
    expect(feeds.attention_mask.data).toBeInstanceOf(BigInt64Array);
  });
  it('reads the fixed length off the inputs\' second dim, and pads a batch to it on its own padding side', () => {
    expect(fixedSequenceLength('b', [{ name: 'input_ids', shape: ['batch', 'seq'] }])).toBeNull();
    expect(fixedSequenceLength('b', [{ name: 'input_ids', shape: ['batch', 6] }, { name: 'attention_mask', shape: [-1, 6] }])).toBe(6);
    expect(() => fixedSequenceLength('b', [{ name: 'input_ids', shape: ['batch', 6] }, { name: 'attention_mask', shape: ['batch', 7] }])).toThrow(/different sequence lengths \(6, 7\)/);
    const right = padBatchTo(padBatch(encoded, [0, 1], 1), 5, 1);
    expect(right.seq).toBe(5);
    expect(Array.from(right.inputIds, Number)).toEqual([5, 6, 7, 1, 1, 8, 1, 1, 1, 1]);
    expect(Array.from(right.attentionMask, Number)).toEqual([1, 1, 1, 0, 0, 1, 0, 0, 0, 0]);
    const left = padBatchTo(padBatch(encoded, [0, 1], 0, 'left'), 5, 0);
    expect(Array.from(left.inputIds, Number)).toEqual([0, 0, 5, 6, 7, 0, 0, 0, 0, 8]);
    expect(Array.from(left.positionIds, Number)).toEqual([1, 1, 0, 1, 2, 1, 1, 1, 1, 0]);
    expect([realStart(left, 0), realStart(left, 1)]).toEqual([2, 4]);
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
