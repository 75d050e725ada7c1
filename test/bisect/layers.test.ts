/**
 * Bisect across frameworks: PyTorch (forward hooks), ONNX Runtime (every node output, paired by
 * torch.onnx scope) and the float64 reference (its probes), compared at every point of the network.
 * The pure rules on synthetic tensors, then the tiny-bert fixture through all three frameworks, then
 * the real all-MiniLM-L6-v2, where bf16 and fp16 are placed at a layer and an op.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bertPoints, compareLayers, growthOf } from '../../src/bisect/layer-compare.js';
import { onnxScope, type NamedTensor } from '../../src/bisect/layer-sources.js';
import { runLayerBisect } from '../../src/bisect/layers.js';
import { ROOT, parity, tempDir } from '../support/helpers.js';
import { requirePythonEnv, requireRealModel } from '../support/installs.js';

const python = requirePythonEnv();
const TIGHT = { atol: 1e-5, rtol: 1e-4 };

describe('layer comparison rules', () => {
  it('maps module paths to torch.onnx scopes', () => {
    expect(onnxScope('encoder.layer.0.attention.self')).toBe('/encoder/layer.0/attention/self/');
    expect(onnxScope('embeddings')).toBe('/embeddings/');
    expect(onnxScope('encoder.layer.11.output.dense')).toBe('/encoder/layer.11/output/dense/');
  });

  it('finds the first divergent point and says how the error grows', () => {
    const points = bertPoints(3);
    const t = (v: number[]): NamedTensor => ({ shape: [v.length], data: Float64Array.from(v), origin: 'x' });
    // A is off by 1e-7 (relative) everywhere until layer 1's GELU, where it jumps to 1e-3.
    const b = [new Map(points.map((p) => [p.path, t([1, -2, 3])]))];
    const at = points.findIndex((p) => p.path === 'encoder.layer.1.intermediate');
    const a = [new Map(points.map((p, i) => [p.path, t([1 + (i >= at ? 3e-3 : 3e-7), -2, 3])]))];
    const r = compareLayers(points, a, b, { atol: 0, rtol: 1e-5, mismatchRatio: 0 });
    expect(r.firstDivergent?.path).toBe('encoder.layer.1.intermediate');
    expect(r.firstDivergent?.op).toBe('GELU');
    expect(r.points[0].relative).toBeCloseTo(1e-7, 12);
    expect(r.growth.kind).toBe('jump');
    expect(r.growth.text).toMatch(/^jumps 1\.00e\+4x at encoder\.layer\.1\.output/);
    // The same error everywhere is flat; a steady 2x per boundary grows.
    const flat = compareLayers(points, [new Map(points.map((p) => [p.path, t([1 + 3e-7, -2, 3])]))], b, { atol: 0, rtol: 1e-5, mismatchRatio: 0 });
    expect(flat.growth.kind).toBe('flat');
    expect(flat.firstDivergent).toBeNull();
    let k = 0;
    const steady = [new Map(points.map((p) => [p.path, t([1 + 3e-7 * 2 ** (p.boundary ? k++ : k), -2, 3])]))];
    expect(growthOf(compareLayers(points, steady, b, { atol: 1, rtol: 0, mismatchRatio: 0 }).points).kind).toBe('grows');
  });

  it('a NaN fails and shows as the largest difference; a missing tensor is noted, not compared', () => {
    const points = bertPoints(1).slice(0, 2);
    const b = [new Map(points.map((p) => [p.path, { shape: [2], data: Float64Array.of(1, 2), origin: 'b' }]))];
    const a = [new Map([[points[0].path, { shape: [2], data: Float64Array.of(NaN, 2), origin: 'a' }]])];
    const r = compareLayers(points, a, b, { atol: 1, rtol: 1, mismatchRatio: 0 });
    expect(r.points[0]).toMatchObject({ maxAbs: Infinity, mismatches: 1, exceeds: true });
    expect(r.points[1]).toMatchObject({ note: 'side A has no such tensor', exceeds: false, total: 0 });
  });
});

describe('tiny-bert across ONNX Runtime and the reference', () => {
  it('fp32 agrees with the reference at every point; fp16 departs at the embeddings (its weights are rounded to fp16)', async () => {
    const config = join(ROOT, 'parity.config.json');
    const fp32 = await runLayerBisect({ config, backendA: 'cpu-fp32', backendB: 'reference', tolerance: { atol: 1e-4, rtol: 1e-4 } });
    expect(fp32.points).toHaveLength(1 + 2 * 7);
    expect(fp32.points.every((p) => p.total > 0)).toBe(true);
    expect(fp32.firstDivergent).toBeNull();
    // The pairing is by torch.onnx scope: the layer output is the output LayerNorm's node.
    expect(fp32.points.at(-1)!.originA).toMatch(/^\/encoder\/layer\.1\/output\/LayerNorm\//);
    const fp16 = await runLayerBisect({ config, backendA: 'cpu-fp16', backendB: 'reference', tolerance: TIGHT });
    expect(fp16.firstDivergent?.path).toBe('embeddings');
    expect(fp16.points[0].relative).toBeGreaterThan(1e-4);
    expect(fp16.points[0].relative).toBeLessThan(1e-2);
  });

  it('the CLI writes bisect.html with the growth chart and bisect.json, and exits 1 on a divergence', () => {
    const out = tempDir('parity-bisect-layers-');
    const r = parity(['bisect', '--backend', 'cpu-fp16', '--against', 'reference', '--atol', '1e-5', '--rtol', '1e-4', '--out', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('cpu-fp16 departs from reference at embeddings');
    expect(r.stdout).toContain('pairing (module path: A ↔ B):');
    const html = readFileSync(join(out, 'bisect.html'), 'utf8');
    expect(html).toContain('data-chart="bisect-growth"');
    expect(JSON.parse(readFileSync(join(out, 'bisect.json'), 'utf8')).firstDivergent.path).toBe('embeddings');
  });
});

describe.skipIf(!python.present)(python.title('tiny-bert through PyTorch'), () => {
  it('PyTorch fp32 agrees with ONNX Runtime fp32 at every point; bf16 departs at the embeddings', async () => {
    const dir = tempDir('parity-bisect-torch-');
    const config = join(dir, 'parity.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        model: join(ROOT, 'fixtures/models/tiny-bert'),
        corpus: join(ROOT, 'fixtures/corpus/default.jsonl'),
        golden: join(ROOT, 'golden/tiny-bert/default.npy'),
        backends: [
          { name: 'reference', runtime: 'reference' },
          { name: 'cpu-fp32', runtime: 'onnxruntime-node', model: 'onnx/model.onnx' },
          { name: 'torch-fp32', runtime: 'sentence-transformers', dtype: 'float32', attention: 'eager' },
          { name: 'torch-bf16', runtime: 'sentence-transformers', dtype: 'bfloat16', attention: 'eager' },
        ],
      }),
    );
    const fp32 = await runLayerBisect({ config, backendA: 'torch-fp32', backendB: 'cpu-fp32', tolerance: { atol: 1e-4, rtol: 1e-4 } });
    expect(fp32.a.ran).toMatch(/float32, eager attention/);
    expect(fp32.points.every((p) => p.total > 0)).toBe(true);
    expect(fp32.firstDivergent).toBeNull();
    const bf16 = await runLayerBisect({ config, backendA: 'torch-bf16', backendB: 'reference', tolerance: TIGHT });
    expect(bf16.firstDivergent?.path).toBe('embeddings');
    expect(bf16.points[0].relative).toBeGreaterThan(1e-3);
  }, 300_000);
});

const realModel = requireRealModel();
describe.skipIf(!python.present || !realModel.present)(realModel.title(python.title('the real all-MiniLM-L6-v2 across frameworks')), () => {
  const config = join(ROOT, 'configs', 'all-MiniLM-L6-v2.json');
  it('places bf16 (PyTorch) at the embeddings and fp16 (ONNX Runtime) at layer 0\'s attention core, against the float64 reference', async () => {
    const bf16 = await runLayerBisect({ config, backendA: 'pytorch-bf16', backendB: 'reference' });
    expect(bf16.a.ran).toMatch(/bfloat16/);
    expect(bf16.points.every((p) => p.total > 0)).toBe(true);
    expect(bf16.firstDivergent?.path).toBe('embeddings');
    // bf16 keeps 8 bits of mantissa: a relative error of a few 1e-3 from the first op on, and flat after.
    expect(bf16.points[0].relative).toBeGreaterThan(1e-3);
    expect(bf16.growth.kind).toBe('flat');
    const fp16 = await runLayerBisect({ config, backendA: 'cpu-fp16', backendB: 'reference' });
    expect(fp16.points[0].exceeds).toBe(false);
    expect(fp16.firstDivergent?.path).toBe('encoder.layer.0.attention.self');
    expect(fp16.firstDivergent?.op).toMatch(/attention core/);
  }, 600_000);
});
