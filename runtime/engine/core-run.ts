import * as ort from 'onnxruntime-node';
import { ModelError } from '../model/errors';
import type { AttentionCore } from '../model/detect/core';
import type { AttentionBackend, AttentionInput, AttentionStats, VariantSpec } from '../kernels/types';
import { fromHeads, toHeads } from './layout';
import { evaluateTerms, splitCausal } from './logit-terms';
import { asFloat32 } from './tensors';
import { applyRotary, projectQkv, tokenPositions } from './position-transforms';

/** What one core computed on one prompt: its kernel input (to recompute any head) and stats. */
export interface CoreRun {
  layer: number;
  input: AttentionInput;
  stats: AttentionStats;
  /** kv heads as the model stores them (before a GQA repeat), where the graph shows it. */
  kvHeads: number;
}

/**
 * Builds the kernel input of a core from the tensors the segments computed: per-head layouts,
 * scale, bias and causality (from the attribute, or learned from the mask itself).
 */
export function coreInput(core: AttentionCore, read: (name: string) => ort.Tensor): { input: AttentionInput; kvHeads: number } {
  const where = `layer ${core.layer} (${core.name})`;
  let qT = read(core.q.name);
  let kT = read(core.k.name);
  let vT = read(core.v.name);
  if (core.projection) {
    const { weights, bias, sizes } = core.projection;
    [qT, kT, vT] = projectQkv(qT, read(weights), bias ? read(bias) : undefined, sizes, where);
  }
  if (core.qkvBias) [qT, kT, vT] = addPackedBias(read(core.qkvBias), qT, kT, vT);
  for (const past of [core.pastKey, core.pastValue]) {
    if (past && read(past).dims.length > 2 && Number(read(past).dims[2]) > 0) {
      throw new ModelError('unsupported-core', `${where}: past key/value with length ${read(past).dims[2]} is not supported; run the prompt without a cache`);
    }
  }
  const q = toHeads(qT, core.q.layout, `${where} Q`, core.qHeads);
  const k = toHeads(kT, core.k.layout, `${where} K`, core.kvHeads);
  const v = toHeads(vT, core.v.layout, `${where} V`, core.kvHeads);
  if (core.rotary) {
    const { cos, sin, positionIds, interleaved } = core.rotary;
    const positions = tokenPositions(q.t, positionIds ? read(positionIds) : undefined);
    applyRotary(q, read(cos), read(sin), positions, interleaved, where);
    applyRotary(k, read(cos), read(sin), positions, interleaved, where);
  }
  if (k.d !== q.d || k.t !== v.t || k.heads !== v.heads || q.heads % k.heads) {
    throw new ModelError('unsupported-core', `${where}: Q [${q.heads}, ${q.t}, ${q.d}], K [${k.heads}, ${k.t}, ${k.d}], V [${v.heads}, ${v.t}, ${v.d}] do not form an attention`);
  }
  const terms = logitTransform(core, read, q.heads, q.t, k.t, where);
  const causal = (core.causal ?? false) || terms.causal;
  const bias = terms.bias;
  const scale = core.scaleFromTerms ? terms.scale : (core.scale ?? 1 / Math.sqrt(q.d));
  let kvHeads = k.heads;
  if (core.kvSource) {
    const src = read(core.kvSource).dims.map(Number);
    if (src.length === 4) kvHeads = src[1];
  }
  const input: AttentionInput = {
    q: q.data, k: k.data, v: v.data, qHeads: q.heads, kvHeads: k.heads, tq: q.t, tk: k.t, headDim: q.d, headDimV: v.d,
    scale, softcap: core.softcap, mask: { causal, ...(bias ? { bias, biasHeads: terms.biasHeads } : {}) },
  };
  return { input, kvHeads };
}

type Transform = ReturnType<typeof evaluateTerms> & { causal: boolean };

/**
 * Per run (keyed by its `read`), the evaluated logit terms of each distinct term list: decoder
 * layers usually share one mask tensor (and equal scales), and turning it into a dense bias and
 * testing it for causality costs ~25 ms per core at 512 tokens. The bias is read-only from here on.
 */
const transforms = new WeakMap<(name: string) => ort.Tensor, Map<string, Transform>>();

function logitTransform(core: AttentionCore, read: (name: string) => ort.Tensor, heads: number, tq: number, tk: number, where: string): Transform {
  const key = [heads, tq, tk, ...core.terms.map((t) => {
    if (t.op === 'mul' || t.op === 'div') {
      const v = read(t.tensor).data;
      return v.length === 1 ? `${t.op}=${Number(v[0])}` : `${t.op}:${t.tensor}`;
    }
    return JSON.stringify(t);
  })].join('|');
  let memo = transforms.get(read);
  if (!memo) { memo = new Map(); transforms.set(read, memo); }
  const hit = memo.get(key);
  if (hit) return hit;
  const terms = evaluateTerms(core.terms, read, heads, tq, tk, where);
  let out: Transform = { ...terms, causal: false };
  if (terms.bias) {
    const split = splitCausal(terms.bias, terms.biasHeads, tq, tk);
    out = { ...terms, bias: split.rest, causal: split.causal };
  }
  memo.set(key, out);
  return out;
}

/** Runs one core with the backend and returns the tensors that replace its graph outputs. */
export async function runCore(core: AttentionCore, read: (name: string) => ort.Tensor, backend: AttentionBackend, variant: VariantSpec, threads?: number):
  Promise<{ outputs: Map<string, ort.Tensor>; run: CoreRun }> {
  const { input, kvHeads } = coreInput(core, read);
  if (!backend.variants.includes(variant.id)) {
    throw new ModelError('backend', `backend ${backend.id} does not implement variant ${variant.id}; it implements ${backend.variants.join(', ')}`);
  }
  const result = await backend.run({ input, variant, threads, instrument: true });
  const outputs = new Map<string, ort.Tensor>();
  outputs.set(core.output.name, fromHeads(result.output, input.qHeads, input.tq, input.headDimV, core.output.layout, read(core.q.name).dims));
  if (core.presentKey) outputs.set(core.presentKey, new ort.Tensor('float32', input.k, [1, input.kvHeads, input.tk, input.headDim]));
  if (core.presentValue) outputs.set(core.presentValue, new ort.Tensor('float32', input.v, [1, input.kvHeads, input.tk, input.headDimV]));
  if (core.presentStacked) {
    const stacked = new Float32Array(input.k.length + input.v.length);
    stacked.set(input.k);
    stacked.set(input.v, input.k.length);
    outputs.set(core.presentStacked, new ort.Tensor('float32', stacked, [2, 1, input.kvHeads, input.tk, input.headDim]));
  }
  return { outputs, run: { layer: core.layer, input, stats: result.stats, kvHeads } };
}

/** com.microsoft MultiHeadAttention's bias [3·H·d] added to packed Q, K, V. */
function addPackedBias(biasT: ort.Tensor, q: ort.Tensor, k: ort.Tensor, v: ort.Tensor): [ort.Tensor, ort.Tensor, ort.Tensor] {
  const bias = asFloat32(biasT, 'qkv bias');
  let offset = 0;
  const add = (t: ort.Tensor): ort.Tensor => {
    const width = Number(t.dims[t.dims.length - 1]);
    const src = asFloat32(t, 'packed input');
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = src[i] + bias[offset + (i % width)];
    offset += width;
    return new ort.Tensor('float32', out, t.dims);
  };
  return [add(q), add(k), add(v)];
}
