/** webgpu-browser fails a batch that made no WebGPU dispatch: a silent CPU fallback is not WebGPU. */
import { describe, expect, it } from 'vitest';
import { newDispatches } from '../../../src/backends/webgpu/runner.js';
import { BackendError } from '../../../src/errors.js';

const kernel = (dispatches: number) => ({ pipelines: 1, dispatches, devices: [0], subgroupShaders: 0, subgroupDispatches: 0 });
const batch = { batch: 4, seq: 34 };

describe('webgpu-browser dispatch check', () => {
  it('counts the dispatches of every kernel and returns the new total', () => {
    expect(newDispatches('wg', { kernels: { MatMul: kernel(12), Softmax: kernel(6) } }, 0, batch)).toBe(18);
    expect(newDispatches('wg', { kernels: { MatMul: kernel(24), Softmax: kernel(12) } }, 18, batch)).toBe(36);
  });

  it('a batch that added no dispatch (or a page with no counters at all) is a BackendError naming the batch', () => {
    const none = () => newDispatches('wg', { kernels: { MatMul: kernel(18) } }, 18, batch);
    expect(none).toThrow(BackendError);
    expect(none).toThrow(/^wg: session\.run on a batch of 4×34 made no WebGPU dispatch: the model ran without the GPU \(a CPU fallback is not WebGPU\)/);
    expect(() => newDispatches('wg', null, 0, batch)).toThrow(/made no WebGPU dispatch/);
    expect(() => newDispatches('wg', { kernels: {} }, 0, batch)).toThrow(/made no WebGPU dispatch/);
  });
});
