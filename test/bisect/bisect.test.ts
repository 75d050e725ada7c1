import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { bisect, mapOutputs, runBisect } from '../../src/bisect/bisect.js';
import { loadConfig } from '../../src/config/config.js';
import { loadCorpus } from '../../src/corpus/corpus.js';
import { ModelContexts } from '../../src/tokenize/model-context.js';
import { decodeModel, graphInfo, markAllOutputs } from '../../src/onnx/onnx-graph.js';
import { renderBisectTable } from '../../src/bisect/render.js';
import { compareTensorValues, findPaddingAxes, tensorValues } from '../../src/bisect/tensor-compare.js';
import { toFloat16Bits } from '../../src/numeric/float16.js';
import { ROOT, tempDir } from '../support/helpers.js';

const onnxDir = join(ROOT, 'fixtures/models/tiny-bert/onnx');
const fp32Bytes = readFileSync(join(onnxDir, 'model.onnx'));
const fp16Bytes = readFileSync(join(onnxDir, 'model_fp16.onnx'));

describe('ONNX graph surgery', () => {
  it('markAllOutputs makes every node output a graph output, the original output first', () => {
    const before = graphInfo(decodeModel(fp32Bytes));
    const after = graphInfo(decodeModel(markAllOutputs(fp32Bytes)));
    expect(before.outputs).toEqual(['last_hidden_state']);
    const nodeOutputs = before.nodes.flatMap((n) => n.outputs);
    expect(after.outputs[0]).toBe('last_hidden_state');
    expect(new Set(after.outputs)).toEqual(new Set(nodeOutputs));
    expect(after.nodes.map((n) => n.name)).toEqual(before.nodes.map((n) => n.name));
    expect(after.inputs).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
  });

  it('pairs fp16 and fp32 outputs by name, or by op-type position when names differ', () => {
    const a = graphInfo(decodeModel(fp16Bytes));
    const b = graphInfo(decodeModel(fp32Bytes));
    const byName = mapOutputs(a, b);
    expect(byName.mode).toBe('name');
    expect(byName.unmatchedA).toEqual([]);
    const renamed = { ...a, nodes: a.nodes.map((n) => ({ ...n, outputs: n.outputs.map((o) => `x${o}`) })) };
    const byPos = mapOutputs(renamed, b);
    expect(byPos.mode).toBe('position');
    // Same graph structure: every non-Cast pair is the same node.
    const pairs = byPos.pairs.map((p) => [p.a.name, p.b.name]);
    expect(pairs.every(([x, y]) => x === y)).toBe(true);
    expect(pairs.length).toBe(a.nodes.filter((n) => n.opType !== 'Cast').length);
  });
});

describe('tensor comparison with padding', () => {
  it('finds batch and sequence axes from a probe shape and skips padded positions', () => {
    // [batch 2, seq 3, hidden 3]: hidden == seq, only the probe tells them apart.
    expect(findPaddingAxes([2, 3, 3], [3, 2, 3], 2, 3)).toEqual({ batchAxis: 0, seqAxes: [1] });
    expect(findPaddingAxes([2, 4, 3, 3], [3, 4, 2, 2], 2, 3)).toEqual({ batchAxis: 0, seqAxes: [2, 3] });
    expect(findPaddingAxes([6, 3], [6, 3], 2, 3)).toBeNull();
    const a = Float64Array.from({ length: 18 }, (_, i) => i);
    const b = Float64Array.from(a);
    b[1 * 9 + 2 * 3 + 1] += 100; // row 1, position 2: padding when row 1 has length 2
    const mask = { batchAxis: 0, seqAxes: [1], lengths: [3, 2] };
    const masked = compareTensorValues(a, b, [2, 3, 3], { atol: 0, rtol: 0 }, mask);
    expect(masked).toMatchObject({ total: 15, masked: 3, maxAbs: 0, mismatches: 0 });
    const whole = compareTensorValues(a, b, [2, 3, 3], { atol: 0, rtol: 0 });
    expect(whole).toMatchObject({ total: 18, maxAbs: 100, maxAbsAt: [1, 2, 1], mismatches: 1 });
  });

  it('decodes fp16 bits and int64', () => {
    expect(Array.from(tensorValues({ type: 'float16', dims: [2], data: toFloat16Bits([1.5, -2]) })!)).toEqual([1.5, -2]);
    expect(Array.from(tensorValues({ type: 'int64', dims: [2], data: BigInt64Array.of(3n, -4n) })!)).toEqual([3, -4]);
    expect(tensorValues({ type: 'string', dims: [1], data: ['x'] })).toBeNull();
  });
});

describe('bisect cpu-fp16 vs cpu-fp32 on the fixture', () => {
  it('names the first node where fp16 departs, in topological order with error growing to the output', async () => {
    process.chdir(ROOT);
    const result = await runBisect({ backendA: 'cpu-fp16', backendB: 'cpu-fp32' });
    console.log(renderBisectTable(result));
    const names16 = new Set(graphInfo(decodeModel(fp16Bytes)).nodes.map((n) => n.name));
    const names32 = new Set(graphInfo(decodeModel(fp32Bytes)).nodes.map((n) => n.name));
    const f = result.firstDivergent!;
    expect(f).not.toBeNull();
    expect(names16.has(f.node) && names32.has(f.node)).toBe(true);
    expect(result.mapping).toBe('name');
    expect(result.graphOptimizationLevel).toBe('disabled');
    // Topological order: indices increase, and every input of a node is produced before it.
    const idx = result.nodes.map((n) => n.index);
    expect(idx).toEqual([...idx].sort((x, y) => x - y));
    const graph = graphInfo(decodeModel(fp16Bytes));
    const producedAt = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n.index] as const)));
    for (const n of result.nodes) {
      for (const input of graph.nodes[n.index].inputs) expect(producedAt.get(input) ?? -1).toBeLessThan(n.index);
    }
    // Everything before the first divergent node is within tolerance.
    expect(result.nodes.filter((n) => n.index < f.index).every((n) => !n.exceeds)).toBe(true);
    // fp16 error grows from the embeddings to the output.
    const floats = result.nodes.filter((n) => n.type === 'float16' && n.total > 0);
    const firstFloat = floats[0];
    expect(firstFloat.maxAbs).toBeLessThan(result.final!.maxAbs);
    expect(result.final!.output).toBe('last_hidden_state');
    // Block by block: embeddings LayerNorm < layer 0 output < layer 1 output.
    const ln = (name: string) => result.nodes.find((n) => n.node === name)!.maxAbs;
    expect(ln('/embeddings/LayerNorm/LayerNormalization')).toBeLessThan(ln('/encoder/layer.0/output/LayerNorm/LayerNormalization'));
    expect(ln('/encoder/layer.0/output/LayerNorm/LayerNormalization')).toBeLessThan(ln('/encoder/layer.1/output/LayerNorm/LayerNormalization'));
    expect(result.maskedOutputs).toBeGreaterThan(0);
  }, 120_000);
});

describe('bisect with positional mapping', () => {
  it('finds the same first divergent node when every intermediate name differs', async () => {
    process.chdir(ROOT);
    // fp16 model with every internal value renamed: names cannot pair, op-type positions must.
    const model = decodeModel(fp16Bytes);
    const rename = (n: string) => (n.includes('_output_') ? `renamed:${n}` : n);
    for (const node of model.graph!.node!) {
      node.input = node.input!.map(rename);
      node.output = node.output!.map(rename);
      node.name = `renamed:${node.name}`;
    }
    const dir = tempDir();
    mkdirSync(join(dir, 'onnx'));
    writeFileSync(join(dir, 'onnx', 'renamed.onnx'), onnxProto.onnx.ModelProto.encode(model).finish());

    const config = loadConfig(join(ROOT, 'parity.config.json'));
    const fp16 = config.backends.find((b) => b.name === 'cpu-fp16')!;
    const fp32 = config.backends.find((b) => b.name === 'cpu-fp32')!;
    const texts = loadCorpus(config.corpus).texts.slice(0, 16);
    const { tokenizer } = await new ModelContexts().get(fp32.modelDir);
    const renamed = { ...fp16, name: 'renamed-fp16', modelDir: dir, options: { ...fp16.options, model: 'onnx/renamed.onnx' } };
    const byPosition = await bisect({ backendA: renamed, backendB: fp32, texts, tokenizer, outputsPerRun: 20 });
    const byName = await bisect({ backendA: fp16, backendB: fp32, texts, tokenizer });
    expect(byPosition.mapping).toBe('position');
    expect(byPosition.firstDivergent!.node).toBe(`renamed:${byName.firstDivergent!.node}`);
    expect(byPosition.firstDivergent!.nodeB).toBe(byName.firstDivergent!.node);
    expect(byPosition.firstDivergent!.maxAbs).toBe(byName.firstDivergent!.maxAbs);
    expect(byPosition.final!.maxAbs).toBe(byName.final!.maxAbs);
  }, 120_000);
});
