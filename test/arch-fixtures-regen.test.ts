/**
 * `npm run fixtures:arch` is deterministic: regenerating the architecture fixtures and their float64
 * goldens from scratch (scripts/make_arch_fixtures.py, fixed seeds) writes byte-identical files to
 * the committed ones, so they can be rebuilt and reviewed rather than trusted.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers.js';
import { requirePythonEnv, VENV_PYTHON } from './support/installs.js';

const python = requirePythonEnv();

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

const out = tempDir('parity-arch-');
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.skipIf(!python.present)(python.title('npm run fixtures:arch'), () => {
  it('rewrites every committed model file and golden byte for byte', () => {
    const r = spawnSync(VENV_PYTHON, [join(ROOT, 'scripts/make_arch_fixtures.py'), '--out-models', join(out, 'models'), '--out-golden', join(out, 'golden')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 900_000,
    });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    for (const [committed, fresh] of [
      [join(ROOT, 'fixtures/models/arch'), join(out, 'models')],
      [join(ROOT, 'golden/arch'), join(out, 'golden')],
    ]) {
      const names = files(committed);
      expect(files(fresh)).toEqual(names);
      expect(names.length).toBeGreaterThan(10);
      const differ = names.filter((n) => !readFileSync(join(committed, n)).equals(readFileSync(join(fresh, n))));
      expect(differ).toEqual([]);
    }
  }, 900_000);
});
