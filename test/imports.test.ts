/**
 * The dependency order of src/, as docs/layers.md writes it down: every import of every file goes
 * to its own layer or a lower-numbered one, plus the three rules the order alone does not say.
 * The table is read from the doc, so the doc and the check cannot disagree.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

/** A src/-relative path's unit in the order: its top folder ("compare/") or, at the top, the file ("cli.ts"). */
export function unitOf(path: string): string {
  const slash = path.indexOf('/');
  return slash < 0 ? path.replace(/\.js$/, '.ts') : path.slice(0, slash + 1);
}

/** docs/layers.md's table: unit → layer number. */
export function readLayers(markdown: string): Map<string, number> {
  const layers = new Map<string, number>();
  for (const line of markdown.split('\n')) {
    const row = /^\|\s*(\d+)\s*\|([^|]*)\|/.exec(line);
    if (!row) continue;
    for (const unit of row[2].matchAll(/`([^`]+)`/g)) {
      if (layers.has(unit[1])) throw new Error(`docs/layers.md places ${unit[1]} twice`);
      layers.set(unit[1], Number(row[1]));
    }
  }
  return layers;
}

/** Each import that goes up the order, as "file imports module (layer a < b)". */
export function upwardImports(layers: ReadonlyMap<string, number>, edges: ReadonlyArray<[string, string]>): string[] {
  return edges.flatMap(([from, to]) => {
    const a = layers.get(unitOf(from));
    const b = layers.get(unitOf(to));
    return a === undefined || b === undefined || b <= a ? [] : [`${from} (layer ${a}) imports ${to} (layer ${b})`];
  });
}

const LAYERS = readLayers(readFileSync(join(ROOT, 'docs', 'layers.md'), 'utf8'));
const ALL = files(SRC).map((f) => relative(SRC, f));
const EDGES: Array<[string, string]> = ALL.flatMap((f) => importsOf(join(SRC, f)).map((m): [string, string] => [f, m]));

/** Every src/ file a file loads, directly or through others. */
function closure(start: string): Set<string> {
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const m of importsOf(join(SRC, f))) todo.push(m.replace(/\.js$/, '.ts'));
  }
  return seen;
}

describe('module layering (docs/layers.md)', () => {
  it('parses imports of every kind', () => {
    const probe = join(SRC, 'compare', 'x.ts');
    expect(relative(SRC, resolve(dirname(probe), '../run/run.js'))).toBe('run/run.js');
    const found = importsOf(join(SRC, 'evaluate', 'evaluate.ts'));
    expect(found).toContain('compare/accumulator.js');
    expect(found).toContain('report/report.js');
    // A multi-line import, and a file that does import the runtimes (so the checks below can fail).
    expect(importsOf(join(SRC, 'compare', 'accumulator.ts'))).toContain('compare/scalar-kernel.js');
    expect(importsOf(join(SRC, 'run', 'run.ts'))).toContain('backends/registry.js');
  });

  it('reads the table, and the check finds an import that goes up', () => {
    expect(LAYERS.get('errors.ts')).toBe(1);
    expect(LAYERS.get('compare/')! < LAYERS.get('report/')!).toBe(true);
    expect(LAYERS.get('report/')! < LAYERS.get('run/')!).toBe(true);
    expect(upwardImports(LAYERS, [['compare/x.ts', 'run/run.js']])).toEqual([
      `compare/x.ts (layer ${LAYERS.get('compare/')}) imports run/run.js (layer ${LAYERS.get('run/')})`,
    ]);
    expect(upwardImports(LAYERS, [['run/run.ts', 'compare/x.js'], ['cli.ts', 'errors.js']])).toEqual([]);
    expect(() => readLayers('| 1 | `a/` |\n| 2 | `a/` |')).toThrow(/places a\/ twice/);
  });

  it('places every folder and top-level file of src/, and only those that exist', () => {
    const units = [...new Set(ALL.map(unitOf))].sort();
    expect(units.filter((u) => !LAYERS.has(u))).toEqual([]);
    expect([...LAYERS.keys()].filter((u) => !existsSync(join(SRC, u)))).toEqual([]);
  });

  it('every import goes to the same layer or a lower one', () => {
    expect(upwardImports(LAYERS, EDGES)).toEqual([]);
  });

  for (const layer of ['compare/', 'report/', 'evaluate/', 'baseline/', 'history/']) {
    it(`${layer} imports nothing from backends/`, () => {
      expect(EDGES.filter(([f, m]) => f.startsWith(layer) && m.startsWith('backends/')).map(([f, m]) => `${f} imports ${m}`)).toEqual([]);
    });
  }

  it('config/ loads only the descriptors of backends/, no runner and not the registry', () => {
    const direct = EDGES.filter(([f, m]) => f.startsWith('config/') && m.startsWith('backends/')).map(([, m]) => m);
    expect(direct.length).toBeGreaterThan(0);
    expect([...new Set(direct)].filter((m) => m !== 'backends/backend.js' && m !== 'backends/runtimes.js')).toEqual([]);
    const loaded = ALL.filter((f) => f.startsWith('config/')).flatMap((f) => [...closure(f)]);
    expect([...new Set(loaded)].filter((f) => /(^|\/)(runner|registry)\.ts$/.test(f))).toEqual([]);
    // The check can fail: run/ does load runners.
    expect([...closure('run/run.ts')].some((f) => f.endsWith('/runner.ts'))).toBe(true);
  });

  it('no command imports another command', () => {
    expect(EDGES.filter(([f, m]) => f.startsWith('commands/') && m.startsWith('commands/')).map(([f, m]) => `${f} imports ${m}`)).toEqual([]);
  });
});
