/**
 * The pure half of the baseline diff: growth, moved elements, the per-backend diff of two reports
 * (backends and texts in one run only are named), drift limits, and the renderers' text for it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffReports, exceededLimits } from '../../src/baseline/diff.js';
import { growth } from '../../src/baseline/drift-metrics.js';
import { vectorMoves } from '../../src/baseline/vectors.js';
import { MoveAccumulator } from '../../src/compare/moved.js';
import { writeNpy } from '../../src/npy/npy.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import type { Report } from '../../src/report/report.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { syntheticReport } from '../support/report-fixture.js';

describe('growth', () => {
  it('is after ÷ before, with zero and NaN handled as no change or unbounded growth', () => {
    expect(growth(2e-7, 6e-7)).toBeCloseTo(3, 12);
    expect(growth(4, 1)).toBe(0.25);
    expect(growth(0, 0)).toBe(1);
    expect(growth(0, 1e-9)).toBe(Infinity);
    expect(growth(1e-6, NaN)).toBe(Infinity);
    expect(growth(NaN, NaN)).toBe(1);
    expect(growth(NaN, 1e-6)).toBe(0);
    // A cosine Δ of −1e-17 is rounding around zero.
    expect(growth(-1e-17, 0)).toBe(1);
  });
});

describe('MoveAccumulator', () => {
  it('counts every element that changed at all and finds the largest change', () => {
    const before = new Float64Array([1, 2, 3, 4, 5, 6]);
    const after = new Float64Array([1, 2 + 3e-7, 3, 4, 5 - 1e-6, 6]);
    const acc = new MoveAccumulator(3);
    acc.add(before, after, ['a', 'b']);
    const m = acc.result();
    expect(m.compared).toBe(6);
    expect(m.moved).toBe(2);
    expect(m.maxMove).toBeCloseTo(1e-6, 15);
    expect(m.maxMoveAt).toMatchObject({ id: 'b', dim: 1, before: 5 });
  });

  it('counts NaN to NaN as unchanged and a value turning NaN as an unbounded move', () => {
    const acc = new MoveAccumulator(2);
    acc.add([NaN, 1], [NaN, NaN], ['x']);
    const m = acc.result();
    expect(m.moved).toBe(1);
    expect(m.maxMove).toBe(Infinity);
    expect(m.maxMoveAt).toMatchObject({ id: 'x', dim: 1 });
  });
});

/** The synthetic report as a newer run: cpu-fp32's max abs tripled under a new onnxruntime-node, a backend added and one gone, a text replaced. */
function newerRun(): { before: Report; after: Report; goneName: string } {
  const before = syntheticReport();
  const after = syntheticReport();
  const fp32 = after.backends.find((b) => b.name === 'cpu-fp32')!;
  fp32.metrics = { ...fp32.metrics!, maxAbs: 3.18e-6 };
  fp32.environment = { ...fp32.environment, version: '1.31.0' };
  after.packages = { ...after.packages, 'onnxruntime-node': '1.31.0' };
  const gone = after.backends.findIndex((b) => b.name !== 'cpu-fp32');
  const goneName = after.backends[gone].name;
  after.backends.splice(gone, 1);
  after.backends.push({ ...fp32, name: 'wasm-fp32', runtime: 'onnxruntime-web' });
  after.corpus = { ...after.corpus, ids: [...after.corpus.ids.slice(0, -1), 'new-text'] };
  return { before, after, goneName };
}

describe('diffReports', () => {
  it('gives each backend its metric growth and environment changes, and names backends and texts found in one run only', () => {
    const { before, after, goneName } = newerRun();
    const diff = diffReports(before, after, 'base/report.json');
    const fp32 = diff.backends.find((d) => d.name === 'cpu-fp32')!;
    expect(fp32.in).toBe('both');
    const maxAbs = fp32.metrics.find((m) => m.key === 'maxAbs')!;
    expect(maxAbs).toMatchObject({ before: 1.06e-6, after: 3.18e-6 });
    expect(maxAbs.growth).toBeCloseTo(3, 12);
    expect(fp32.metrics.find((m) => m.key === 'cosineDeltaMax')!.growth).toBe(1);
    expect(fp32.environment).toEqual([{ key: 'version', before: '1.30.0', after: '1.31.0' }]);
    expect(diff.environment).toContainEqual({ key: 'packages.onnxruntime-node', before: before.packages['onnxruntime-node'] ?? null, after: '1.31.0' });
    expect(diff.backends.find((d) => d.name === 'wasm-fp32')).toMatchObject({ in: 'current', statusBefore: null, statusAfter: 'pass' });
    expect(diff.backends.find((d) => d.name === goneName)).toMatchObject({ in: 'baseline', statusAfter: null });
    expect(diff.backends).toHaveLength(before.backends.length + 1);
    const lastId = before.corpus.ids[before.corpus.ids.length - 1];
    expect(diff.texts.onlyInBaseline).toEqual({ count: 1, ids: [lastId] });
    expect(diff.texts.onlyInCurrent).toEqual({ count: 1, ids: ['new-text'] });
    // Without drift limits the change is information only.
    expect(fp32.exceeded).toEqual([]);
  });

  it('breaks maxGrowth with a line naming the metric, both values and the growth', () => {
    const { before, after } = newerRun();
    after.backends.find((b) => b.name === 'cpu-fp32')!.limits = { drift: { maxGrowth: 2 } };
    const fp32 = diffReports(before, after, 'base').backends.find((d) => d.name === 'cpu-fp32')!;
    expect(fp32.exceeded).toEqual(['drift: max abs 1.06e-6 → 3.18e-6 (3×) since the baseline (maxGrowth 2×)']);
    expect(exceededLimits(fp32, { maxGrowth: 3.5 })).toEqual([]);
  });

  it('breaks maxMoved only when more elements moved than allowed', () => {
    const moves = { compared: 100, moved: 12, maxMove: 3e-7, maxMoveAt: { id: 'a', dim: 4, before: 0.1, after: 0.1000003 } };
    expect(exceededLimits({ metrics: [], moves }, { maxMoved: 12 })).toEqual([]);
    expect(exceededLimits({ metrics: [], moves }, { maxMoved: 11 })).toEqual(["drift: 12 of 100 elements moved, the largest by 3.00e-7 ('a' dim 4) since the baseline (maxMoved 11)"]);
  });

  it('is rendered in the terminal, Markdown and HTML, naming the backend, the growth and the environment change', () => {
    const { before, after } = newerRun();
    const report: Report = { ...after, baseline: diffReports(before, after, 'base/report.json') };
    const terminal = renderTerminal(report, { color: false });
    expect(terminal).toContain('Since baseline base/report.json');
    expect(terminal).toContain('cpu-fp32: max abs 1.06e-6 → 3.18e-6 (3×)');
    expect(terminal).toContain('version 1.30.0 → 1.31.0');
    expect(terminal).toContain('wasm-fp32: new in this run (pass): not in the baseline');
    const md = renderMarkdown(report);
    expect(md).toContain('### Since baseline');
    expect(md).toMatch(/\| cpu-fp32 \| pass \| 1\.06e-6 → 3\.18e-6 \(3×\) \|/);
    expect(md).toContain("1 text only in the baseline ('long')");
    const html = renderHtml(report);
    expect(html).toContain('<h2 id="baseline">Since baseline</h2>');
    expect(html).toContain('<a href="#baseline">Since baseline</a>');
    expect(html).toContain('<b>version</b> 1.30.0 → 1.31.0');
  });
});

describe('vectorMoves', () => {
  it('pairs rows by text id, so texts in both runs are compared even when the corpus changed', () => {
    const dir = (name: string) => mkdtempSync(join(tmpdir(), `parity-moves-${name}-`));
    const a = dir('a');
    const b = dir('b');
    // Baseline rows x, y, z; the newer run has z, x (y dropped) with x's dim 1 moved by 2.5e-7.
    writeNpy(join(a, 'v.npy'), { rows: 3, dim: 2, data: new Float32Array([0.5, 0.25, 1, 2, -0.75, 0.125]) });
    writeNpy(join(b, 'v.npy'), { rows: 2, dim: 2, data: new Float32Array([-0.75, 0.125, 0.5, 0.25 + 2.5e-7]) });
    const report = (ids: string[]): Report => {
      const r = syntheticReport();
      return { ...r, corpus: { ...r.corpus, ids }, backends: [{ ...r.backends[0], vectors: 'v.npy' }] };
    };
    const moves = vectorMoves({ report: report(['x', 'y', 'z']), dir: a }, { report: report(['z', 'x']), dir: b });
    const m = moves.get(report(['x']).backends[0].name)!;
    expect(m).toMatchObject({ compared: 4, moved: 1, maxMoveAt: { id: 'x', dim: 1 } });
    expect('maxMove' in m && m.maxMove).toBe(Math.fround(0.25 + 2.5e-7) - 0.25);
  });
});

describe('report.json round trip', () => {
  it('keeps an unbounded growth (0 → non-zero) through report.json, where it is the string "Infinity"', async () => {
    const { writeFileSync } = await import('node:fs');
    const { reportToJson } = await import('../../src/report/json.js');
    const { readReport } = await import('../../src/report/read-report.js');
    const before = syntheticReport();
    before.backends[0].metrics = { ...before.backends[0].metrics!, maxAbs: 0 };
    const after = syntheticReport();
    const report: Report = { ...after, baseline: diffReports(before, after, 'base') };
    const text = reportToJson(report);
    expect(text).toContain('"growth": "Infinity"');
    const path = join(mkdtempSync(join(tmpdir(), 'parity-roundtrip-')), 'report.json');
    writeFileSync(path, text);
    const back = readReport(path);
    expect(back.baseline!.backends[0].metrics.find((m) => m.key === 'maxAbs')).toEqual({ key: 'maxAbs', before: 0, after: 1.06e-6, growth: Infinity });
    expect(reportToJson(back)).toBe(text);
  });
});
