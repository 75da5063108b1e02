/**
 * The WASM kernels in the panel: the same C kernels the runtime runs, fetched from dist/ (the
 * webview's localResourceRoots) and compiled once. Recomputes the head on screen for another
 * variant from the Q, K, V the runtime sent with its map, at once, while the runtime re-runs the
 * whole model.
 */
import type { AttentionBackend } from '../runtime/kernels/types';
import { parseVariant } from '../runtime/kernels/variants';
import { wasmBackend } from '../runtime/kernels/wasm/backend';
import { fetchWasmKernels } from '../runtime/kernels/wasm/kernels';
import type { HeadInput } from '../runtime/protocol/headInput';
import { expandBias, isRelativeBias } from '../runtime/protocol/relativeBias';

let loaded: { url: string; backend: Promise<AttentionBackend> } | undefined;

/** The kernels from `url`, or its relaxed-SIMD sibling (fetched and compiled on the first call only). */
export function panelKernels(url: string): Promise<AttentionBackend> {
  if (loaded?.url !== url) {
    const backend = fetchWasmKernels(url).then(wasmBackend); // the relaxed-SIMD build where it compiles
    loaded = { url, backend };
    backend.catch(() => { if (loaded?.backend === backend) loaded = undefined; });
  }
  return loaded.backend;
}

/**
 * Head `head`'s [tq, tk] map for `variant` (`ID[:param=value,...]`), computed by `kernels` from
 * the head's input. A per-head sink logit (`logit.H`) applies to this head. Throws the registry's
 * one-line error for a bad variant string.
 */
export async function headWeights(kernels: AttentionBackend, input: HeadInput, head: number, variant: string): Promise<Float32Array> {
  const spec = parseVariant(variant);
  if (spec.id === 'sink-logit') {
    const own = spec.params[`logit.${head}`];
    spec.params = { logit: own ?? spec.params.logit ?? 0 };
  }
  const [tq, d] = input.q.shape;
  const [tk, dv] = input.v.shape;
  const r = await kernels.run({
    input: {
      q: input.q.data, k: input.k.data, v: input.v.data, qHeads: 1, kvHeads: 1, tq, tk, headDim: d, headDimV: dv,
      scale: input.scale, softcap: input.softcap,
      mask: { causal: input.causal, ...(input.bias ? { bias: isRelativeBias(input.bias) ? expandBias(input.bias, tq, tk) : input.bias.data, biasHeads: 1 } : {}) },
    },
    variant: spec, captureHeads: [0], instrument: false,
  });
  return r.maps[0].weights;
}
