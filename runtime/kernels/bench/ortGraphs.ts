/**
 * The ONNX Runtime side of the benchmark: one attention core (batch 1, H heads, T tokens, head dim
 * d, causal, fp32) as the three graphs ONNX Runtime offers for it, encoded with the engine's
 * generated ONNX codec:
 *   unfused    MatMul(Q, Kᵀ) -> Mul(scale) -> Add(causal mask) -> Softmax -> MatMul(·, V), Q/K/V [1,H,T,d]
 *   attention  the ONNX Attention op (opset 23), is_causal = 1, Q/K/V [1,H,T,d]
 *   gqa        com.microsoft GroupQueryAttention (its causal prompt path), Q/K/V [1,T,H·d]
 */
import { onnx } from '../../model/onnx/proto';

const { FLOAT, INT32 } = onnx.TensorProto.DataType;

export type OrtGraphId = 'unfused' | 'attention' | 'gqa';
export const ORT_GRAPHS: readonly OrtGraphId[] = ['unfused', 'attention', 'gqa'];

export interface CoreShape { heads: number; tokens: number; headDim: number }

interface ValueInfo { name: string; elem: number; dims: number[] }

function valueInfo(v: ValueInfo): onnx.ValueInfoProto.$Properties {
  return { name: v.name, type: { tensor_type: { elem_type: v.elem, shape: { dim: v.dims.map((d) => ({ dim_value: d })) } } } };
}

function model(nodes: onnx.NodeProto.$Properties[], inputs: ValueInfo[], outputs: string[], opset: number, initializer: onnx.TensorProto.$Properties[] = []): Uint8Array {
  const opsetImport = [{ domain: '', version: opset }, { domain: 'com.microsoft', version: 1 }];
  const m = onnx.ModelProto.create({
    ir_version: 10, producer_name: 'attnscope-bench', opset_import: opsetImport,
    graph: { name: 'core', node: nodes, input: inputs.map(valueInfo), output: outputs.map((name) => ({ name })), initializer },
  });
  return onnx.ModelProto.encode(m).finish();
}

const intAttr = (name: string, i: number): onnx.AttributeProto.$Properties => ({ name, i, type: onnx.AttributeProto.AttributeType.INT });
const floatAttr = (name: string, f: number): onnx.AttributeProto.$Properties => ({ name, f, type: onnx.AttributeProto.AttributeType.FLOAT });

/** The graph's bytes and the names/shapes of its inputs. */
export function buildOrtGraph(id: OrtGraphId, s: CoreShape): { bytes: Uint8Array; inputs: ValueInfo[] } {
  const { heads: H, tokens: T, headDim: d } = s;
  const scale = 1 / Math.sqrt(d);
  if (id === 'unfused') {
    const inputs = [
      { name: 'q', elem: FLOAT, dims: [1, H, T, d] }, { name: 'k', elem: FLOAT, dims: [1, H, T, d] },
      { name: 'v', elem: FLOAT, dims: [1, H, T, d] }, { name: 'mask', elem: FLOAT, dims: [1, 1, T, T] },
    ];
    const nodes = [
      { op_type: 'Transpose', input: ['k'], output: ['kt'], attribute: [{ name: 'perm', ints: [0, 1, 3, 2], type: onnx.AttributeProto.AttributeType.INTS }] },
      { op_type: 'MatMul', input: ['q', 'kt'], output: ['qk'] },
      { op_type: 'Mul', input: ['qk', 'scale'], output: ['s'] },
      { op_type: 'Add', input: ['s', 'mask'], output: ['sm'] },
      { op_type: 'Softmax', input: ['sm'], output: ['p'], attribute: [intAttr('axis', -1)] },
      { op_type: 'MatMul', input: ['p', 'v'], output: ['o'] },
    ];
    return { bytes: model(nodes, inputs, ['o'], 17, [{ name: 'scale', dims: [], data_type: FLOAT, float_data: [scale] }]), inputs };
  }
  if (id === 'attention') {
    const inputs = [
      { name: 'q', elem: FLOAT, dims: [1, H, T, d] }, { name: 'k', elem: FLOAT, dims: [1, H, T, d] },
      { name: 'v', elem: FLOAT, dims: [1, H, T, d] },
    ];
    const nodes = [{ op_type: 'Attention', input: ['q', 'k', 'v'], output: ['o'], attribute: [intAttr('is_causal', 1), floatAttr('scale', scale)] }];
    return { bytes: model(nodes, inputs, ['o'], 23), inputs };
  }
  const inputs = [
    { name: 'q', elem: FLOAT, dims: [1, T, H * d] }, { name: 'k', elem: FLOAT, dims: [1, T, H * d] },
    { name: 'v', elem: FLOAT, dims: [1, T, H * d] },
    { name: 'seqlens_k', elem: INT32, dims: [1] }, { name: 'total_sequence_length', elem: INT32, dims: [] },
  ];
  const nodes = [{
    op_type: 'GroupQueryAttention', domain: 'com.microsoft',
    input: ['q', 'k', 'v', '', '', 'seqlens_k', 'total_sequence_length'], output: ['o', 'present_k', 'present_v'],
    attribute: [intAttr('num_heads', H), intAttr('kv_num_heads', H), floatAttr('scale', scale)],
  }];
  return { bytes: model(nodes, inputs, ['o'], 17), inputs };
}

/** Input data for a graph: random fp32 tensors; the causal mask; GQA's sequence lengths. */
export function ortFeedData(id: OrtGraphId, s: CoreShape, q: Float32Array, k: Float32Array, v: Float32Array): Record<string, { data: Float32Array | Int32Array; dims: number[] }> {
  const { heads: H, tokens: T, headDim: d } = s;
  if (id === 'gqa') {
    return {
      q: { data: q, dims: [1, T, H * d] }, k: { data: k, dims: [1, T, H * d] }, v: { data: v, dims: [1, T, H * d] },
      seqlens_k: { data: Int32Array.of(T - 1), dims: [1] }, total_sequence_length: { data: Int32Array.of(T), dims: [] },
    };
  }
  const feeds: Record<string, { data: Float32Array | Int32Array; dims: number[] }> = {
    q: { data: q, dims: [1, H, T, d] }, k: { data: k, dims: [1, H, T, d] }, v: { data: v, dims: [1, H, T, d] },
  };
  if (id === 'unfused') {
    const mask = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) mask[i * T + j] = -Infinity;
    feeds.mask = { data: mask, dims: [1, 1, T, T] };
  }
  return feeds;
}
