/** Watched elements: config parsing, reading from .npy files, and every renderer showing them. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { InputError } from '../../src/errors.js';
import { writeNpy } from '../../src/npy/npy.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { checkWatch, parseWatch } from '../../src/config/watch.js';
import { readWatched } from '../../src/evaluate/watch.js';
import { syntheticReport } from '../support/report-fixture.js';
import { tempDir } from '../support/helpers.js';

describe('watch', () => {
  it('parses [{id, dim}] and names the bad key or value', () => {
    expect(parseWatch([{ id: 'seed-2024', dim: 383 }], 'c.json')).toEqual([{ id: 'seed-2024', dim: 383 }]);
    expect(parseWatch(undefined, 'c.json')).toEqual([]);
    expect(() => parseWatch({ id: 'x', dim: 1 }, 'c.json')).toThrow(InputError);
    expect(() => parseWatch([{ id: 'x', dim: -1 }], 'c.json')).toThrow(/\[0\]\.dim must be an integer >= 0, got -1/);
    expect(() => parseWatch([{ id: 'x', dim: 1, row: 2 }], 'c.json')).toThrow(/unknown key "row"/);
    expect(() => parseWatch([{ dim: 1 }], 'c.json')).toThrow(/\[0\]\.id must be a corpus id/);
    const config = parseConfig({ model: 'm', corpus: 'c.jsonl', golden: 'g.npy', watch: [{ id: 'a', dim: 0 }], backends: [{ name: 'reference', runtime: 'reference' }] }, '/x/c.json');
    expect(config.watch).toEqual([{ id: 'a', dim: 0 }]);
  });

  it('refuses an id that is not in the corpus or a dim past the golden', () => {
    expect(() => checkWatch([{ id: 'nope', dim: 0 }], ['a', 'b'], 4, 'c.json')).toThrow(/"watch" id "nope" is not in the corpus/);
    expect(() => checkWatch([{ id: 'a', dim: 4 }], ['a', 'b'], 4, 'c.json')).toThrow(/dim 4 of "a" is past the golden's 4 dimensions/);
    expect(() => checkWatch([{ id: 'b', dim: 3 }], ['a', 'b'], 4, 'c.json')).not.toThrow();
  });

  it('reads the element from the golden and each backend, following the shard row mapping', () => {
    const dir = tempDir();
    const golden = join(dir, 'g.npy');
    const actual = join(dir, 'a.npy');
    // golden: 3 corpus rows; the run covers corpus rows 1 and 2 (a shard), so run row 1 is golden row 2.
    writeNpy(golden, { rows: 3, dim: 2, data: new Float64Array([0, 0, 0.5, 0.25, -0.0078360761, 7]) });
    writeNpy(actual, { rows: 2, dim: 2, data: new Float32Array([0.5, 0.25, -0.0078095649, 7]) });
    const [w, missing] = readWatched([{ id: 'seed', dim: 0 }, { id: 'elsewhere', dim: 1 }], ['b', 'seed'], golden, (r) => r + 1, [{ name: 'x', path: actual }]);
    expect(w.golden).toBe(-0.0078360761);
    expect(w.values.x).toBeCloseTo(-0.0078095649, 9);
    expect(missing).toEqual({ id: 'elsewhere', dim: 1, golden: null, values: {} });
  });

  it('shows golden and backend values with |Δ| in the terminal, Markdown and HTML', () => {
    const report = syntheticReport();
    const name = report.backends[0].name;
    report.watch = [{ id: 'seed-2024', dim: 383, golden: -0.007836076142729393, values: { [name]: -0.007809564936906099 } }];
    for (const text of [renderTerminal(report, { color: false }), renderMarkdown(report), renderHtml(report)]) {
      expect(text).toContain('seed-2024 dim 383');
      expect(text).toContain('-0.0078360761');
      expect(text).toContain('-0.0078095649 (Δ 2.65e-5)');
    }
  });
});
