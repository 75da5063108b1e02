/**
 * What the detector records for one attention core, O = normalize(scale·Q·Kᵀ + bias)·V.
 *
 * The core's graph nodes are replaced by a kernel call: the segment before it outputs the core's
 * input tensors (Q, K, V and the tensors of its logit terms) and the segment after it reads the
 * output tensor. Shapes are dynamic in exported graphs, so head counts and lengths are read from the
 * tensors at run time; what can be known statically (constant scale, attributes) is recorded here.
 */
export type CoreKind = 'unfused' | 'attention-op' | 'mha' | 'gqa' | 'attention-contrib';
export type Normalizer = 'softmax' | 'sigmoid' | 'softplus-sum';

/**
 * How a tensor is laid out (batch 1):
 *  - 'bhtd' [B, H, T, d]; 'htd' [B·H, T, d];
 *  - 'bhdt' / 'hdt': the same with the last two axes swapped (Kᵀ as the unfused MatMul reads it);
 *  - 'packed' [B, T, H·d] (heads from an attribute).
 */
export type Layout = 'bhtd' | 'htd' | 'bhdt' | 'hdt' | 'packed';

export interface CoreTensor {
  name: string;
  layout: Layout;
}

/**
 * One step applied, in graph order, to the logits between Q·Kᵀ and the normalizer. Tensors named
 * here are read at run time (constants resolve from initializers).
 *  - mul/div: the logits (and everything added so far) times / by a scalar;
 *  - add: an additive bias (mask, ALiBi), broadcast to [B, H, Tq, Tk];
 *  - where: keep the logit where cond == keepWhen, else the fill (a large negative fill hides the key);
 *  - mask: the ONNX Attention / contrib attn_mask: boolean (true = attend) or additive float.
 */
export type LogitTerm =
  | { op: 'mul' | 'div'; tensor: string }
  | { op: 'add'; tensor: string }
  | { op: 'where'; cond: string; fill: string; keepWhen: boolean }
  | { op: 'mask'; tensor: string };

export interface AttentionCore {
  /** Layer index: order of the core along the graph (0-based). */
  layer: number;
  kind: CoreKind;
  normalizer: Normalizer;
  /** Graph node ids replaced by the kernel. */
  nodes: number[];
  /** Name of the node that ends the core (for display). */
  name: string;
  q: CoreTensor;
  k: CoreTensor;
  v: CoreTensor;
  output: CoreTensor;
  /** Outputs equal to K and V in [B, kvH, T, d] (present_key/present_value of fused ops). */
  presentKey?: string;
  presentValue?: string;
  /** Past key/value inputs of fused ops (must be empty at run time). */
  pastKey?: string;
  pastValue?: string;
  /** Fused ops' packed bias [3·H·d] added to Q, K, V (com.microsoft MultiHeadAttention). */
  qkvBias?: string;
  /** Explicit scale (attribute), or null: from the terms (unfused) or 1/sqrt(headDim) (fused). */
  scale: number | null;
  /** Scale is the product of the terms (unfused graphs), not a fused op's default. */
  scaleFromTerms: boolean;
  terms: LogitTerm[];
  /** From an attribute (fused ops); unfused cores learn causality from the mask at run time. */
  causal?: boolean;
  qHeads?: number;
  kvHeads?: number;
  softcap?: number;
  /** The K tensor before a GQA repeat (Expand/Tile), [B, kvH, T, d]: its head count is kvHeads. */
  kvSource?: string;
  /**
   * Rotary embedding the fused op applies to Q and K (GroupQueryAttention do_rotary): caches
   * [positions, rotaryDim/2], optional position ids (else 0..T−1), interleaved or half-split pairs.
   */
  rotary?: { cos: string; sin: string; positionIds?: string; interleaved: boolean };
  /**
   * The QKV projection inside com.microsoft Attention: Q, K, V = input·weights + bias, split by
   * `sizes` (q, k, v widths; empty = three equal parts). `q.name` is then the op's input.
   */
  projection?: { weights: string; bias?: string; sizes: number[] };
  /** com.microsoft Attention's present output [2, B, H, T, d] (K and V stacked). */
  presentStacked?: string;
}

/** A Softmax/Attention-like node that is not a core, and why. */
export interface RejectedNode {
  node: string;
  op: string;
  reason: string;
}

export const PATTERNS_LOOKED_FOR = [
  'MatMul(Q, Kᵀ) -> Mul/Div (scale) -> Add/Where (mask) -> Softmax|Sigmoid|Softplus+ReduceSum+Div -> MatMul(·, V) (with Cast/Reshape/Transpose/Expand/Tile around it)',
  'ONNX Attention (opset 23+)',
  'com.microsoft MultiHeadAttention',
  'com.microsoft GroupQueryAttention',
  'com.microsoft Attention',
];
