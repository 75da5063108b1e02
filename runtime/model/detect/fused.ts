import { attrFloat, attrInt, attrInts, type GraphIndex } from '../graph';
import type { NodeProto } from '../onnx/proto';
import type { LogitTerm } from './core';
import { findKvSource, type Match } from './unfused';

const opt = (n: NodeProto, i: number): string | undefined => n.input?.[i] || undefined;
const out = (n: NodeProto, i: number): string | undefined => n.output?.[i] || undefined;

/**
 * The ONNX Attention op (opset 23+): inputs Q, K, V, attn_mask?, past_key?, past_value?; 3-D inputs
 * [B, T, H·d] need q_num_heads/kv_num_heads, 4-D inputs are [B, H, T, d].
 */
export function matchOnnxAttention(g: GraphIndex, id: number, node: NodeProto): Match {
  if (out(node, 3)) return { reject: 'the qk_matmul_output output is used; only the attention output can be replaced' };
  if (opt(node, 6)) return { reject: 'nonpad_kv_seqlen input is not supported' };
  const mask = opt(node, 3);
  const qHeads = attrInt(node, 'q_num_heads', 0) || undefined;
  const kvHeads = attrInt(node, 'kv_num_heads', 0) || undefined;
  const layout = qHeads ? 'packed' : 'bhtd';
  const terms: LogitTerm[] = mask ? [{ op: 'mask', tensor: mask }] : [];
  const scale = attrFloat(node, 'scale');
  return {
    order: id,
    core: {
      kind: 'attention-op', normalizer: 'softmax', nodes: [id], name: node.name || `Attention#${id}`,
      q: { name: node.input?.[0] ?? '', layout }, k: { name: node.input?.[1] ?? '', layout },
      v: { name: node.input?.[2] ?? '', layout }, output: { name: out(node, 0) ?? '', layout },
      pastKey: opt(node, 4), pastValue: opt(node, 5), presentKey: out(node, 1), presentValue: out(node, 2),
      scale: scale && scale !== 0 ? scale : null, scaleFromTerms: false, terms,
      causal: attrInt(node, 'is_causal', 0) === 1, qHeads, kvHeads,
      softcap: attrFloat(node, 'softcap') || undefined,
      kvSource: layout === 'bhtd' ? findKvSource(g, node.input?.[1] ?? '') : undefined,
    },
  };
}

/**
 * com.microsoft MultiHeadAttention: query [B, S, H·d], key/value [B, L, H·d] (or [B, H, L, d]),
 * bias [3·H·d]?, key_padding_mask (unsupported), attention_bias?, past_key?, past_value?.
 */
export function matchMultiHead(_g: GraphIndex, id: number, node: NodeProto): Match {
  const key = opt(node, 1);
  if (!key) return { reject: 'packed QKV input (no key) is not supported; export with separate query, key and value' };
  if (opt(node, 4)) return { reject: 'key_padding_mask input is not supported; use attention_bias' };
  if (opt(node, 8) || opt(node, 9)) return { reject: 'past_sequence_length / cache_indirection (beam search) inputs are not supported' };
  const heads = attrInt(node, 'num_heads', 0);
  if (!heads) return { reject: 'num_heads attribute missing' };
  const bias = opt(node, 5);
  const scale = attrFloat(node, 'scale');
  return {
    order: id,
    core: {
      kind: 'mha', normalizer: 'softmax', nodes: [id], name: node.name || `MultiHeadAttention#${id}`,
      q: { name: node.input?.[0] ?? '', layout: 'packed' }, k: { name: key, layout: 'packed' },
      v: { name: opt(node, 2) ?? '', layout: 'packed' }, output: { name: out(node, 0) ?? '', layout: 'packed' },
      qkvBias: opt(node, 3), pastKey: opt(node, 6), pastValue: opt(node, 7),
      presentKey: out(node, 1), presentValue: out(node, 2),
      scale: scale && scale !== 0 ? scale : null, scaleFromTerms: false,
      terms: bias ? [{ op: 'add', tensor: bias }] : [],
      causal: attrInt(node, 'unidirectional', 0) === 1, qHeads: heads, kvHeads: heads,
    },
  };
}

/**
 * com.microsoft GroupQueryAttention (always causal): query [B, S, H·d], key/value [B, S, kvH·d],
 * past_key/past_value [B, kvH, P, d], seqlens_k, total_sequence_length, cos/sin caches (rotary,
 * unsupported), position_ids, attention_bias?, head_sink (unsupported).
 */
export function matchGroupQuery(_g: GraphIndex, id: number, node: NodeProto): Match {
  const key = opt(node, 1);
  if (!key) return { reject: 'packed QKV input (no key) is not supported; export with separate query, key and value' };
  const rotary = attrInt(node, 'do_rotary', 0) === 1;
  if (rotary && (!opt(node, 7) || !opt(node, 8))) return { reject: 'do_rotary=1 without cos_cache/sin_cache inputs' };
  if (attrInt(node, 'local_window_size', -1) !== -1) return { reject: 'local_window_size (sliding window) is not supported' };
  if (attrInt(node, 'smooth_softmax', 0)) return { reject: 'smooth_softmax is not supported' };
  if (opt(node, 11)) return { reject: 'head_sink input is not supported' };
  const heads = attrInt(node, 'num_heads', 0);
  const kvHeads = attrInt(node, 'kv_num_heads', 0);
  if (!heads || !kvHeads) return { reject: 'num_heads / kv_num_heads attributes missing' };
  const bias = opt(node, 10);
  const scale = attrFloat(node, 'scale');
  return {
    order: id,
    core: {
      kind: 'gqa', normalizer: 'softmax', nodes: [id], name: node.name || `GroupQueryAttention#${id}`,
      q: { name: node.input?.[0] ?? '', layout: 'packed' }, k: { name: key, layout: 'packed' },
      v: { name: opt(node, 2) ?? '', layout: 'packed' }, output: { name: out(node, 0) ?? '', layout: 'packed' },
      pastKey: opt(node, 3), pastValue: opt(node, 4), presentKey: out(node, 1), presentValue: out(node, 2),
      scale: scale && scale !== 0 ? scale : null, scaleFromTerms: false,
      terms: bias ? [{ op: 'add', tensor: bias }] : [],
      causal: true, qHeads: heads, kvHeads, softcap: attrFloat(node, 'softcap') || undefined,
      rotary: rotary ? { cos: opt(node, 7)!, sin: opt(node, 8)!, positionIds: opt(node, 9), interleaved: attrInt(node, 'rotary_interleaved', 0) === 1 } : undefined,
    },
  };
}

/**
 * com.microsoft Attention (the older fused op with the QKV projection inside): input [B, S, hidden],
 * weights [hidden, q+k+v], bias?, mask_index (unsupported), past (must be empty), attention_bias?.
 */
export function matchContribAttention(_g: GraphIndex, id: number, node: NodeProto): Match {
  if (opt(node, 3)) return { reject: 'mask_index input is not supported; use attention_bias' };
  if (opt(node, 6)) return { reject: 'past_sequence_length input is not supported' };
  if (attrInt(node, 'do_rotary', 0)) return { reject: 'do_rotary=1 is not supported for com.microsoft Attention' };
  const heads = attrInt(node, 'num_heads', 0);
  if (!heads) return { reject: 'num_heads attribute missing' };
  const bias = opt(node, 5);
  const scale = attrFloat(node, 'scale');
  const input = node.input?.[0] ?? '';
  return {
    order: id,
    core: {
      kind: 'attention-contrib', normalizer: 'softmax', nodes: [id], name: node.name || `Attention#${id}`,
      q: { name: input, layout: 'packed' }, k: { name: input, layout: 'packed' }, v: { name: input, layout: 'packed' },
      output: { name: out(node, 0) ?? '', layout: 'packed' },
      projection: { weights: node.input?.[1] ?? '', bias: opt(node, 2), sizes: attrInts(node, 'qkv_hidden_sizes') ?? [] },
      pastKey: opt(node, 4), presentStacked: out(node, 1),
      scale: scale && scale !== 0 ? scale : null, scaleFromTerms: false,
      terms: bias ? [{ op: 'add', tensor: bias }] : [],
      causal: attrInt(node, 'unidirectional', 0) === 1, qHeads: heads, kvHeads: heads,
    },
  };
}
