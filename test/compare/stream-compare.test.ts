import { closeSync, openSync, readFileSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ComparisonAccumulator } from '../../src/compare/accumulator.js';
import { histogramBin } from '../../src/compare/histogram.js';
import type { Comparison } from '../../src/compare/metric-types.js';
import { compareMatrices } from '../../src/compare/metrics.js';
import { accumulateRange, compareNpyFiles } from '../../src/compare/stream-compare.js';
import { compareFiles } from '../../src/commands/compare.js';
import { InputError } from '../../src/errors.js';
import { NpyRowReader, readNpyInfo } from '../../src/npy/npy-reader.js';
import { decodeNpy, encodeNpy, npyHeaderBytes } from '../../src/npy/npy.js';
import { toFloat16Bits } from '../../src/numeric/float16.js';
import { ROOT, tempDir } from '../support/helpers.js';
import { requireBuild } from '../support/installs.js';
import { referenceCompareMatrices } from '../support/metrics-reference.js';

const dir = tempDir('parity-stream-');
const tol = { atol: 1e-5, rtol: 1.3e-6 };

/** Deterministic pseudo-embeddings in [-0.5, 0.5). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
}

/** golden/actual pair with the awkward cases: NaN/Inf on either side, zero and constant rows, outliers. */
function pair(rows: number, dim: number, seed = 1, Array: typeof Float32Array | typeof Float64Array = Float32Array) {
  const next = lcg(seed);
  const g = new Array(rows * dim);
  const a = new Array(rows * dim);
  for (let i = 0; i < g.length; i++) {
    g[i] = next() * 0.2;
    a[i] = g[i] + next() * 2e-5;
  }
  const at = (r: number, k: number) => r * dim + k;
  if (rows > 3) {
    a[at(1, 0)] = NaN;
    g[at(2, dim - 1)] = NaN;
    a[at(3, 1 % dim)] = Infinity;
    g[at(3, 1 % dim)] = Infinity; // equal infinities: a match
    a.fill(0, at(rows - 1, 0), at(rows, 0)); // a zero row where golden has none
  }
  if (rows > 5) {
    g.fill(0.25, at(4, 0), at(5, 0));
    a.fill(0.25, at(4, 0), at(5, 0)); // constant in both
    a[at(5, dim >> 1)] = g[at(5, dim >> 1)] + 3e-3; // outlier
  }
  return { golden: { rows, dim, data: g }, actual: { rows, dim, data: a } };
}

function writeNpyFile(name: string, m: { rows: number; dim: number; data: Float32Array | Float64Array }): string {
  const path = join(dir, name);
  writeFileSync(path, encodeNpy(m));
  return path;
}

function writeF16File(name: string, rows: number, dim: number, values: ArrayLike<number>): string {
  const path = join(dir, name);
  const bits = toFloat16Bits(values);
  writeFileSync(path, Buffer.concat([npyHeaderBytes('<f2', [rows, dim]), Buffer.from(bits.buffer, bits.byteOffset, bits.byteLength)]));
  return path;
}

/** Comparisons as plain data (typed arrays to arrays, NaN kept comparable). */
const plain = (c: Comparison) => JSON.parse(JSON.stringify(c, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)));

describe('ComparisonAccumulator (optimised) against the original one-element-at-a-time comparator', () => {
  const cases: Array<[string, number, number, { atol: number; rtol: number }]> = [
    ['fp32 defaults, 384 dims', 60, 384, tol],
    ['loose tolerance (worst list fills slowly)', 40, 97, { atol: 1e-3, rtol: 1e-3 }],
    ['zero tolerance (everything mismatches)', 30, 33, { atol: 0, rtol: 0 }],
    ['rtol only', 25, 1500, { atol: 0, rtol: 1e-4 }],
    ['one dim', 9, 1, tol],
    ['two dims', 9, 2, tol],
  ];
  for (const [name, rows, dim, t] of cases) {
    it(name, () => {
      for (const Array of [Float32Array, Float64Array]) {
        const { golden, actual } = pair(rows, dim, rows * dim, Array);
        const ours = compareMatrices(golden, actual, t);
        const ref = referenceCompareMatrices(golden, actual, t);
        const { meanAbs, cosineDeltaMean, cosineDeltaMax, normDeltaMax, ...exact } = ours.metrics;
        const { meanAbs: rMean, cosineDeltaMean: rCosMean, cosineDeltaMax: rCosMax, normDeltaMax: rNormMax, ...rExact } = ref.metrics;
        const { cosineDeltaMaxAt, normDeltaMaxAt, ...rest } = exact;
        const { cosineDeltaMaxAt: rCosAt, normDeltaMaxAt: rNormAt, ...rRest } = rExact;
        expect(plain({ metrics: rest, details: {} } as never)).toEqual(plain({ metrics: rRest, details: {} } as never));
        expect(meanAbs).toBeCloseTo(rMean, 15);
        expect(cosineDeltaMean).toBeCloseTo(rCosMean, 14);
        expect(cosineDeltaMax).toBeCloseTo(rCosMax, 14);
        expect(normDeltaMax).toBeCloseTo(rNormMax, 14);
        expect(cosineDeltaMaxAt?.row).toBe(rCosAt?.row);
        expect(normDeltaMaxAt?.row).toBe(rNormAt?.row);
        // Details: histogram, worst list and per-dim / per-row maxima exactly; row deltas to rounding.
        expect(ours.details.histogram).toEqual(ref.details.histogram);
        expect(ours.details.worst).toEqual(ref.details.worst);
        expect(Array.from(ours.details.dimMaxAbs)).toEqual(Array.from(ref.details.dimMaxAbs));
        expect(Array.from(ours.details.rowMaxAbs)).toEqual(Array.from(ref.details.rowMaxAbs));
        ours.details.cosineDelta.forEach((v, r) => expect(v).toBeCloseTo(ref.details.cosineDelta[r], 14));
        ours.details.normDelta.forEach((v, r) => expect(v).toBeCloseTo(ref.details.normDelta[r], 14));
      }
    });
  }

  it('identical inputs: everything zero, no worst list (and no element left to the slow path)', () => {
    const { golden } = pair(20, 64, 5);
    const { metrics, details } = compareMatrices(golden, golden, tol);
    const ref = referenceCompareMatrices(golden, golden, tol);
    expect(metrics.maxAbs).toBe(0);
    expect(details.worst).toEqual(ref.details.worst);
    expect(details.histogram).toEqual(ref.details.histogram);
    expect(metrics.mismatches).toBe(ref.metrics.mismatches);
  });

  it('a finite float64 pair whose difference overflows is handled as before', () => {
    const g = { rows: 1, dim: 3, data: Float64Array.from([1.5e308, -1, 2]) };
    const a = { rows: 1, dim: 3, data: Float64Array.from([-1.5e308, -1, 2]) };
    expect(plain(compareMatrices(g, a, tol))).toEqual(plain(referenceCompareMatrices(g, a, tol)));
  });
});

describe('histogram bins without log10', () => {
  it('agree with histogramBin on every bin edge, its neighbours and random values', () => {
    const values: number[] = [0, Number.MIN_VALUE, 1e-300, 1e-13, 1e-12, 1e3, 1e300, Number.MAX_VALUE, Infinity];
    const f = new Float64Array(1);
    const u = new BigUint64Array(f.buffer);
    for (let e = -12; e <= 2.01; e += 0.25) {
      const edge = 10 ** e;
      f[0] = edge;
      const bits = u[0];
      for (let d = -3n; d <= 3n; d++) {
        u[0] = bits + d;
        values.push(f[0]);
      }
    }
    const next = lcg(9);
    for (let i = 0; i < 2000; i++) values.push(10 ** (next() * 30 - 15));
    // golden 0, actual x: |a-g| is exactly |x|; one element per row, so each row's histogram tells its bin.
    for (const x of values) {
      const acc = new ComparisonAccumulator(1, 1, { atol: 1e300, rtol: 0 });
      acc.add(Float64Array.of(0), Float64Array.of(x), 0, 1);
      const bin = acc.result().details.histogram.findIndex((c) => c === 1);
      expect([x, bin]).toEqual([x, Number.isFinite(x) ? histogramBin(x) : 58]);
    }
  });
});

describe('merge: row ranges accumulated apart and merged in order give the one-pass result', () => {
  it('for several splits', () => {
    const { golden, actual } = pair(50, 24, 3);
    const whole = compareMatrices(golden, actual, tol);
    for (const cuts of [[25], [1, 2, 49], [10, 20, 30, 40]]) {
      const bounds = [0, ...cuts, 50];
      const parts = bounds.slice(0, -1).map((from, i) => {
        const to = bounds[i + 1];
        const acc = new ComparisonAccumulator(50, 24, tol);
        acc.add(golden.data.subarray(from * 24, to * 24), actual.data.subarray(from * 24, to * 24), from, to - from);
        return ComparisonAccumulator.fromState(structuredClone(acc.exportState()), tol);
      });
      const merged = parts[0];
      for (const p of parts.slice(1)) merged.merge(p);
      const m = merged.result();
      // Sums are added in another order: equal to rounding; everything else exactly.
      const { meanAbs, cosineDeltaMean, ...exact } = m.metrics;
      const { meanAbs: wMean, cosineDeltaMean: wCos, ...wExact } = whole.metrics;
      expect(plain({ metrics: exact, details: m.details } as never)).toEqual(plain({ metrics: wExact, details: whole.details } as never));
      expect(meanAbs).toBeCloseTo(wMean, 15);
      expect(cosineDeltaMean).toBeCloseTo(wCos, 15);
    }
  });

  it('refuses to merge out of order', () => {
    const { golden, actual } = pair(10, 4, 3);
    const late = new ComparisonAccumulator(10, 4, tol);
    late.add(golden.data.subarray(20), actual.data.subarray(20), 5, 5);
    const early = new ComparisonAccumulator(10, 4, tol);
    early.add(golden.data, actual.data, 0, 5);
    expect(() => late.merge(early)).toThrow(/later rows/);
  });
});

describe('streaming .npy comparison', () => {
  it('gives exactly the in-memory result, whatever the chunk size (f4, NaN/Inf/zero/constant rows)', async () => {
    // 48 and 384 dims go through the WebAssembly kernel (rows read in place), 50 through JavaScript.
    for (const [rows, dim] of [[37, 50], [37, 48], [101, 384]]) {
      const { golden, actual } = pair(rows, dim, 7);
      const gp = writeNpyFile(`g4-${dim}.npy`, golden);
      const ap = writeNpyFile(`a4-${dim}.npy`, actual);
      const ids = Array.from({ length: rows }, (_, i) => `t${i}`);
      const expected = plain(compareMatrices(golden, actual, tol, ids));
      for (const chunkRows of [1, 2, 5, 36, 37, 100, 1000]) {
        expect(plain(await compareNpyFiles(gp, ap, tol, ids, { chunkRows }))).toEqual(expected);
      }
    }
  });

  it('reads f2 and f8 files, and mixed dtypes, as their in-memory decodes', async () => {
    const { golden, actual } = pair(11, 13, 4, Float64Array);
    const files = {
      f8: [writeNpyFile('g8.npy', golden), writeNpyFile('a8.npy', actual)],
      f2: [writeF16File('g2.npy', 11, 13, golden.data), writeF16File('a2.npy', 11, 13, actual.data)],
    };
    const pairs = [files.f8, files.f2, [files.f8[0], files.f2[1]], [files.f2[0], writeNpyFile('a4b.npy', { ...actual, data: Float32Array.from(actual.data) })]];
    for (const [gp, ap] of pairs) {
      const g = decodeNpy(readFileSync(gp));
      const a = decodeNpy(readFileSync(ap));
      const loose = { atol: 1e-3, rtol: 1e-3 };
      expect(plain(await compareNpyFiles(gp, ap, loose, [], { chunkRows: 3 }))).toEqual(plain(compareMatrices(g, a, loose)));
    }
    expect(readNpyInfo(files.f2[0]).dtype).toBe('<f2');
  });

  it('decodes f2 by table exactly as float16BitsToFloat32 (every one of the 65536 values)', () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const path = join(dir, 'all-f16.npy');
    writeFileSync(path, Buffer.concat([npyHeaderBytes('<f2', [256, 256]), Buffer.from(bits.buffer)]));
    const reader = new NpyRowReader(path, { chunkRows: 256 });
    const got = Array.from(reader.read(0, 256));
    reader.close();
    expect(got).toEqual(Array.from(decodeNpy(readFileSync(path)).data));
  });

  it('a truncated file is a clear InputError, before any comparing', async () => {
    const { golden, actual } = pair(6, 8, 2);
    const gp = writeNpyFile('gt.npy', golden);
    const ap = writeNpyFile('at.npy', actual);
    truncateSync(ap, 128 + 6 * 8 * 4 - 5);
    await expect(compareNpyFiles(gp, ap, tol)).rejects.toThrow(InputError);
    await expect(compareNpyFiles(gp, ap, tol)).rejects.toThrow(/at\.npy: file is truncated \(187 data bytes, shape \(6, 8\) <f4 needs 192\)/);
    truncateSync(ap, 40);
    await expect(compareNpyFiles(gp, ap, tol)).rejects.toThrow(/truncated inside its \.npy header/);
    writeFileSync(ap, 'not numpy');
    await expect(compareNpyFiles(gp, ap, tol)).rejects.toThrow(/not a \.npy file/);
    await expect(compareNpyFiles(gp, join(dir, 'missing.npy'), tol)).rejects.toThrow(/cannot read .*missing\.npy: ENOENT/);
  });

  it('reads a header longer than the first 64 KiB (format 2.0)', async () => {
    const { golden } = pair(3, 4, 8);
    const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`;
    const padded = dict + ' '.repeat(70_000 - dict.length - 12 - 1) + '\n';
    const head = Buffer.alloc(12);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]).copy(head);
    head.writeUInt32LE(padded.length, 8);
    const path = join(dir, 'long-header.npy');
    writeFileSync(path, Buffer.concat([head, Buffer.from(padded, 'latin1'), Buffer.from(Float32Array.from(golden.data).buffer)]));
    expect(readNpyInfo(path).dataOffset).toBe(70_000);
    const c = await compareNpyFiles(path, path, tol);
    expect(c.metrics.total).toBe(12);
    expect(c.metrics.maxAbs).toBe(0);
  });

  it('a shape mismatch is decided from the headers: the compareMatrices result, no data read', async () => {
    // Sparse files of 150 GB: reading their data would not finish within the test.
    const gp = join(dir, 'huge-384.npy');
    const ap = join(dir, 'huge-768.npy');
    for (const [path, dim] of [[gp, 384], [ap, 768]] as const) {
      const header = npyHeaderBytes('<f4', [100_000_000, dim]);
      const fd = openSync(path, 'w');
      writeSync(fd, header);
      closeSync(fd);
      truncateSync(path, header.length + 100_000_000 * dim * 4);
    }
    const expected = compareMatrices(
      { rows: 100_000_000, dim: 384, data: new Float32Array(0) },
      { rows: 100_000_000, dim: 768, data: new Float32Array(0) },
      tol,
    );
    const t = performance.now();
    expect(plain(await compareNpyFiles(gp, ap, tol))).toEqual(plain(expected));
    expect(performance.now() - t).toBeLessThan(5000); // not a timing assertion: reading 450 GB would take minutes
    truncateSync(gp, 0);
    truncateSync(ap, 0);
  });

  it('compareFiles streams, takes ids from .meta.json and picks fp16 defaults for f2', async () => {
    const { golden, actual } = pair(8, 6, 12, Float64Array);
    const gp = writeF16File('cf-g.npy', 8, 6, golden.data);
    const ap = writeNpyFile('cf-a.npy', { ...actual, data: Float32Array.from(actual.data) });
    writeFileSync(join(dir, 'cf-g.meta.json'), JSON.stringify({ corpus: { ids: Array.from({ length: 8 }, (_, i) => `doc-${i}`) } }));
    const r = await compareFiles(gp, ap, { chunkRows: 3 });
    expect(r.tolerance.rtol).toBe(1e-3);
    expect(r.metrics.maxAbsAt?.id).toMatch(/^doc-\d$/);
    expect(r.metrics.shape).toEqual([8, 6]);
  });

  it('accumulateRange covers exactly its rows', () => {
    const { golden, actual } = pair(9, 5, 13);
    const gp = writeNpyFile('ar-g.npy', golden);
    const ap = writeNpyFile('ar-a.npy', actual);
    const acc = accumulateRange(gp, ap, tol, [], 3, 7, { chunkRows: 2 });
    expect(acc.result().metrics.total).toBe(4 * 5);
  });
});

const DIST = join(ROOT, 'dist', 'compare', 'stream-compare.js');

const build = requireBuild(DIST);

describe.skipIf(!build.present)(build.title('worker threads (compiled build)'), () => {
  it('splitting rows over workers gives the one-thread result (sums to rounding)', async () => {
    const built = (await import(DIST)) as typeof import('../../src/compare/stream-compare.js');
    const { golden, actual } = pair(101, 40, 21);
    const gp = writeNpyFile('w-g.npy', golden);
    const ap = writeNpyFile('w-a.npy', actual);
    const ids = Array.from({ length: 101 }, (_, i) => `w${i}`);
    const one = plain(await built.compareNpyFiles(gp, ap, tol, ids, { chunkRows: 7, workers: 1 }));
    for (const workers of [2, 3]) {
      const many = plain(await built.compareNpyFiles(gp, ap, tol, ids, { chunkRows: 7, workers }));
      expect(many.metrics.meanAbs).toBeCloseTo(one.metrics.meanAbs, 15);
      expect(many.metrics.cosineDeltaMean).toBeCloseTo(one.metrics.cosineDeltaMean, 15);
      const sumsAside = (c: typeof one) => ({ ...c, metrics: { ...c.metrics, meanAbs: 0, cosineDeltaMean: 0 } });
      expect(sumsAside(many)).toEqual(sumsAside(one));
    }
  });
});
