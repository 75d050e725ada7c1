import { describe, expect, it } from 'vitest';
import { geluErf, geluGgmlCpu, geluTanh } from '../../src/numeric/gelu.js';

describe('GELU forms', () => {
  it('erf and tanh GELU at 1 are the textbook values (Φ(1) = 0.8413447460685429)', () => {
    expect(geluErf(1)).toBeCloseTo(0.8413447460685429, 15);
    expect(geluTanh(1)).toBeCloseTo(0.8411919906082768, 15);
  });

  it("ggml's CPU GELU rounds its input and its tanh-GELU output to fp16", () => {
    // tanh-GELU(1) = 0.84119199…; fp16 spacing on [0.5, 1) is 2^-11, so 1723·2^-11.
    expect(geluGgmlCpu(1)).toBe(1723 * 2 ** -11);
    // 1.0003 is 1 in fp16 (spacing 2^-10 on [1, 2)): the same table entry.
    expect(geluGgmlCpu(1.0003)).toBe(geluGgmlCpu(1));
    expect(geluGgmlCpu(-10)).toBe(0);
    expect(geluGgmlCpu(12.5)).toBe(12.5);
  });
});
