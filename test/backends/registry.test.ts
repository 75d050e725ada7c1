import { describe, expect, it } from 'vitest';
import { createBackends, FACTORIES } from '../../src/backends/registry.js';
import { RUNTIMES } from '../../src/backends/runtimes.js';

describe('runtime descriptors and factories', () => {
  it('every runtime config/ accepts has a factory, and every factory a descriptor', () => {
    expect(Object.keys(FACTORIES).sort()).toEqual(Object.keys(RUNTIMES).sort());
  });

  it('an unknown runtime names the known ones', () => {
    expect(() => createBackends([{ name: 'x', runtime: 'nope', modelDir: '/m', options: {} }])).toThrow(`backend "x": unknown runtime "nope" (known: ${Object.keys(RUNTIMES).join(', ')})`);
  });
});
