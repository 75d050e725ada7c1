import { describe, expect, it } from 'vitest';
import { erf } from '../../src/numeric/erf.js';
import { float16BitsToFloat32, float32ToFloat16Bits, fromFloat16Bits, toFloat16Bits } from '../../src/numeric/float16.js';
import { encodeSafetensors } from '../../src/model/safetensors.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import { pooledDim, poolSequence, type SequenceView } from '../../src/embed/pooling.js';
import { truncateRows } from '../../src/embed/truncate.js';
import type { PoolingMode } from '../../src/model/model-folder.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('float16', () => {
  it('converts known bit patterns both ways', () => {
    const cases: [number, number][] = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [2 ** -14, 0x0400],
      [2 ** -24, 0x0001], [0.333251953125, 0x3555], [Infinity, 0x7c00], [-Infinity, 0xfc00],
    ];
    for (const [value, bits] of cases) {
      expect(float32ToFloat16Bits(value)).toBe(bits);
      expect(Object.is(float16BitsToFloat32(bits), value)).toBe(true);
    }
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN)))).toBe(true);
  });

  it('rounds to nearest even and overflows to Infinity', () => {
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00);
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0); // tie at the smallest subnormal -> even (0)
  });

  it('every half value survives half -> float -> half', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const back = toFloat16Bits(fromFloat16Bits(all));
    for (let i = 0; i < 65536; i++) {
      const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      if (!isNaN) expect(back[i]).toBe(i);
    }
  });
});

describe('erf', () => {
  it('matches published values to ~1e-15', () => {
    // Abramowitz & Stegun Table 7.1 / mpmath
    const known: [number, number][] = [
      [0, 0], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149],
      [2, 0.9953222650189527], [3, 0.9999779095030014], [4.5, 0.9999999998033839], [-1, -0.8427007929497149],
    ];
    for (const [x, y] of known) expect(Math.abs(erf(x) - y)).toBeLessThan(2e-15);
    expect(erf(7)).toBe(1);
    expect(Number.isNaN(erf(NaN))).toBe(true);
  });
});

describe('safetensors', () => {
  it('round-trips tensors, header aligned to 8 bytes', () => {
    const tensors = new Map([
      ['b', { shape: [2], data: Float32Array.from([1, 2]) }],
      ['a.weight', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) }],
    ]);
    const bytes = Buffer.from(encodeSafetensors(tensors, { format: 'pt' }));
    expect(Number(bytes.readBigUInt64LE(0)) % 8).toBe(0);
    const path = join(mkdtempSync(join(tmpdir(), 'parity-st-')), 'm.safetensors');
    writeFileSync(path, bytes);
    const back = readSafetensors(path);
    expect([...back.keys()].sort()).toEqual(['a.weight', 'b']);
    expect(back.get('a.weight')!.shape).toEqual([2, 3]);
    expect(Array.from(back.get('a.weight')!.data)).toEqual([1, 2, 3, 4, 5, 6.5]);
  });
});

describe('pooling (sentence-transformers semantics)', () => {
  const hidden = Float64Array.from([1, 2, 3, 4, 100, 100]); // 3 tokens × 2 dims, last is padding
  const spec = (modes: PoolingMode[], normalize = false, includePrompt = true) => ({ modes, normalize, includePrompt });
  const pool = (h: ArrayLike<number>, view: SequenceView, s: ReturnType<typeof spec>, dim = 2) => {
    const out = new Float64Array(pooledDim(dim, s));
    poolSequence(h, view, dim, s, out, 0);
    return Array.from(out);
  };
  it('mean over the real tokens only, then L2 normalize', () => {
    expect(pool(hidden, { offset: 0, length: 2 }, spec(['mean']))).toEqual([2, 3]);
    const out = pool(hidden, { offset: 0, length: 2 }, spec(['mean'], true));
    expect(out[0]).toBeCloseTo(2 / Math.sqrt(13), 15);
    expect(Math.hypot(out[0], out[1])).toBeCloseTo(1, 15);
  });
  it('cls, max and mean_sqrt_len', () => {
    expect(pool(hidden, { offset: 0, length: 2 }, spec(['cls']))).toEqual([1, 2]);
    expect(pool(hidden, { offset: 0, length: 2 }, spec(['max']))).toEqual([3, 4]);
    expect(pool(hidden, { offset: 0, length: 2 }, spec(['mean_sqrt_len']))[0]).toBeCloseTo(4 / Math.SQRT2, 15);
  });
  it('weightedmean weighs tokens 1, 2, 3… from the first real token; lasttoken reads the last real one', () => {
    // Left padding: a pad row first, then 3 real tokens [1,0] [0,1] [2,2].
    const left = Float64Array.from([100, 100, 1, 0, 0, 1, 2, 2]);
    const view = { offset: 2, length: 3 };
    expect(pool(left, view, spec(['weightedmean']))).toEqual([(1 * 1 + 3 * 2) / 6, (2 * 1 + 3 * 2) / 6]);
    expect(pool(left, view, spec(['lasttoken']))).toEqual([2, 2]);
    expect(pool(left, view, spec(['cls']))).toEqual([1, 0]);
  });
  it('include_prompt false leaves the prompt tokens out but keeps the others\' weights', () => {
    const h = Float64Array.from([9, 9, 1, 0, 0, 1, 2, 2]); // prompt token, then 3 text tokens
    const view = { offset: 0, length: 4, promptLength: 1 };
    expect(pool(h, view, spec(['mean'], false, false))).toEqual([1, 1]);
    expect(pool(h, view, spec(['cls'], false, false))).toEqual([1, 0]);
    expect(pool(h, view, spec(['max'], false, false))).toEqual([2, 2]);
    expect(pool(h, view, spec(['weightedmean'], false, false))).toEqual([(2 * 1 + 4 * 2) / 9, (3 * 1 + 4 * 2) / 9]);
    expect(pool(h, view, spec(['mean'], false, true))).toEqual([3, 3]);
  });
  it('several modes are concatenated in order, normalized as one vector, then truncated without renormalizing', () => {
    expect(pool(hidden, { offset: 0, length: 2 }, spec(['max', 'mean']))).toEqual([3, 4, 2, 3]);
    const full = pool(hidden, { offset: 0, length: 2 }, spec(['max', 'mean'], true));
    expect(Math.hypot(...full)).toBeCloseTo(1, 15);
    const cut = Array.from(truncateRows({ rows: 1, dim: 4, data: Float64Array.from(full) }, 3).data);
    expect(cut).toEqual(full.slice(0, 3));
    expect(Math.hypot(...cut)).toBeLessThan(1);
  });
  it('nothing pooled: mean stays zero, lasttoken is zero and max is -inf, as sentence-transformers gives', () => {
    expect(pool(new Float64Array(4), { offset: 0, length: 2 }, spec(['mean'], true))).toEqual([0, 0]);
    const h = Float64Array.from([5, 6]);
    expect(pool(h, { offset: 0, length: 1, promptLength: 1 }, spec(['mean', 'lasttoken', 'max'], false, false), 2)).toEqual([0, 0, 0, 0, -Infinity, -Infinity]);
  });
});
