/**
 * Small transformer graphs built in tests with the generated ONNX codec: the patterns real exporters
 * emit (unfused MatMul/Div/Where/Softmax/MatMul with a GQA repeat, the ONNX Attention op in 3-D and
 * 4-D), so detection and the segmented run are tested without the fixture corpus.
 */
import { onnx } from '../../runtime/model/onnx/proto';

const { FLOAT, INT64 } = onnx.TensorProto.DataType;
type Attr = { name: string; i?: number; f?: number; ints?: number[] };

/** Deterministic pseudo-random weights in [-scale, scale). */
export function weights(n: number, seed: number, scale = 0.5): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32 * 2 - 1) * scale;
  });
}

export class GraphBuilder {
  private readonly nodes: onnx.NodeProto.$Properties[] = [];
  private readonly inits: onnx.TensorProto.$Properties[] = [];
  private readonly inputs: onnx.ValueInfoProto.$Properties[] = [];
  private readonly outputs: onnx.ValueInfoProto.$Properties[] = [];
  private count = 0;

  init(name: string, dims: number[], values: number[], type = FLOAT): string {
    const t: onnx.TensorProto.$Properties = { name, dims, data_type: type };
    if (type === INT64) t.int64_data = values;
    else if (type === onnx.TensorProto.DataType.BOOL) t.int32_data = values;
    else t.float_data = values;
    this.inits.push(t);
    return name;
  }

  input(name: string, type: number, dims: (number | string)[]): string {
    this.inputs.push({ name, type: { tensor_type: { elem_type: type, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } } });
    return name;
  }

  output(name: string): void {
    this.outputs.push({ name });
  }

  /** Adds a node; returns its first output name. */
  node(op: string, inputs: string[], attrs: Attr[] = [], domain = '', outputs = 1): string {
    const id = this.count++;
    const outs = Array.from({ length: outputs }, (_, i) => `${op.toLowerCase()}_${id}_${i}`);
    const attribute = attrs.map((a) => (a.ints ? { name: a.name, ints: a.ints, type: 7 } : a.f !== undefined ? { name: a.name, f: a.f, type: 1 } : { name: a.name, i: a.i, type: 2 }));
    this.nodes.push({ op_type: op, input: inputs, output: outs, attribute, domain, name: `${op}_${id}` });
    return outs[0];
  }

  /** Adds a node with a given output name. */
  nodeTo(op: string, inputs: string[], output: string): string {
    this.nodes.push({ op_type: op, input: inputs, output: [output], attribute: [], domain: '', name: `${op}_${this.count++}` });
    return output;
  }

  encode(opset: number): Uint8Array {
    const model = onnx.ModelProto.create({
      ir_version: opset >= 21 ? 10 : 8, producer_name: 'attnscope-test',
      opset_import: [{ domain: '', version: opset }],
      graph: { name: 'g', node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

export interface LmOptions {
  style: 'unfused' | 'attention-op-4d' | 'attention-op-3d';
  normalizer?: 'softmax' | 'sigmoid' | 'softplus-sum';
  layers?: number;
  heads?: number;
  kvHeads?: number;
  headDim?: number;
  vocab?: number;
  maxPositions?: number;
  /** Unfused only: bidirectional (no causal mask) and a per-head additive bias (ALiBi-like). */
  bidirectional?: boolean;
  /** Unfused only: Gemma-2 style logit softcap cap·tanh(s / cap) before the mask. */
  softcap?: number;
}

/** A tiny causal LM (token + position embeddings, attention blocks, logits) in the chosen style. */
export function buildLm(o: LmOptions): { bytes: Uint8Array; opset: number } {
  const L = o.layers ?? 2; const H = o.heads ?? 4; const KV = o.kvHeads ?? H; const d = o.headDim ?? 8;
  const V = o.vocab ?? 32; const P = o.maxPositions ?? 16; const D = H * d;
  const g = new GraphBuilder();
  const ids = g.input('input_ids', INT64, ['batch', 'sequence']);
  const shape = g.node('Shape', [ids]);
  const T = g.node('Gather', [shape, g.init('one_idx', [], [1], INT64)], [{ name: 'axis', i: 0 }]);
  const positions = g.node('Range', [g.init('zero', [], [0], INT64), T, g.init('step', [], [1], INT64)]);
  let h = g.node('Add', [
    g.node('Gather', [g.init('wte', [V, D], weights(V * D, 1)), ids]),
    g.node('Gather', [g.init('wpe', [P, D], weights(P * D, 2)), positions]),
  ]);
  const Tu = g.node('Unsqueeze', [T, g.init('axes0', [1], [0], INT64)]);
  const TT = g.node('Concat', [Tu, Tu], [{ name: 'axis', i: 0 }]);
  const ones = g.node('Expand', [g.init('one_f', [1, 1], [1]), TT]);
  const causalMask = g.node('Cast', [g.node('Trilu', [ones], [{ name: 'upper', i: 0 }])], [{ name: 'to', i: 9 }]);
  for (let l = 0; l < L; l++) {
    const proj = (x: string, width: number, seed: number): string => g.node('MatMul', [x, g.init(`w${l}_${seed}`, [D, width], weights(D * width, 100 * l + seed, 0.4))]);
    const q3 = proj(h, H * d, 3); const k3 = proj(h, KV * d, 4); const v3 = proj(h, KV * d, 5);
    let attn: string;
    if (o.style === 'attention-op-3d') {
      attn = g.node('Attention', [q3, k3, v3], [{ name: 'is_causal', i: 1 }, { name: 'q_num_heads', i: H }, { name: 'kv_num_heads', i: KV }]);
    } else {
      const heads4 = (x: string, n: number): string => g.node('Transpose', [g.node('Reshape', [x, g.init(`shape${l}_${n}_${x}`, [4], [1, -1, n, d], INT64)])], [{ name: 'perm', ints: [0, 2, 1, 3] }]);
      const q = heads4(q3, H); let k = heads4(k3, KV); let v = heads4(v3, KV);
      let o4: string;
      if (o.style === 'attention-op-4d') {
        o4 = g.node('Attention', [q, k, v], [{ name: 'is_causal', i: 1 }]);
      } else {
        if (KV < H) {
          const repeat = (x: string, n: string): string => g.node('Reshape', [
            g.node('Expand', [g.node('Unsqueeze', [x, g.init(`ax2_${l}_${n}`, [1], [2], INT64)]), g.init(`rep_${l}_${n}`, [5], [1, 1, H / KV, 1, 1], INT64)]),
            g.init(`rs_${l}_${n}`, [4], [1, H, -1, d], INT64)]);
          k = repeat(k, 'k'); v = repeat(v, 'v');
        }
        const kT = g.node('Transpose', [k], [{ name: 'perm', ints: [0, 1, 3, 2] }]);
        let s = g.node('Div', [g.node('MatMul', [q, kT]), g.init(`sqrt_d_${l}`, [], [Math.sqrt(d)])]);
        if (o.softcap) s = g.node('Mul', [g.node('Tanh', [g.node('Div', [s, g.init(`cap_${l}`, [], [o.softcap])])]), g.init(`cap2_${l}`, [], [o.softcap])]);
        if (o.bidirectional) s = g.node('Add', [s, g.init(`alibi_${l}`, [1, H, 1, 1], weights(H, 7 + l, 1))]);
        else s = g.node('Where', [causalMask, s, g.init(`min_${l}`, [], [-3.4028234663852886e38])]);
        let w: string;
        if (o.normalizer === 'sigmoid') w = g.node('Sigmoid', [s]);
        else if (o.normalizer === 'softplus-sum') {
          const sp = g.node('Softplus', [s]);
          w = g.node('Div', [sp, g.node('ReduceSum', [sp, g.init(`axes_${l}`, [1], [-1], INT64)], [{ name: 'keepdims', i: 1 }])]);
        } else w = g.node('Softmax', [s], [{ name: 'axis', i: -1 }]);
        o4 = g.node('MatMul', [w, v]);
      }
      attn = g.node('Reshape', [g.node('Transpose', [o4], [{ name: 'perm', ints: [0, 2, 1, 3] }]), g.init(`merge_${l}`, [3], [1, -1, D], INT64)]);
    }
    h = g.node('Add', [h, proj(attn, D, 6)]);
    h = g.node('Add', [h, g.node('Relu', [proj(h, D, 7)])]);
  }
  const logits = g.node('MatMul', [h, g.init('lm_head', [D, V], weights(D * V, 99))]);
  g.output(g.nodeTo('Identity', [logits], 'logits'));
  const opset = o.style === 'unfused' ? 17 : 23;
  return { bytes: g.encode(opset), opset };
}

/**
 * One-head attention over exactly 4 tokens whose mask hides every key from the first query. ONNX
 * Runtime's softmax spreads that row uniformly over the finfo.min logits; our kernels output 0 for a
 * row that sees no key, so `check` must report the difference (a model it cannot reproduce).
 */
export function buildFullyMaskedRow(): Uint8Array {
  const g = new GraphBuilder();
  const d = 8;
  const V = 16;
  const ids = g.input('input_ids', INT64, ['batch', 4]);
  const x = g.node('Gather', [g.init('wte', [V, d], weights(V * d, 5)), ids]);
  const proj = (seed: number): string => g.node('MatMul', [x, g.init(`w${seed}`, [d, d], weights(d * d, seed))]);
  const kT = g.node('Transpose', [proj(2)], [{ name: 'perm', ints: [0, 2, 1] }]);
  const s = g.node('Div', [g.node('MatMul', [proj(1), kT]), g.init('sqrt_d', [], [Math.sqrt(d)])]);
  const visible = [0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1];
  const masked = g.node('Where', [g.init('mask', [4, 4], visible, onnx.TensorProto.DataType.BOOL), s, g.init('min', [], [-3.4028234663852886e38])]);
  const o = g.node('MatMul', [g.node('Softmax', [masked], [{ name: 'axis', i: -1 }]), proj(3)]);
  g.output(g.nodeTo('MatMul', [o, g.init('head', [d, V], weights(d * V, 9))], 'logits'));
  return g.encode(17);
}
