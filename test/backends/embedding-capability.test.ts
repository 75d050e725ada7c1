/**
 * Every registered runtime says who applies the run's prompt and truncateDim, and where the harness
 * does, the one shared step cuts the runtime's full vectors to truncateDim.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackendContext } from '../../src/backends/backend.js';
import { APPLIERS } from '../../src/backends/embedding-capability.js';
import { FileBackend } from '../../src/backends/file/runner.js';
import { createBackends, RUNTIMES } from '../../src/backends/registry.js';
import { loadModelInfo } from '../../src/model/model-folder.js';
import { encodeNpy } from '../../src/npy/npy.js';
import { FIXTURE, tempDir } from '../support/helpers.js';

describe('embedding capability: prompt and truncateDim', () => {
  it.each(Object.keys(RUNTIMES))('runtime %s declares who applies the prompt and who applies truncateDim', (runtime) => {
    const declared = RUNTIMES[runtime].embedding({});
    expect(Object.keys(declared).sort()).toEqual(['prompt', 'truncateDim']);
    expect(APPLIERS).toContain(declared.prompt);
    expect(APPLIERS).toContain(declared.truncateDim);
    // And who tokenizes: a diagnosis may blame truncation or the tokenizer only when the runtime does it.
    expect(['harness', 'runtime', 'unknown']).toContain(RUNTIMES[runtime].tokenizer);
  });

  it('the declarations that decide results: PyTorch applies both, http prompt follows its option, file vectors keep their prompt', () => {
    expect(RUNTIMES['sentence-transformers'].embedding({})).toEqual({ prompt: 'runtime', truncateDim: 'runtime' });
    expect(RUNTIMES.http.embedding({})).toEqual({ prompt: 'harness', truncateDim: 'harness' });
    expect(RUNTIMES.http.embedding({ prompt: 'server' })).toEqual({ prompt: 'runtime', truncateDim: 'harness' });
    expect(RUNTIMES.file.embedding({})).toEqual({ prompt: 'runtime', truncateDim: 'harness' });
  });

  it('full vectors from a "harness" runtime are cut to the run\'s truncateDim, without renormalizing; the backend keeps its class', async () => {
    const dir = tempDir();
    const rows = 3;
    const full = Float64Array.from({ length: rows * 64 }, (_, k) => Math.sin(k + 1));
    writeFileSync(join(dir, 'full.npy'), encodeNpy({ rows, dim: 64, data: full }));
    // Recorded as full vectors: a run with truncateDim takes them (the shared step cuts them).
    writeFileSync(join(dir, 'full.meta.json'), JSON.stringify({ promptName: null, truncateDim: null }));
    const [b] = createBackends([{ name: 'f', runtime: 'file', modelDir: FIXTURE.model, options: { path: join(dir, 'full.npy') } }]);
    expect(b).toBeInstanceOf(FileBackend);
    await b.open({ model: loadModelInfo(FIXTURE.model, { truncateDim: 5 }), batchSize: 16 } as BackendContext);
    const cut = await b.embed(['a', 'b', 'c']);
    expect(cut.dim).toBe(5);
    expect(Array.from(cut.data.subarray(5, 10))).toEqual(Array.from(full.subarray(64, 69)));
    await b.open({ model: loadModelInfo(FIXTURE.model), batchSize: 16 } as BackendContext);
    expect((await b.embed(['a', 'b', 'c'])).dim).toBe(64);
  });
});
