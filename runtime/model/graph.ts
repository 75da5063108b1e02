import type { AttributeProto, GraphProto, NodeProto, TensorProto, ValueInfoProto } from './onnx/proto';
import { tensorValues } from './onnx/tensor';

/**
 * An index over one ONNX graph: which node produces and which nodes consume each tensor, the
 * initializers, and the values of small constants. Node ids are positions in graph.node
 * (topologically sorted, as ONNX requires).
 */
export class GraphIndex {
  readonly nodes: NodeProto[];
  readonly producer = new Map<string, number>();
  readonly consumers = new Map<string, number[]>();
  readonly initializers = new Map<string, TensorProto>();
  readonly inputs: ValueInfoProto[];
  readonly outputs: ValueInfoProto[];
  readonly valueInfo = new Map<string, ValueInfoProto>();

  /** @param opsetHint the model's ai.onnx opset (some attribute defaults depend on it). */
  constructor(readonly graph: GraphProto, readonly opsetHint = 17) {
    this.nodes = graph.node ?? [];
    for (const t of graph.initializer ?? []) if (t.name) this.initializers.set(t.name, t);
    this.inputs = (graph.input ?? []).filter((i) => i.name && !this.initializers.has(i.name));
    this.outputs = graph.output ?? [];
    for (const v of [...(graph.value_info ?? []), ...(graph.input ?? []), ...this.outputs]) if (v.name) this.valueInfo.set(v.name, v);
    this.nodes.forEach((node, id) => {
      for (const o of node.output ?? []) if (o) this.producer.set(o, id);
      for (const i of nodeInputs(node)) {
        const list = this.consumers.get(i);
        if (list) list.push(id); else this.consumers.set(i, [id]);
      }
    });
  }

  node(id: number): NodeProto { return this.nodes[id]; }
  producerOf(tensor: string): NodeProto | undefined {
    const id = this.producer.get(tensor);
    return id === undefined ? undefined : this.nodes[id];
  }
  consumersOf(tensor: string): number[] { return this.consumers.get(tensor) ?? []; }

  /** Values of a constant tensor (initializer or Constant node output, through Cast/Identity), else null. */
  constant(tensor: string): number[] | null {
    const init = this.initializers.get(tensor);
    if (init) return tensorValues(init);
    const p = this.producerOf(tensor);
    if (!p) return null;
    if (p.op_type === 'Constant') {
      const a = p.attribute?.[0];
      if (!a) return null;
      if (a.t) return tensorValues(a.t);
      if (a.name === 'value_float') return [Number(a.f)];
      if (a.name === 'value_floats') return (a.floats ?? []).map(Number);
      if (a.name === 'value_int') return [Number(a.i)];
      if (a.name === 'value_ints') return (a.ints ?? []).map(Number);
      return null;
    }
    if ((p.op_type === 'Cast' || p.op_type === 'Identity') && p.input?.[0]) return this.constant(p.input[0]);
    if (p.op_type === 'Sqrt' && p.input?.[0]) {
      const v = this.constant(p.input[0]);
      return v ? v.map(Math.sqrt) : null;
    }
    return null;
  }

  /** A single scalar constant (any tensor with one element), else null. */
  scalar(tensor: string): number | null {
    const v = this.constant(tensor);
    return v && v.length === 1 ? v[0] : null;
  }

  /** Static dims of a tensor from value_info/inputs/outputs (symbolic dims as strings), if known. */
  declaredDims(tensor: string): (number | string)[] | null {
    const dims = this.valueInfo.get(tensor)?.type?.tensor_type?.shape?.dim;
    if (!dims) return null;
    return dims.map((d) => (d.dim_param ? d.dim_param : d.dim_value !== undefined && d.dim_value !== null ? Number(d.dim_value) : '?'));
  }
}

/** A node's inputs, including outer-scope tensors its subgraphs (If/Loop/Scan) read. */
export function nodeInputs(node: NodeProto): string[] {
  const direct = (node.input ?? []).filter((i) => i);
  const implicit: string[] = [];
  for (const a of node.attribute ?? []) for (const g of subgraphs(a)) implicit.push(...outerScopeInputs(g));
  return implicit.length ? [...new Set([...direct, ...implicit])] : direct;
}

function subgraphs(a: AttributeProto): GraphProto[] {
  return [...(a.g ? [a.g] : []), ...(a.graphs ?? [])];
}

function outerScopeInputs(g: GraphProto): string[] {
  const local = new Set<string>([...(g.input ?? []).map((i) => i.name ?? ''), ...(g.initializer ?? []).map((t) => t.name ?? '')]);
  const used: string[] = [];
  for (const n of g.node ?? []) {
    for (const i of nodeInputs(n)) if (!local.has(i)) used.push(i);
    for (const o of n.output ?? []) local.add(o);
  }
  return used;
}

/** An attribute of a node by name. */
export function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}
export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = attr(node, name);
  return a && a.i !== undefined && a.i !== null ? Number(a.i) : fallback;
}
export function attrFloat(node: NodeProto, name: string): number | undefined {
  const a = attr(node, name);
  return a && a.f !== undefined && a.f !== null ? Number(a.f) : undefined;
}
export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = attr(node, name);
  return a?.ints ? a.ints.map(Number) : undefined;
}
