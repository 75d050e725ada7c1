import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compiledScript } from '../../src/io/compiled-script.js';
import { ROOT } from '../support/helpers.js';
import { requireBuild } from '../support/installs.js';

const build = requireBuild(join(ROOT, 'dist', 'run', 'backend-worker.js'));

describe.skipIf(!build.present)(build.title('compiledScript: the one worker-script locator'), () => {
  it('finds the compiled sibling from a compiled module and the dist/ mirror from a TypeScript source', () => {
    const url = (p: string) => pathToFileURL(join(ROOT, p)).href;
    expect(compiledScript(url('dist/compare/stream-compare.js'), 'stream-worker.js')).toBe(join(ROOT, 'dist/compare/stream-worker.js'));
    expect(compiledScript(url('src/run/isolated.ts'), 'backend-worker.js')).toBe(join(ROOT, 'dist/run/backend-worker.js'));
    expect(compiledScript(url('src/bench/bench.ts'), 'bench-child.js')).toBe(join(ROOT, 'dist/bench/bench-child.js'));
    expect(compiledScript(url('src/bench/bench.ts'), 'no-such-worker.js')).toBeNull();
  });
});
