/**
 * The contract between the engine and the attention kernels.
 *
 * One attention core of one prompt (batch 1) is computed per call. Tensors are row-major and
 * contiguous, laid out per head: Q is [qHeads, tq, headDim], K is [kvHeads, tk, headDim],
 * V is [kvHeads, tk, headDimV], the output O is [qHeads, tq, headDimV]. Query head h reads
 * key/value head floor(h / (qHeads / kvHeads)) (GQA/MQA) without copying K and V.
 *
 * Every backend (js reference, native, wasm) implements `AttentionBackend` and returns the same
 * numbers within the tolerance stated per variant in the parity tests.
 */

export type BackendId = 'js' | 'native' | 'wasm';

export const VARIANT_IDS = [
  'softmax',
  'softmax1',
  'sink-logit',
  'unified-max',
  'sigmoid',
  'sigmoid-norm',
  'elu1',
  'lssa',
  'lssar',
  'soft-gauss',
  'soft-nystrom',
  'shiftmax',
  'softplus-norm',
] as const;
export type VariantId = (typeof VARIANT_IDS)[number];

/** A variant with its parameters resolved (defaults filled in by the variant registry). */
export interface VariantSpec {
  id: VariantId;
  params: Record<string, number>;
}

/**
 * Which keys a query sees. Masks are orthogonal to variants.
 * Query row i (0-based) sits at key position `i + (tk - tq)` (past keys come first).
 */
export interface MaskSpec {
  /** Causal: query row i sees keys j <= i + (tk - tq). */
  causal: boolean;
  /**
   * Additive bias on the scaled logits (ALiBi, padding as -Infinity, a model's own mask), laid out
   * [biasHeads, tq, tk] with biasHeads 1 (shared by all heads) or qHeads. -Infinity hides a key.
   */
  bias?: Float32Array;
  biasHeads?: number;
  /** StreamingLLM window: keep the first `sinks` keys plus the `window` most recent visible keys. */
  streaming?: { sinks: number; window: number };
}

export interface AttentionInput {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  qHeads: number;
  kvHeads: number;
  tq: number;
  tk: number;
  headDim: number;
  headDimV: number;
  /** Multiplies Q·Kᵀ before the bias (usually 1/sqrt(headDim)). */
  scale: number;
  /** tanh softcap applied to the scaled logits before the bias (0 = off), as the ONNX Attention op. */
  softcap?: number;
  mask: MaskSpec;
}

export interface AttentionRequest {
  input: AttentionInput;
  variant: VariantSpec;
  /** Worker threads for native kernels (ignored by js; wasm runs single-threaded). */
  threads?: number;
  /** Instrumentation on (default true). Off only for overhead measurements. */
  instrument?: boolean;
  /** Query heads whose full probability map [tq, tk] is returned (for display). Never all heads. */
  captureHeads?: number[];
  /** Also return `stats.timeline`: when the call ran and, on native, which worker ran which work item (profiling; off by default). */
  timeline?: boolean;
}

/** One work item of a kernel call: query rows [rows[0], rows[1]) of one head, run by one worker thread. */
export interface KernelItem {
  worker: number;
  head: number;
  rows: [number, number];
  /** ms on performance.now()'s clock */
  start: number;
  end: number;
}

/**
 * When a kernel call ran, on performance.now()'s clock (ms). Native: from the moment its first
 * worker started to the end of the reduction, with every work item; worker 0 is the libuv thread
 * that took the call, workers 1.. the addon's pool threads. wasm and js compute on the calling
 * thread in one piece (no items).
 */
export interface KernelTimeline {
  start: number;
  end: number;
  /** Threads the call used (≤ the threads asked for: never more than work items). */
  threads: number;
  /** Query rows per work item (0 where the call has no items). */
  rowBlock: number;
  items: KernelItem[];
}

/** Measured inside the kernel while it computes the core (not a second pass). */
export interface AttentionStats {
  /** [qHeads, tk]: Σ over queries of the weight each key receives (the normalized/proxy map). */
  keyAttentionSum: Float32Array;
  /** [qHeads, tk]: number of queries that see each key (so α_k = sum / count exactly). */
  keyQueryCount: Float32Array;
  /** [qHeads]: mean over valid rows of the row entropy (nats) of the normalized/proxy map. */
  entropy: Float32Array;
  /** Rows (head * tq + i) whose logits held NaN/Inf; their output is 0. */
  invalidRows: number[];
  /** unified-max: rows recomputed with the synchronized softmax because x − φ left the guard. */
  recomputedRows: number;
  /** soft-nystrom: final Newton–Raphson residual ‖I − A·X‖₁ (0 for other variants). */
  nrResidual: number;
  /**
   * soft-nystrom: max |O_nystrom − O_gauss| against the exact Gaussian kernel (soft-gauss), over a
   * SAMPLE of query rows by default: the param errorRows (default 128) rows per head, evenly spaced,
   * first and last included, the same rows in every head; every row when errorRows = 0 or
   * tq ≤ errorRows (gauss.c's header; about 2.5x the instrumented time at T = 1024). Rows invalid in
   * either output are left out. 0 for other variants.
   */
  approxError: number;
  /** Wall time of the kernel call in milliseconds, measured by the backend itself. */
  wallMs: number;
  /** With request.timeline: when the call ran and (native) which thread ran what. */
  timeline?: KernelTimeline;
  /** True when the variant's weights do not sum to 1 and the stats use the proxy map of spec §1.1. */
  proxy: boolean;
}

export interface CapturedMap {
  head: number;
  /** [tq, tk] weights as the variant produced them (0 where hidden). */
  weights: Float32Array;
}

export interface AttentionResult {
  /** [qHeads, tq, headDimV] */
  output: Float32Array;
  stats: AttentionStats;
  maps: CapturedMap[];
}

export interface AttentionBackend {
  readonly id: BackendId;
  /** Variants this backend implements. */
  readonly variants: readonly VariantId[];
  run(request: AttentionRequest): Promise<AttentionResult>;
}
