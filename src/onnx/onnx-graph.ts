/**
 * ONNX graph surgery for layer-wise bisection, on onnx-proto (protobufjs):
 * - `markAllOutputs` makes every node output a graph output, like Polygraphy's
 *   `--onnx-outputs mark all` / `--trt-outputs mark all`, so one session.run returns every
 *   intermediate tensor. The added outputs carry the type from value_info when the model has one and
 *   no type otherwise: ONNX Runtime (1.30 checked, fp32 and fp16 graphs) infers the types of untyped
 *   graph outputs at session creation, so no type inference is needed here.
 * - `graphNodes` lists the top-level nodes in topological order (subgraphs of If/Loop are not
 *   entered: their values cannot be graph outputs).
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

// onnx-proto is CommonJS: Node's ESM loader exposes it only as a default export.
const { onnx } = onnxProto;

export interface GraphNode {
  /** Node name; `#<index>` when the model leaves it empty. */
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** Position in topological order. */
  index: number;
}

export interface GraphInfo {
  nodes: GraphNode[];
  /** Graph input names that are not initializers (what session.run must be fed). */
  inputs: string[];
  /** Graph output names before marking. */
  outputs: string[];
  /** Whether some initializer keeps its data in an external file (model.onnx_data). */
  externalData: boolean;
}

export function decodeModel(bytes: Uint8Array): OnnxTypes.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

/** Nodes of `graph` in topological order: Kahn's algorithm, keeping file order among ready nodes. */
export function topologicalOrder(graph: OnnxTypes.IGraphProto): OnnxTypes.INodeProto[] {
  const nodes = graph.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producer.set(o, i)));
  const pending = new Int32Array(nodes.length);
  const consumers: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    const deps = new Set<number>();
    for (const input of n.input ?? []) {
      const p = input ? producer.get(input) : undefined;
      if (p !== undefined && p !== i) deps.add(p);
    }
    pending[i] = deps.size;
    for (const p of deps) consumers[p].push(i);
  });
  // A min-heap would be O(n log n); graphs are small enough for a sorted ready list.
  const ready: number[] = [];
  nodes.forEach((_, i) => pending[i] === 0 && ready.push(i));
  const order: OnnxTypes.INodeProto[] = [];
  while (ready.length) {
    const i = ready.shift()!;
    order.push(nodes[i]);
    for (const c of consumers[i]) {
      if (--pending[c] === 0) {
        let at = ready.length;
        while (at > 0 && ready[at - 1] > c) at--;
        ready.splice(at, 0, c);
      }
    }
  }
  if (order.length !== nodes.length) throw new Error(`ONNX graph has a cycle: ${nodes.length - order.length} nodes never become ready`);
  return order;
}

export function graphInfo(model: OnnxTypes.IModelProto): GraphInfo {
  const graph = model.graph;
  if (!graph) throw new Error('ONNX model has no graph');
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const nodes = topologicalOrder(graph).map((n, index) => ({
    name: n.name || `#${index}`,
    opType: n.opType ?? '',
    domain: n.domain ?? '',
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    index,
  }));
  const externalData = (graph.initializer ?? []).some((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
  return {
    nodes,
    inputs: (graph.input ?? []).map((v) => v.name ?? '').filter((n) => !initializers.has(n)),
    outputs: (graph.output ?? []).map((v) => v.name ?? ''),
    externalData,
  };
}

/**
 * The external data files an ONNX file's initializers name (their "location" entries, relative to
 * the file), in first-use order; empty when every weight is inside the file.
 */
export function externalDataFiles(model: OnnxTypes.ModelProto): string[] {
  const files = new Set<string>();
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const location = (t.externalData ?? []).find((e) => e.key === 'location')?.value;
    if (location) files.add(location);
  }
  return [...files];
}

/** Every top-level node output becomes a graph output (existing outputs stay first, in their order). */
export function markAllOutputs(modelBytes: Uint8Array): Uint8Array {
  const model = decodeModel(modelBytes);
  markAllOutputsInModel(model);
  return onnx.ModelProto.encode(model).finish();
}

export function markAllOutputsInModel(model: OnnxTypes.ModelProto): string[] {
  const graph = model.graph;
  if (!graph) throw new Error('ONNX model has no graph');
  const typed = new Map<string, OnnxTypes.ITypeProto>();
  for (const v of graph.valueInfo ?? []) if (v.name && v.type) typed.set(v.name, v.type);
  graph.output ??= [];
  const outputs = graph.output;
  const present = new Set(outputs.map((o) => o.name));
  const graphInputs = new Set((graph.input ?? []).map((i) => i.name));
  const added: string[] = [];
  for (const node of topologicalOrder(graph)) {
    for (const name of node.output ?? []) {
      if (!name || present.has(name) || graphInputs.has(name)) continue;
      const type = typed.get(name);
      outputs.push(onnx.ValueInfoProto.create(type ? { name, type } : { name }));
      present.add(name);
      added.push(name);
    }
  }
  return added;
}
