/**
 * The layering that keeps the comparator honest: compare/, report/, evaluate/, baseline/ (the diff
 * of two runs) and history/ never import run/ (the orchestration) or backends/ (the runtimes).
 * Checked on the import statements of every file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/helpers.js';

const SRC = join(ROOT, 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.ts$/.test(e.name) ? [join(dir, e.name)] : []));
}

/** Every module a file imports or re-exports (static, type-only and dynamic), resolved to src/-relative paths. */
export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s*['"]([^'"]+)['"]/gms),
    ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]);
  return specs.filter((s) => s.startsWith('.')).map((s) => relative(SRC, resolve(dirname(file), s)));
}

describe('module layering', () => {
  it('parses imports of every kind', () => {
    const probe = join(SRC, 'compare', 'x.ts');
    expect(relative(SRC, resolve(dirname(probe), '../run/run.js'))).toBe('run/run.js');
    const found = importsOf(join(SRC, 'evaluate', 'evaluate.ts'));
    expect(found).toContain('compare/accumulator.js');
    expect(found).toContain('report/report.js');
    // A multi-line import, and a file that does import the runtimes (so the check below can fail).
    expect(importsOf(join(SRC, 'compare', 'accumulator.ts'))).toContain('compare/scalar-kernel.js');
    expect(importsOf(join(SRC, 'run', 'run.ts'))).toContain('backends/registry.js');
  });

  for (const layer of ['compare', 'report', 'evaluate', 'baseline', 'history']) {
    it(`${layer}/ imports neither run/ nor backends/`, () => {
      const offending = files(join(SRC, layer)).flatMap((f) =>
        importsOf(f)
          .filter((m) => m.startsWith('run/') || m.startsWith('backends/'))
          .map((m) => `${relative(SRC, f)} imports ${m}`),
      );
      expect(offending).toEqual([]);
    });
  }
});
