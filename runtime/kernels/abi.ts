/**
 * The TypeScript side of the C kernel ABI (runtime/kernels/c/attn.h), shared by the native and
 * WASM backends: variant codes, the variant params array, and one kernel call's buffers (inputs
 * the caller gave, outputs allocated here) turned into an AttentionResult.
 */
import { checkInput } from './reference/input';
import type { AttentionRequest, AttentionResult, KernelItem, KernelTimeline, VariantId, VariantSpec } from './types';
import { VARIANT_IDS } from './types';
import { resolveVariant, VARIANTS } from './variants';

/** enum attn_variant: the index of the id in VARIANT_IDS. */
export function variantCode(id: VariantId): number {
  return VARIANT_IDS.indexOf(id);
}

/**
 * params[] as attn.h lays it out: sink-logit gets one logit per query head (`logit.H` overrides
 * `logit`); every other variant its registry params in declaration order, NaN for unset 'auto' ones.
 */
export function variantParams(spec: VariantSpec, qHeads: number): Float32Array {
  if (spec.id === 'sink-logit') {
    const out = new Float32Array(qHeads);
    for (let h = 0; h < qHeads; h++) out[h] = spec.params[`logit.${h}`] ?? spec.params.logit ?? 0;
    return out;
  }
  return Float32Array.from(VARIANTS[spec.id].params.map((p) => spec.params[p.name] ?? NaN));
}

/** Everything one kernel call reads and writes, as typed arrays (the native run() descriptor). */
export interface KernelCall {
  q: Float32Array; k: Float32Array; v: Float32Array; out: Float32Array;
  qHeads: number; kvHeads: number; tq: number; tk: number; headDim: number; headDimV: number;
  scale: number; softcap: number; causal: boolean;
  bias: Float32Array | null; biasHeads: number;
  streamSinks: number; streamWindow: number;
  variant: number; params: Float32Array;
  instrument: boolean; threads: number;
  /** Record when the call ran and which worker ran each work item (KernelReport.timeline). */
  timeline?: boolean;
  /** Native: run on the calling thread (binding.cc), not on a libuv thread. */
  inline?: boolean;
  invalidRows: Uint8Array;
  captureIndex: Int32Array | null; capture: Float32Array | null;
  keySum: Float32Array; keyCount: Float32Array; entropy: Float32Array;
}

/** What the kernel reports besides its buffers. */
export interface KernelReport {
  wallMs: number; recomputedRows: number; nrResidual: number; approxError: number;
  /**
   * With KernelCall.timeline: [start, end, rowBlock, threads, then per work item worker, start, end]
   * in ms on the backend's clock (binding.cc); wasm gives the first four only.
   */
  timeline?: Float64Array;
}

/** Variants whose statistics use the proxy map of spec §1.1 (their rows do not sum to 1). */
function usesProxy(spec: VariantSpec): boolean {
  if (spec.id === 'elu1') return spec.params.normalize !== 1;
  return spec.id === 'sigmoid' || spec.id === 'soft-gauss' || spec.id === 'soft-nystrom';
}

/**
 * n floats the kernel will overwrite whole (attn_args.out is "fully written"): not zeroed first
 * where Node can allocate so. A zeroed 3 MB output (T = 1,024, 12 heads, d 64) cost a memset of
 * ~0.2 ms on every call, 3 % of native softmax at 2 threads; in a browser, a plain Float32Array.
 */
function overwrittenFloats(n: number): Float32Array {
  if (typeof Buffer === 'undefined') return new Float32Array(n);
  const bytes = Buffer.allocUnsafeSlow(n * 4); // its own ArrayBuffer, offset 0, not zero-filled
  return new Float32Array(bytes.buffer, bytes.byteOffset, n);
}

/**
 * Checks a request (one-line errors from the reference checks and the variant registry) and
 * allocates the call's outputs.
 */
export function prepareCall(request: AttentionRequest, backendVariants: readonly VariantId[], backend: string): KernelCall {
  const input = request.input;
  checkInput(input);
  const spec = resolveVariant(request.variant);
  if (!backendVariants.includes(spec.id)) {
    throw new Error(`the ${backend} backend does not implement variant ${spec.id}; use --backend js, or one of: ${backendVariants.join(', ')}`);
  }
  const { qHeads, tq, tk, headDimV } = input;
  const heads = request.captureHeads ?? [];
  for (const h of heads) {
    if (!Number.isInteger(h) || h < 0 || h >= qHeads) throw new Error(`captureHeads: head ${h} is not a query head (0..${qHeads - 1})`);
  }
  if (new Set(heads).size !== heads.length) throw new Error(`captureHeads lists a head twice: ${heads.join(', ')}`);
  let captureIndex: Int32Array | null = null;
  if (heads.length) {
    captureIndex = new Int32Array(qHeads).fill(-1);
    heads.forEach((h, slot) => { captureIndex![h] = slot; });
  }
  const threads = request.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new Error(`threads must be an integer in 1..256, got ${threads}`);
  const streaming = input.mask.streaming;
  return {
    q: input.q, k: input.k, v: input.v, out: overwrittenFloats(qHeads * tq * headDimV),
    qHeads, kvHeads: input.kvHeads, tq, tk, headDim: input.headDim, headDimV,
    scale: input.scale, softcap: input.softcap ?? 0, causal: input.mask.causal,
    bias: input.mask.bias ?? null, biasHeads: input.mask.bias ? input.mask.biasHeads ?? 1 : 1,
    streamSinks: streaming ? streaming.sinks : 0, streamWindow: streaming ? streaming.window : -1,
    variant: variantCode(spec.id), params: variantParams(spec, qHeads),
    instrument: request.instrument ?? true, threads, timeline: request.timeline ?? false,
    invalidRows: new Uint8Array(qHeads * tq),
    captureIndex, capture: heads.length ? new Float32Array(heads.length * tq * tk) : null,
    keySum: new Float32Array(qHeads * tk), keyCount: new Float32Array(qHeads * tk), entropy: new Float32Array(qHeads),
  };
}

/**
 * A report's raw timeline as KernelTimeline: `toNow` maps the backend's clock onto performance.now()
 * (identity for wasm). Item i is head floor(i / blocks), rows of block i % blocks, as attn_items() orders them.
 */
export function kernelTimeline(raw: Float64Array, call: KernelCall, toNow: (ms: number) => number = (ms) => ms): KernelTimeline {
  const rowBlock = raw[2];
  const blocks = rowBlock > 0 ? Math.ceil(call.tq / rowBlock) : 0;
  const items: KernelItem[] = [];
  for (let i = 0, at = 4; at + 2 < raw.length; i++, at += 3) {
    const b = i % blocks;
    items.push({
      worker: raw[at], head: Math.floor(i / blocks), rows: [b * rowBlock, Math.min(call.tq, (b + 1) * rowBlock)],
      start: toNow(raw[at + 1]), end: toNow(raw[at + 2]),
    });
  }
  return { start: toNow(raw[0]), end: toNow(raw[1]), threads: raw[3], rowBlock, items };
}

/** Turns a finished call into the contract's result; `toNow` maps the report's timeline clock onto performance.now(). */
export function finishCall(call: KernelCall, report: KernelReport, request: AttentionRequest, toNow?: (ms: number) => number): AttentionResult {
  const invalidRows: number[] = [];
  for (let r = 0; r < call.invalidRows.length; r++) if (call.invalidRows[r]) invalidRows.push(r);
  const heads = request.captureHeads ?? [];
  const plane = call.tq * call.tk;
  return {
    output: call.out,
    maps: heads.map((head, slot) => ({ head, weights: call.capture!.subarray(slot * plane, (slot + 1) * plane) })),
    stats: {
      keyAttentionSum: call.keySum, keyQueryCount: call.keyCount, entropy: call.entropy, invalidRows,
      recomputedRows: report.recomputedRows, nrResidual: report.nrResidual, approxError: report.approxError,
      wallMs: report.wallMs, proxy: usesProxy(resolveVariant(request.variant)),
      ...(call.timeline && report.timeline ? { timeline: kernelTimeline(report.timeline, call, toNow) } : {}),
    },
  };
}
