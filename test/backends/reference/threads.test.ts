/**
 * The reference on worker threads: every text is computed whole, by the same code, on whichever
 * thread runs it, so `threads: 2` gives the same bits as `threads: 1` (and as the committed golden the
 * reference made). Threads are capped by the texts of a call, the environment says how many ran, a
 * thread that dies fails embed() with a BackendError naming why, and a process with the pool open
 * still exits. Needs dist/ (npx tsc -p tsconfig.json): worker threads run compiled JavaScript.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../../src/backends/backend.js';
import { createBackends } from '../../../src/backends/registry.js';
import { ReferenceBackend } from '../../../src/backends/reference/runner.js';
import { loadCorpus } from '../../../src/corpus/corpus.js';
import { BackendError, InputError } from '../../../src/errors.js';
import { readGolden } from '../../../src/golden/golden.js';
import type { Matrix } from '../../../src/numeric/matrix.js';
import { ModelContexts } from '../../../src/tokenize/model-context.js';
import { FIXTURE, ROOT, tempDir } from '../../support/helpers.js';

const corpus = loadCorpus(FIXTURE.corpus);
const contexts = new ModelContexts();
const opened: Backend[] = [];

afterEach(async () => {
  for (const b of opened.splice(0)) await b.close();
});

async function open(backend: Backend): Promise<Backend> {
  opened.push(backend);
  const ctx = await contexts.get(FIXTURE.model);
  await backend.open({ model: ctx.model, tokenizer: ctx.tokenizer, batchSize: 16 });
  return backend;
}

const reference = (options: Record<string, unknown>) => open(createBackends([{ name: 'reference', runtime: 'reference', modelDir: FIXTURE.model, options }])[0]);

/** Elements that differ in any bit (Object.is: -0 and +0 differ). */
function differing(a: Matrix, b: Matrix): number {
  expect([a.rows, a.dim]).toEqual([b.rows, b.dim]);
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) n++;
  return n;
}

describe('reference: forward passes on worker threads', () => {
  it('threads 2 gives the bits of threads 1 and of the committed golden, and says how many threads ran', async () => {
    const one = await reference({ threads: 1 });
    const two = await reference({ threads: 2 });
    const a = await one.embed(corpus.texts);
    const b = await two.embed(corpus.texts);
    expect(one.environment().threads).toBe(1);
    expect(two.environment().threads).toBe(2);
    expect(a.data).toBeInstanceOf(Float64Array);
    expect(differing(b, a)).toBe(0);
    const golden = readGolden(FIXTURE.golden).vectors;
    expect(differing(b, golden)).toBe(0);
    // Real unit vectors (mean pooling + Normalize), not zeros.
    let norm = 0;
    for (let d = 0; d < b.dim; d++) norm += b.data[d] ** 2;
    expect(Math.abs(norm - 1)).toBeLessThan(1e-12);
  }, 60_000);

  it('starts no more threads than a call has texts', async () => {
    const backend = await reference({ threads: 3 });
    const first = await backend.embed(corpus.texts.slice(0, 1));
    expect(backend.environment().threads).toBe(1);
    const both = await backend.embed(corpus.texts.slice(0, 2));
    expect(backend.environment().threads).toBe(2);
    expect(differing({ ...first, data: both.data.subarray(0, both.dim) }, first)).toBe(0);
    // The report reads the environment after close too.
    await backend.close();
    expect(backend.environment().threads).toBe(2);
  }, 60_000);

  it('threads > 1 without the compiled worker script fails the open, saying how to fix it', async () => {
    class Unbuilt extends ReferenceBackend {
      protected override workerScript(): null {
        return null;
      }
    }
    await expect(open(new Unbuilt('reference', FIXTURE.model, null, 2))).rejects.toThrow(
      /^reference: "threads": 2 needs the worker script dist\/backends\/reference\/forward-worker.js, which is not built \(run npx tsc -p tsconfig.json\), or set "threads": 1$/,
    );
  });

  it('a worker thread that exits fails embed() with a BackendError that says so', async () => {
    // Builds nothing, says it is ready, and exits with code 3 on its first job.
    const dying = 'import { parentPort } from "node:worker_threads"; parentPort.postMessage({ type: "ready" }); parentPort.on("message", () => process.exit(3));';
    class DyingReference extends ReferenceBackend {
      protected override workerScript(): URL {
        return new URL(`data:text/javascript,${encodeURIComponent(dying)}`);
      }
    }
    const backend = await open(new DyingReference('reference', FIXTURE.model, null, 2));
    const failed = await backend.embed(corpus.texts.slice(0, 4)).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(BackendError);
    expect((failed as Error).message).toMatch(/^reference: worker thread \d exited with code 3$/);
    // And the backend stays failed, rather than half-working.
    await expect(backend.embed(corpus.texts.slice(0, 2))).rejects.toThrow(/exited with code 3/);
  }, 60_000);

  it.each([0, 1.5, '2', -1])('refuses threads %j with an InputError', (threads) => {
    expect(() => createBackends([{ name: 'ref', runtime: 'reference', modelDir: FIXTURE.model, options: { threads } }])).toThrow(InputError);
    expect(() => createBackends([{ name: 'ref', runtime: 'reference', modelDir: FIXTURE.model, options: { threads } }])).toThrow(/"threads" must be an integer >= 1/);
  });

  it('a process with worker threads exits, closed or not', () => {
    const dist = (p: string) => JSON.stringify(pathToFileURL(join(ROOT, 'dist', p)).href);
    for (const close of [true, false]) {
      const script = `
        import { createBackends } from ${dist('backends/registry.js')};
        import { ModelContexts } from ${dist('tokenize/model-context.js')};
        const [b] = createBackends([{ name: 'r', runtime: 'reference', modelDir: ${JSON.stringify(FIXTURE.model)}, options: { threads: 2 } }]);
        const ctx = await new ModelContexts().get(${JSON.stringify(FIXTURE.model)});
        await b.open({ model: ctx.model, tokenizer: ctx.tokenizer, batchSize: 16 });
        const m = await b.embed(['one text', 'and another one']);
        console.log(b.environment().threads, m.rows);
        ${close ? 'await b.close();' : ''}
      `;
      const file = join(tempDir(), 'embed.mjs');
      writeFileSync(file, script);
      const r = spawnSync(process.execPath, [file], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
      expect(r.stderr).toBe('');
      expect([r.status, r.signal, r.stdout.trim()]).toEqual([0, null, '2 2']);
    }
  }, 120_000);
});
