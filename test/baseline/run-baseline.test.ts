/**
 * `run --baseline`, `parity diff`, drift limits and `run --history` end to end on the tiny-bert
 * fixture: a change the way a dependency bump makes one (onnxruntime-node's graph optimization
 * level, and a perturbed vectors file), and the diff naming the backend, the growth and the
 * environment difference. The downstream and batch-invariance checks are off to keep it fast.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../src/npy/npy.js';
import { fmt } from '../../src/numeric/format.js';
import { FIXTURE, parity, tempDir } from '../support/helpers.js';

const dir = tempDir('parity-baseline-');
const history = join(dir, 'history.jsonl');

function config(name: string, backends: unknown[]): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ ...FIXTURE, isolation: 'none', checks: { downstreamMaxN: 0, batchInvarianceSample: 0 }, backends }));
  return path;
}

const ort = (level: string, extra: object = {}) => ({ name: 'cpu-fp32', runtime: 'onnxruntime-node', model: 'onnx/model.onnx', threads: 1, graphOptimizationLevel: level, ...extra });
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** Elements that differ between two vector files, counted here independently of the code under test. */
function countMoved(a: string, b: string): { moved: number; max: number } {
  const x = readNpy(a).data;
  const y = readNpy(b).data;
  let moved = 0;
  let max = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) moved++;
    max = Math.max(max, Math.abs(x[i] - y[i]));
  }
  return { moved, max };
}

/** The first run, at onnxruntime-node's default graph optimization level: the baseline of both groups below. */
const a = join(dir, 'a');
beforeAll(() => {
  const first = parity(['run', '-c', config('all', [ort('all')]), '-o', a, '--history', history]);
  expect(first.code, first.stderr).toBe(0);
}, 60_000);

describe('run --baseline after a graph optimization level change', () => {
  const b = join(dir, 'b');
  let run: ReturnType<typeof parity>;
  beforeAll(() => {
    run = parity(['run', '-c', config('disabled', [ort('disabled')]), '-o', b, '--baseline', a, '--history', history]);
  }, 120_000);

  it('names the backend, the growth of max abs, the moved elements and the environment difference, and stays information only', () => {
    expect(run.code, run.stderr).toBe(0);
    const before = json(join(a, 'report.json')).backends[0];
    const report = json(join(b, 'report.json'));
    const after = report.backends[0];
    const drift = report.baseline.backends[0];
    expect(drift.name).toBe('cpu-fp32');
    const maxAbs = drift.metrics.find((m: { key: string }) => m.key === 'maxAbs');
    expect(maxAbs.before).toBe(before.metrics.maxAbs);
    expect(maxAbs.after).toBe(after.metrics.maxAbs);
    expect(maxAbs.growth).toBe(after.metrics.maxAbs / before.metrics.maxAbs);
    // Fusing ops or not changes float32 rounding: the vectors move, and the count is the files'.
    const counted = countMoved(join(a, 'vectors/cpu-fp32.npy'), join(b, 'vectors/cpu-fp32.npy'));
    expect(counted.moved).toBeGreaterThan(0);
    expect(drift.moves.moved).toBe(counted.moved);
    expect(drift.moves.compared).toBe(289 * 64);
    expect(drift.moves.maxMove).toBe(counted.max);
    expect(drift.environment).toContainEqual({ key: 'graphOptimizationLevel', before: 'all', after: 'disabled' });
    expect(drift.exceeded).toEqual([]);
    expect(run.stdout).toContain(`cpu-fp32: max abs ${fmt(maxAbs.before)} → ${fmt(maxAbs.after)} (${fmt(maxAbs.growth)}×), ${counted.moved.toLocaleString('en-US')} of 18,496 elements moved`);
    expect(run.stdout).toContain('environment: graphOptimizationLevel all → disabled');
  });

  it('parity diff A B says the same and exits 0 without drift limits', () => {
    const diff = parity(['diff', a, b, '--json']);
    expect(diff.code, diff.stderr).toBe(0);
    const d = JSON.parse(diff.stdout).backends[0];
    expect(d.moves.moved).toBe(json(join(b, 'report.json')).baseline.backends[0].moves.moved);
  });

  it('run --history appends one line per run, and report --history draws each metric with the environment change marked', () => {
    const lines = readFileSync(history, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => l.backends[0].metrics.maxAbs)).toEqual([json(join(a, 'report.json')).backends[0].metrics.maxAbs, json(join(b, 'report.json')).backends[0].metrics.maxAbs]);
    expect(lines[1].backends[0].environment.graphOptimizationLevel).toBe('disabled');
    const out = parity(['report', '--history', history, '--out', dir]);
    expect(out.code, out.stderr).toBe(0);
    const html = readFileSync(join(dir, 'history.html'), 'utf8');
    expect(html).toContain('data-chart="history-maxAbs"');
    expect(html.match(/class="env-change"/g)).toHaveLength(5); // one marker per chart drawn (5 metrics: checks off)
    expect(html).toContain('cpu-fp32: graphOptimizationLevel: all → disabled');
  });
});

describe('drift limits on a perturbed vectors file', () => {
  const base = join(dir, 'base');
  let vectors: string;
  beforeAll(() => {
    // The fixture's float64 reference is the golden: start from cpu-fp32's real vectors instead (max abs ~1e-6).
    vectors = join(dir, 'vectors.npy');
    copyFileSync(join(a, 'vectors/cpu-fp32.npy'), vectors);
    const first = parity(['run', '-c', config('dump', [{ name: 'dump', runtime: 'file', path: vectors }]), '-o', base]);
    expect(first.code, first.stderr).toBe(0);
  }, 120_000);

  /** The baseline's vectors with 5 elements moved by +4e-6: max abs grows, still far within atol 1e-5. */
  function perturbed(): string {
    const m = readNpy(vectors);
    const data = Float32Array.from(m.data);
    for (const i of [3, 700, 5000, 9001, 18000]) data[i] += 4e-6;
    const path = join(dir, 'perturbed.npy');
    writeNpy(path, { rows: m.rows, dim: m.dim, data });
    return path;
  }

  it('fails the run (exit 1) past maxGrowth and maxMoved even within tolerance, and names the file change', () => {
    const path = perturbed();
    const out = join(dir, 'over');
    const r = parity(['run', '-c', config('over', [{ name: 'dump', runtime: 'file', path, drift: { maxGrowth: 2, maxMoved: 4 } }]), '-o', out, '--baseline', base]);
    expect(r.code, r.stderr).toBe(1);
    const report = json(join(out, 'report.json'));
    const b = report.backends[0];
    expect(b.status).toBe('fail');
    expect(b.metrics.mismatches).toBe(0);
    const before = json(join(base, 'report.json')).backends[0].metrics.maxAbs;
    const growth = b.metrics.maxAbs / before;
    expect(growth).toBeGreaterThan(2);
    expect(b.reasons).toContain(`drift: max abs ${fmt(before)} → ${fmt(b.metrics.maxAbs)} (${fmt(growth)}×) since the baseline (maxGrowth 2×)`);
    expect(b.reasons.some((x: string) => x.startsWith('drift: 5 of 18,496 elements moved, the largest by'))).toBe(true);
    const env = report.baseline.backends[0].environment.map((c: { key: string }) => c.key);
    expect(env).toEqual(expect.arrayContaining(['path', 'sha256']));
    expect(r.stdout).toContain('dump fail: drift: max abs');
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('| dump ❌ | pass → **fail** |');
    expect(parity(['diff', base, out]).code).toBe(1);
  });

  it('passes when the change stays inside the limits', () => {
    const path = perturbed();
    const r = parity(['run', '-c', config('inside', [{ name: 'dump', runtime: 'file', path, drift: { maxGrowth: 100, maxMoved: 5 } }]), '-o', join(dir, 'inside'), '--baseline', base]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('5 of 18,496 elements moved');
    expect(r.stdout).toContain('within its drift limits and tolerance');
  });

  it('refuses a missing baseline and a baseline in the --out folder, in one line (exit 2)', () => {
    const cfg = config('dump2', [{ name: 'dump', runtime: 'file', path: vectors }]);
    const missing = parity(['run', '-c', cfg, '-o', join(dir, 'x'), '--baseline', join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('cannot read report');
    const same = parity(['run', '-c', cfg, '-o', base, '--baseline', base]);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('is in the --out folder this run writes');
  });

  it('rejects a drift limit that cannot mean anything', () => {
    const r = parity(['run', '-c', config('bad', [{ name: 'dump', runtime: 'file', path: vectors, drift: { maxGrowth: 0.5 } }]), '-o', join(dir, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"backends[0].drift.maxGrowth" must be a ratio >= 1');
  });
});
