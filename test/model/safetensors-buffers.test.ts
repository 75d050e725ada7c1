/** safetensors files as transformers saves real checkpoints: integer buffers beside the weights, bf16 weights. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/model/safetensors.js';
import { tempDir } from '../support/helpers.js';

function file(header: Record<string, unknown>, data: Buffer): string {
  let json = JSON.stringify(header);
  while (json.length % 8) json += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const path = join(tempDir(), 'm.safetensors');
  writeFileSync(path, Buffer.concat([len, Buffer.from(json), data]));
  return path;
}

describe('readSafetensors on real checkpoint layouts', () => {
  it('skips an I64 position_ids buffer (all-MiniLM-L6-v2 carries one) and reads BF16 exactly', () => {
    const ids = Buffer.alloc(3 * 8);
    [0n, 1n, 2n].forEach((v, i) => ids.writeBigInt64LE(v, i * 8));
    // bf16 bits of 1.5, -0.0078125 and 3.0: the top halves of the float32 bits.
    const bf16 = Buffer.alloc(6);
    [0x3fc0, 0xbc00, 0x4040].forEach((v, i) => bf16.writeUInt16LE(v, i * 2));
    const path = file(
      {
        __metadata__: { format: 'pt' },
        'embeddings.position_ids': { dtype: 'I64', shape: [1, 3], data_offsets: [0, 24] },
        'embeddings.LayerNorm.weight': { dtype: 'BF16', shape: [3], data_offsets: [24, 30] },
      },
      Buffer.concat([ids, bf16]),
    );
    const tensors = readSafetensors(path);
    expect([...tensors.keys()]).toEqual(['embeddings.LayerNorm.weight']);
    expect(Array.from(tensors.get('embeddings.LayerNorm.weight')!.data)).toEqual([1.5, -0.0078125, 3]);
  });

  it('still refuses a dtype it cannot read, naming it', () => {
    const path = file({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(8));
    expect(() => readSafetensors(path)).toThrow(/tensor w has dtype F8_E4M3/);
  });
});
