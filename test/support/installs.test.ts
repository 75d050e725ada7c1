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

/** The text of a call's argument list that starts at `from` (just after its "("), up to the matching ")". */
function argumentAt(text: string, from: number): string {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(from, i).trim();
  }
  return text.slice(from).trim();
}

/** skipIf: "!a.present || !b.present ..."; runIf: "a.present && b.present ...". */
function isInstallCondition(kind: 'skipIf' | 'runIf', condition: string): boolean {
  const [term, join] = kind === 'skipIf' ? ['!\\s*\\w+\\.present', '\\|\\|'] : ['\\w+\\.present', '&&'];
  return new RegExp(`^${term}(\\s*${join}\\s*${term})*$`).test(condition);
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

  it('accepts only a condition made wholly of installs', () => {
    expect(isInstallCondition('skipIf', '!python.present')).toBe(true);
    expect(isInstallCondition('skipIf', '!python.present || !model.present || !chromium.present')).toBe(true);
    expect(isInstallCondition('skipIf', '!python.present || process.env.FAST')).toBe(false);
    expect(isInstallCondition('skipIf', '!python.present && !model.present')).toBe(false);
    expect(isInstallCondition('skipIf', 'python.present')).toBe(false);
    expect(isInstallCondition('runIf', 'python.present && model.present')).toBe(true);
    expect(isInstallCondition('runIf', 'python.present || slow')).toBe(false);
    expect(argumentAt('.skipIf(!a.present || check(b))(x)', 8)).toBe('!a.present || check(b)');
  });

  it('is the only way a test in test/ skips', () => {
    const offenders: string[] = [];
    for (const file of testFiles(join(ROOT, 'test'))) {
      if (file.endsWith(join('support', 'installs.test.ts'))) continue;
      const text = readFileSync(file, 'utf8');
      // Conditional skips must test Installs from test/support/installs.ts and nothing else
      // ("!chromium.present", "!python.present || !model.present"): the whole condition, not its start.
      for (const m of text.matchAll(/\.(skipIf|runIf)\(/g)) {
        const condition = argumentAt(text, m.index + m[0].length);
        if (!isInstallCondition(m[1] as 'skipIf' | 'runIf', condition)) offenders.push(`${relative(ROOT, file)}: .${m[1]}(${condition})`);
      }
      for (const m of text.matchAll(/\b(?:it|describe|test)\.skip\(|\bctx\.skip\(|\bcontext\.skip\(/g)) offenders.push(`${relative(ROOT, file)}: ${m[0]}`);
    }
    expect(offenders).toEqual([]);
  });
});
