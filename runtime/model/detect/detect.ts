import { ModelError } from '../errors';
import type { GraphIndex } from '../graph';
import { PATTERNS_LOOKED_FOR, type AttentionCore, type RejectedNode } from './core';
import { matchContribAttention, matchGroupQuery, matchMultiHead, matchOnnxAttention } from './fused';
import { matchUnfused, type Match } from './unfused';

export interface Detection {
  cores: AttentionCore[];
  /** Softmax/Attention-like nodes that are not cores, with the reason. */
  rejected: RejectedNode[];
}

const NORMALIZERS = new Set(['Softmax', 'Sigmoid', 'Softplus']);

/**
 * Finds every attention core of the graph, numbered by layer (order along the graph). Throws
 * ModelError('no-attention') listing the patterns looked for and the near misses when none is found.
 */
export function detectCores(g: GraphIndex, modelName: string): Detection {
  const found: { core: Omit<AttentionCore, 'layer'>; order: number }[] = [];
  const rejected: RejectedNode[] = [];
  g.nodes.forEach((node, id) => {
    const op = node.op_type ?? '';
    const domain = node.domain ?? '';
    let match: Match | null = null;
    if (NORMALIZERS.has(op) && (domain === '' || domain === 'ai.onnx')) match = matchUnfused(g, id);
    else if (op === 'Attention' && (domain === '' || domain === 'ai.onnx')) match = matchOnnxAttention(g, id, node);
    else if (op === 'MultiHeadAttention' && domain === 'com.microsoft') match = matchMultiHead(g, id, node);
    else if (op === 'GroupQueryAttention' && domain === 'com.microsoft') match = matchGroupQuery(g, id, node);
    else if (op === 'Attention' && domain === 'com.microsoft') match = matchContribAttention(g, id, node);
    else if (/attention/i.test(op)) match = { reject: `${domain || 'ai.onnx'}.${op} is not a supported attention op` };
    if (!match) return;
    if ('reject' in match) {
      // Sigmoid and Softplus are mostly activations (SiLU, Mish): report them only as near misses.
      const activation = op !== 'Softmax' && /does not feed a MatMul|not followed by a ReduceSum|not fed by an attention/.test(match.reject);
      if (!activation) rejected.push({ node: node.name || `${op}#${id}`, op, reason: match.reject });
      return;
    }
    found.push(match);
  });
  // A node claimed by two matches would be replaced twice: keep the first, reject the other.
  const claimed = new Set<number>();
  const cores: AttentionCore[] = [];
  for (const m of found.sort((a, b) => a.order - b.order)) {
    if (m.core.nodes.some((n) => claimed.has(n))) {
      rejected.push({ node: m.core.name, op: m.core.kind, reason: 'overlaps another attention core' });
      continue;
    }
    m.core.nodes.forEach((n) => claimed.add(n));
    cores.push({ ...m.core, layer: cores.length });
  }
  if (!cores.length) {
    const misses = rejected.length
      ? `; nodes that did not match: ${rejected.map((r) => `${r.node} (${r.op}): ${r.reason}`).join('; ')}`
      : '; the graph has no Softmax, Sigmoid-over-scores or Attention node';
    throw new ModelError('no-attention', `no attention core found in ${modelName}. Looked for: ${PATTERNS_LOOKED_FOR.join(' | ')}${misses}`);
  }
  return { cores, rejected };
}
