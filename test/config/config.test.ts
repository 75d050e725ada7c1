/** parity.config.json validation: a bad value is one line that names where to fix it. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { InputError } from '../../src/errors.js';

const config = (backend: Record<string, unknown>) => ({
  model: 'm',
  corpus: 'c.jsonl',
  golden: 'g.npy',
  backends: [{ name: 'reference', runtime: 'reference' }, { name: 'tei', runtime: 'onnxruntime-node', model: 'onnx/model.onnx', ...backend }],
});

describe('backends[].maxTokens', () => {
  it('is kept when a positive integer and absent when not given', () => {
    const parsed = parseConfig(config({ maxTokens: 512 }), '/x/parity.config.json');
    expect(parsed.backends[1].maxTokens).toBe(512);
    expect('maxTokens' in parsed.backends[0]).toBe(false);
  });

  it.each([0, -1, 1.5, '512', null, true])('rejects %j in one line naming the backend and the key', (value) => {
    let error: unknown;
    try {
      parseConfig(config({ maxTokens: value }), 'parity.config.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const message = (error as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toBe(`parity.config.json: backend "tei" (backends[1]): "maxTokens" must be a positive integer (most tokens per text, special tokens included), got ${JSON.stringify(value)}`);
  });
});
