import { attrInt, type GraphIndex } from '../graph';
import type { NodeProto } from '../onnx/proto';
import type { AttentionCore, LogitTerm, Normalizer } from './core';

/** A core found from its normalizer node, before layer numbering; or why the node is not one. */
export type Match = { core: Omit<AttentionCore, 'layer'>; order: number } | { reject: string };

// Reshape only regroups the leading (batch·heads) axes here (Bloom's [B·H, T, T] <-> [B, H, T, T]); the
// engine flattens leading axes into heads, and a reshape that touched [T, T] would fail the run loudly.
const PASS_AFTER = new Set(['Cast', 'Dropout', 'Identity', 'Reshape']);
const CHAIN_OPS = new Set(['Cast', 'Identity', 'Reshape', 'Mul', 'Div', 'Add', 'Where']);
const KV_WALK = new Set(['Transpose', 'Reshape', 'Cast', 'Unsqueeze', 'Expand', 'Tile', 'Mul', 'Identity']);

/**
 * The unfused pattern around a normalizer node (Softmax, Sigmoid, or the Softplus of a
 * Softplus -> ReduceSum -> Div normalization):
 * MatMul(Q, Kᵀ) -> [Cast | Mul/Div scale | Add bias | Where mask]* -> normalizer -> [Cast|Dropout]* -> MatMul(·, V).
 */
export function matchUnfused(g: GraphIndex, normId: number): Match {
  const norm = g.node(normId);
  const op = norm.op_type ?? '';
  const normalizer: Normalizer = op === 'Softmax' ? 'softmax' : op === 'Sigmoid' ? 'sigmoid' : 'softplus-sum';
  if (op === 'Softmax') {
    const axis = attrInt(norm, 'axis', g.opsetHint >= 13 ? -1 : 1);
    if (axis !== -1 && axis !== 2 && axis !== 3) return { reject: `Softmax over axis ${axis}, not the key axis (last)` };
  }
  const nodes: number[] = [normId];

  // Forward: normalizer -> (sum normalization) -> MatMul(P, V).
  let weights = norm.output?.[0] ?? '';
  if (normalizer === 'softplus-sum') weights = absorbSoftplusThreshold(g, norm.input?.[0] ?? '', weights, nodes);
  weights = follow(g, weights, nodes);
  if (normalizer === 'softplus-sum') {
    const users = g.consumersOf(weights).map((id) => ({ id, n: g.node(id) }));
    const sum = users.find((u) => u.n.op_type === 'ReduceSum');
    const div = users.find((u) => u.n.op_type === 'Div' && u.n.input?.[0] === weights);
    if (!sum || !div || users.length !== 2 || div.n.input?.[1] !== sum.n.output?.[0]) {
      return { reject: 'Softplus not followed by a ReduceSum -> Div sum-normalization' };
    }
    if (g.consumersOf(sum.n.output?.[0] ?? '').length !== 1) return { reject: 'the Softplus sum is used outside the normalization' };
    nodes.push(sum.id, div.id);
    weights = follow(g, div.n.output?.[0] ?? '', nodes);
  }
  const pvUsers = g.consumersOf(weights);
  const pvId = pvUsers.length === 1 ? pvUsers[0] : -1;
  const pv = pvId >= 0 ? g.node(pvId) : undefined;
  if (!pv || pv.op_type !== 'MatMul' || pv.input?.[0] !== weights) {
    return { reject: `${op} output does not feed a MatMul with V (it feeds ${pvUsers.map((id) => g.node(id).op_type).join(', ') || 'nothing'})` };
  }
  nodes.push(pvId);

  // Backward: normalizer input -> chain of scale/mask/cast ops -> MatMul(Q, Kᵀ).
  const chain: { id: number; side: 'a' | 'b' | 'single'; softcap?: boolean }[] = [];
  let t = norm.input?.[0] ?? '';
  let qkId = -1;
  let softcap: number | undefined;
  for (let steps = 0; steps < 16; steps++) {
    const pid = g.producer.get(t);
    if (pid === undefined) return { reject: `${op} input ${t} does not come from a MatMul (it is a graph input or initializer)` };
    const p = g.node(pid);
    const inside = new Set([...nodes, ...chain.map((c) => c.id)]);
    if (!g.consumersOf(t).every((id) => inside.has(id))) return { reject: `the logits tensor ${t} is also used outside the attention (e.g. returned as attention weights)` };
    if (p.op_type === 'MatMul') { qkId = pid; break; }
    if (p.op_type === 'Tanh') {
      const cap = matchSoftcap(g, chain, p);
      if (cap === null || softcap !== undefined) return { reject: `the logits pass through Tanh (${p.name}) that is not a softcap cap·tanh(s / cap)` };
      softcap = cap.value;
      chain[chain.length - 1].softcap = true;
      chain.push({ id: pid, side: 'single', softcap: true }, { id: cap.divId, side: 'a', softcap: true });
      t = cap.input;
      continue;
    }
    if (!CHAIN_OPS.has(p.op_type ?? '')) return { reject: `the logits pass through ${p.op_type} (${p.name}), which is not a scale, mask or cast` };
    const ins = p.input ?? [];
    if (p.op_type === 'Cast' || p.op_type === 'Identity' || p.op_type === 'Reshape') { chain.push({ id: pid, side: 'single' }); t = ins[0]; continue; }
    if (p.op_type === 'Where') {
      const onA = reachesMatMul(g, ins[1], 12);
      chain.push({ id: pid, side: onA ? 'a' : 'b' });
      t = onA ? ins[1] : ins[2];
      continue;
    }
    if (p.op_type === 'Div') { chain.push({ id: pid, side: 'a' }); t = ins[0]; continue; }
    const onA = g.scalar(ins[1]) !== null || reachesMatMul(g, ins[0], 12);
    chain.push({ id: pid, side: onA ? 'a' : 'b' });
    t = onA ? ins[0] : ins[1];
  }
  if (qkId < 0) return { reject: `no MatMul(Q, Kᵀ) within 16 steps before the ${op}` };
  const qk = g.node(qkId);
  if (normalizer !== 'softmax' && !chain.length && !reachesProjection(g, qk)) {
    return { reject: `${op} is not fed by an attention score MatMul` };
  }

  const terms: LogitTerm[] = [];
  let afterSoftcap = false;
  for (const { id, side, softcap: capStep } of [...chain].reverse()) {
    const n = g.node(id);
    const ins = n.input ?? [];
    nodes.push(id);
    if (capStep) { afterSoftcap = true; continue; }
    // The kernel soft-caps the scaled logits and adds the bias after: a mask before the cap or a scale
    // after it does not fit.
    const scaleStep = n.op_type === 'Mul' || n.op_type === 'Div';
    if (softcap !== undefined && (afterSoftcap ? scaleStep : !scaleStep && !['Cast', 'Identity', 'Reshape'].includes(n.op_type ?? ''))) {
      return { reject: `${n.op_type} (${n.name}) ${afterSoftcap ? 'scales the logits after' : 'masks the logits before'} the softcap` };
    }
    switch (n.op_type) {
      case 'Mul': terms.push({ op: 'mul', tensor: side === 'a' ? ins[1] : ins[0] }); break;
      case 'Div': terms.push({ op: 'div', tensor: ins[1] }); break;
      case 'Add': terms.push({ op: 'add', tensor: side === 'a' ? ins[1] : ins[0] }); break;
      case 'Where': terms.push({ op: 'where', cond: ins[0], fill: side === 'a' ? ins[2] : ins[1], keepWhen: side === 'a' }); break;
      default: break;
    }
  }
  nodes.push(qkId);
  let scale: number | null = 1;
  for (const term of terms) {
    if (term.op !== 'mul' && term.op !== 'div') continue;
    const s = g.scalar(term.tensor);
    if (s === null) { scale = null; break; }
    scale = term.op === 'mul' ? scale * s : scale / s;
  }
  const kOperand = qk.input?.[1] ?? '';
  return {
    order: Math.max(...nodes),
    core: {
      kind: 'unfused', normalizer, nodes: nodes.sort((a, b) => a - b), name: norm.name || `${op}#${normId}`,
      q: { name: qk.input?.[0] ?? '', layout: 'bhtd' },
      k: { name: kOperand, layout: 'bhdt' },
      v: { name: pv.input?.[1] ?? '', layout: 'bhtd' },
      output: { name: pv.output?.[0] ?? '', layout: 'bhtd' },
      scale, scaleFromTerms: true, terms, softcap,
      kvSource: findKvSource(g, kOperand),
    },
  };
}

/**
 * Follows single-consumer pass-through ops (Cast, Dropout, Identity) forward, and the NaN guard of
 * decomposed SDPA, Where(IsNaN(w), 0, w), which zeroes fully masked rows as our kernels do.
 */
function follow(g: GraphIndex, tensor: string, nodes: number[]): string {
  let t = tensor;
  for (;;) {
    const users = g.consumersOf(t);
    if (users.length === 2) {
      const isNan = users.find((id) => g.node(id).op_type === 'IsNaN');
      const where = users.find((id) => g.node(id).op_type === 'Where');
      const flag = isNan !== undefined ? g.node(isNan).output?.[0] ?? '' : '';
      const w = where !== undefined ? g.node(where) : undefined;
      if (isNan === undefined || where === undefined || !w || w.input?.[0] !== flag || w.input?.[2] !== t ||
        g.scalar(w.input?.[1] ?? '') !== 0 || g.consumersOf(flag).length !== 1) return t;
      nodes.push(isNan, where);
      t = w.output?.[0] ?? '';
      continue;
    }
    if (users.length !== 1) return t;
    const n = g.node(users[0]);
    if (!PASS_AFTER.has(n.op_type ?? '')) return t;
    nodes.push(users[0]);
    t = n.output?.[0] ?? '';
  }
}

/**
 * The softcap cap·tanh(s / cap) (Gemma 2): the Mul by cap is the last chain step taken, the Tanh reads
 * Div(s, cap) or Mul(s, 1/cap). Returns the cap, the Div/Mul node and its logits input.
 */
function matchSoftcap(g: GraphIndex, chain: { id: number; side: 'a' | 'b' | 'single' }[], tanh: NodeProto): { value: number; divId: number; input: string } | null {
  const last = chain[chain.length - 1];
  const mul = last ? g.node(last.id) : undefined;
  if (!mul || mul.op_type !== 'Mul' || last.side === 'single') return null;
  const cap = g.scalar((last.side === 'a' ? mul.input?.[1] : mul.input?.[0]) ?? '');
  const divId = g.producer.get(tanh.input?.[0] ?? '');
  const div = divId === undefined ? undefined : g.node(divId);
  if (cap === null || cap <= 0 || !div || g.consumersOf(tanh.input?.[0] ?? '').length !== 1) return null;
  const c = g.scalar(div.input?.[1] ?? '');
  const ok = c !== null && ((div.op_type === 'Div' && Math.abs(c - cap) <= 1e-6 * cap) || (div.op_type === 'Mul' && Math.abs(c * cap - 1) <= 1e-6));
  return ok ? { value: cap, divId: divId!, input: div.input?.[0] ?? '' } : null;
}

/**
 * torch's softplus as the dynamo exporter writes it: Where(x·β > threshold, x, Softplus(x)) (linear
 * above the threshold, where softplus(x) = x in float32). Absorbs the Where and its condition.
 */
function absorbSoftplusThreshold(g: GraphIndex, x: string, softplus: string, nodes: number[]): string {
  const users = g.consumersOf(softplus);
  const where = users.length === 1 ? g.node(users[0]) : undefined;
  if (!where || where.op_type !== 'Where' || where.input?.[1] !== x || where.input?.[2] !== softplus) return softplus;
  const condId = g.producer.get(where.input?.[0] ?? '');
  const cond = condId === undefined ? undefined : g.node(condId);
  if (!cond || cond.op_type !== 'Greater' || g.scalar(cond.input?.[1] ?? '') === null) return softplus;
  const extra = [users[0], condId!];
  const scaled = cond.input?.[0] ?? '';
  if (scaled !== x) {
    const mulId = g.producer.get(scaled);
    const mul = mulId === undefined ? undefined : g.node(mulId);
    if (!mul || mul.op_type !== 'Mul' || mul.input?.[0] !== x || g.scalar(mul.input?.[1] ?? '') === null) return softplus;
    extra.push(mulId!);
  }
  nodes.push(...extra);
  return where.output?.[0] ?? softplus;
}

/** Whether a tensor is computed from a MatMul through chain ops only (the logits side of a Mul/Add/Where). */
function reachesMatMul(g: GraphIndex, tensor: string, depth: number): boolean {
  if (depth <= 0) return false;
  const p = g.producerOf(tensor);
  if (!p) return false;
  if (p.op_type === 'MatMul') return true;
  if (!CHAIN_OPS.has(p.op_type ?? '') && p.op_type !== 'Tanh') return false;
  return (p.input ?? []).some((i) => reachesMatMul(g, i, depth - 1));
}

/**
 * Sigmoid/Softplus are also activations (SiLU, Mish). Fed directly by a MatMul, count it as attention
 * only when both MatMul operands are activations (Q and Kᵀ), not a weight initializer (a projection).
 */
function reachesProjection(g: GraphIndex, matmul: { input?: string[] | null }): boolean {
  return (matmul.input ?? []).every((i) => !g.initializers.has(i) && g.constant(i) === null);
}

/** The K tensor before a GQA repeat (Unsqueeze -> Expand -> Reshape, or Tile), if there is one. */
export function findKvSource(g: GraphIndex, k: string): string | undefined {
  let t = k;
  for (let steps = 0; steps < 8; steps++) {
    const p = g.producerOf(t);
    if (!p || !KV_WALK.has(p.op_type ?? '')) return undefined;
    const data = p.input?.[0] ?? '';
    if (p.op_type === 'Expand') {
      const u = g.producerOf(data);
      return u?.op_type === 'Unsqueeze' ? u.input?.[0] ?? undefined : data;
    }
    if (p.op_type === 'Tile') return data;
    if (p.op_type === 'Mul' && g.scalar(p.input?.[1] ?? '') === null) return undefined;
    t = data;
  }
  return undefined;
}
