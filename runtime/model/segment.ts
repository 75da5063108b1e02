import { nodeInputs, type GraphIndex } from './graph';
import type { AttentionCore } from './detect/core';

/**
 * A cut of the graph between attention cores. Segment s holds the nodes that depend on the outputs
 * of at most s levels of cores; the cores of level s run after segment s and before segment s + 1.
 */
export interface Segment {
  index: number;
  /** Graph node ids, in graph order. */
  nodes: number[];
  /** Tensors the segment reads that other segments, cores or the model's inputs provide. */
  inputs: string[];
  /** Tensors the segment computes that later segments, cores or the model's outputs need. */
  outputs: string[];
  /** Initializers its nodes read. */
  initializers: string[];
}

export interface SegmentPlan {
  segments: Segment[];
  /** coresAfter[s]: indices into the core list of the cores that run after segment s. */
  coresAfter: number[][];
}

/** Input tensors of a core that the segments must provide. */
export function coreInputs(core: AttentionCore): string[] {
  const names = [core.q.name, core.k.name, core.v.name, core.qkvBias, core.pastKey, core.pastValue, core.kvSource,
    core.rotary?.cos, core.rotary?.sin, core.rotary?.positionIds, core.projection?.weights, core.projection?.bias];
  for (const t of core.terms) {
    if (t.op === 'where') names.push(t.cond, t.fill); else names.push(t.tensor);
  }
  return names.filter((n): n is string => !!n);
}

/** Output tensors of a core. */
export function coreOutputs(core: AttentionCore): string[] {
  return [core.output.name, core.presentKey, core.presentValue, core.presentStacked].filter((n): n is string => !!n);
}

/** Cuts the graph at the cores (see Segment). */
export function planSegments(g: GraphIndex, cores: AttentionCore[]): SegmentPlan {
  const level = new Map<string, number>();
  const removed = new Map<number, number>();
  const lastNode = new Map<number, number>();
  cores.forEach((c, i) => {
    for (const n of c.nodes) removed.set(n, i);
    lastNode.set(Math.max(...c.nodes), i);
  });
  const nodeLevel = new Map<number, number>();
  const coreLevel: number[] = [];
  const levelOf = (names: string[]): number => names.reduce((m, t) => Math.max(m, level.get(t) ?? 0), 0);
  g.nodes.forEach((node, id) => {
    const ci = removed.get(id);
    if (ci !== undefined) {
      if (lastNode.get(id) === ci) {
        const lv = levelOf(coreInputs(cores[ci]));
        coreLevel[ci] = lv;
        for (const o of coreOutputs(cores[ci])) level.set(o, lv + 1);
      }
      return;
    }
    const lv = levelOf(nodeInputs(node));
    nodeLevel.set(id, lv);
    for (const o of node.output ?? []) if (o) level.set(o, lv);
  });
  const count = Math.max(0, ...nodeLevel.values(), ...coreLevel.map((l) => l + 1)) + 1;
  const segments: Segment[] = Array.from({ length: count }, (_, index) => ({ index, nodes: [], inputs: [], outputs: [], initializers: [] }));
  // A Constant node (no inputs, not a model output) is copied into every segment that reads it, so
  // constants never cross a cut; cores read constants from the graph directly.
  const graphOutputs = new Set(g.outputs.map((o) => o.name ?? ''));
  const isCopiedConstant = (id: number): boolean => {
    const n = g.node(id);
    return n.op_type === 'Constant' && !(n.input ?? []).some((i) => i) && !(n.output ?? []).some((o) => graphOutputs.has(o));
  };
  for (const [id, lv] of nodeLevel) if (!isCopiedConstant(id)) segments[lv].nodes.push(id);
  for (const seg of segments) {
    const copies = new Set<number>();
    for (const id of seg.nodes) {
      for (const t of nodeInputs(g.node(id))) {
        const p = g.producer.get(t);
        if (p !== undefined && !removed.has(p) && isCopiedConstant(p)) copies.add(p);
      }
    }
    seg.nodes = [...copies, ...seg.nodes].sort((a, b) => a - b);
  }
  const coresAfter: number[][] = Array.from({ length: count }, () => []);
  coreLevel.forEach((lv, i) => coresAfter[lv].push(i));

  // Who needs each tensor: the lowest segment that reads it is irrelevant; what matters is whether
  // any reader sits outside the producing segment.
  const readers = new Map<string, Set<number>>();
  const need = (t: string, where: number): void => {
    const s = readers.get(t);
    if (s) s.add(where); else readers.set(t, new Set([where]));
  };
  for (const seg of segments) for (const id of seg.nodes) for (const t of nodeInputs(g.node(id))) need(t, seg.index);
  cores.forEach((c, i) => { for (const t of coreInputs(c)) need(t, -1 - i); });
  for (const o of g.outputs) if (o.name) need(o.name, Number.MAX_SAFE_INTEGER);

  for (const seg of segments) {
    const produced = new Set<string>();
    for (const id of seg.nodes) for (const o of g.node(id).output ?? []) if (o) produced.add(o);
    const ins = new Set<string>();
    const inits = new Set<string>();
    for (const id of seg.nodes) {
      for (const t of nodeInputs(g.node(id))) {
        if (produced.has(t)) continue;
        if (g.initializers.has(t)) inits.add(t); else ins.add(t);
      }
    }
    seg.inputs = [...ins];
    seg.initializers = [...inits];
    seg.outputs = [...produced].filter((t) => [...(readers.get(t) ?? [])].some((r) => r !== seg.index));
  }
  return { segments, coresAfter };
}
