/** The guard behind "CI cannot skip silently": a missing install fails in CI, and no test skips around it. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';
import { requireInstall } from './installs.js';

const saved = process.env.CI;
afterEach(() => {
  if (saved === undefined) delete process.env.CI;
  else process.env.CI = saved;
});

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('requireInstall', () => {
  it('skips with the reason outside CI', () => {
    delete process.env.CI;
    const missing = requireInstall('Frobnicator at /opt/frob', false, 'apt-get install -y frob');
    expect(missing.present).toBe(false);
    expect(missing.title('frob test')).toBe('frob test (skipped: Frobnicator at /opt/frob is missing; apt-get install -y frob)');
    expect(requireInstall('x', true, 'y').title('frob test')).toBe('frob test');
  });

  it('fails in CI, naming the install step', () => {
    process.env.CI = 'true';
    expect(() => requireInstall('Frobnicator at /opt/frob', false, 'apt-get install -y frob')).toThrow(/CI is set but Frobnicator at \/opt\/frob is missing: install it \(apt-get install -y frob\) in \.ci\/run/);
    expect(requireInstall('x', true, 'y').present).toBe(true);
  });

  it('is the only way a test in test/ skips', () => {
    const offenders: string[] = [];
    for (const file of testFiles(join(ROOT, 'test'))) {
      if (file.endsWith(join('support', 'installs.test.ts'))) continue;
      const text = readFileSync(file, 'utf8');
      // Conditional skips must test an Install from test/support/installs.ts ("!chromium.present").
      for (const m of text.matchAll(/\.(skipIf|runIf)\(([^)]*)\)/g)) {
        if (!/^!?\s*\w+\.present\b/.test(m[2].trim())) offenders.push(`${relative(ROOT, file)}: .${m[1]}(${m[2]})`);
      }
      for (const m of text.matchAll(/\b(?:it|describe|test)\.skip\(|\bctx\.skip\(|\bcontext\.skip\(/g)) offenders.push(`${relative(ROOT, file)}: ${m[0]}`);
    }
    expect(offenders).toEqual([]);
  });
});
