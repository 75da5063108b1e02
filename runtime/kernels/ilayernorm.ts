/**
 * I-ViT's integer LayerNorm (spec §2.5) over rows of int32 activations on every backend behind one
 * interface: js (the TypeScript reference, runtime/analysis/quant/iLayerNorm.ts), native (the addon's
 * iLayerNorm, c/ilayernorm.c) and wasm (the same C in the module). The offline constants (bias_int,
 * output scales) are made once here from γ and β, so every backend adds the same integers; the
 * outputs are the same integers on all three (parity tests).
 */
import { iLayerNormConstants, iLayerNormInts } from '../analysis/quant/iLayerNorm';
import { loadOnce } from './loadOnce';
import { loadNativeAddon } from './native/backend';
import type { BackendId } from './types';
import { loadWasmILayerNorm, type ILayerNormCall } from './wasm/ilayernorm';

/** rows × channels int32 activations (row-major) with float γ, β per channel. */
export interface ILayerNormRequest {
  x: Int32Array;
  rows: number;
  channels: number;
  gamma: ArrayLike<number>;
  beta: ArrayLike<number>;
}

export interface ILayerNormRows {
  /** Integer outputs (exact, |O| < 2^53): the real value of out[r·C + c] is out · scale[c]. */
  out: Float64Array;
  /** γ_c·√C/2^30 per channel. */
  scale: Float64Array;
  /** Per row: the integer mean, Σ(I − mean)² and the Newton square root of it. */
  mean: Int32Array;
  variance: Float64Array;
  std: Int32Array;
}

export interface ILayerNormKernel {
  readonly backend: BackendId;
  run(request: ILayerNormRequest): Promise<ILayerNormRows>;
}

/** The call's arrays, shapes checked, constants made; a one-line error for a bad request. */
function prepare(r: ILayerNormRequest): ILayerNormCall & { scale: Float64Array } {
  const { rows, channels } = r;
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(channels) || channels < 1 || channels > 2 ** 30) throw new Error(`I-LayerNorm: rows ${rows} and channels ${channels} must be integers, rows >= 0, channels >= 1`);
  if (!(r.x instanceof Int32Array) || r.x.length !== rows * channels) throw new Error(`I-LayerNorm: x must be an Int32Array of rows·channels = ${rows * channels} values`);
  if (r.gamma.length !== channels || r.beta.length !== channels) throw new Error(`I-LayerNorm: ${channels} channels but ${r.gamma.length} γ and ${r.beta.length} β; give one of each per channel`);
  const { bias, scale } = iLayerNormConstants(r.gamma, r.beta);
  return { x: r.x, rows, channels, bias, scale, out: new Float64Array(rows * channels), mean: new Int32Array(rows), variance: new Float64Array(rows), std: new Int32Array(rows) };
}

function result(call: ILayerNormCall & { scale: Float64Array }): ILayerNormRows {
  return { out: call.out, scale: call.scale, mean: call.mean, variance: call.variance, std: call.std };
}

const jsKernel: ILayerNormKernel = {
  backend: 'js',
  async run(request) {
    const call = prepare(request);
    const { channels: c } = call;
    for (let i = 0; i < call.rows; i++) {
      const r = iLayerNormInts(call.x.subarray(i * c, (i + 1) * c), call.bias, call.scale);
      call.out.set(r.out, i * c);
      call.mean[i] = r.mean;
      call.variance[i] = r.variance;
      call.std[i] = r.std;
    }
    return result(call);
  },
};

type NativeILayerNorm = (call: ILayerNormCall) => void;

const kernels = loadOnce<BackendId, ILayerNormKernel>();

/** The I-LayerNorm kernel of a backend (compiled ones loaded once); a one-line error when it cannot load. */
export function iLayerNormKernel(backend: BackendId): Promise<ILayerNormKernel> {
  if (backend === 'js') return Promise.resolve(jsKernel);
  return kernels(backend, async (): Promise<ILayerNormKernel> => {
    if (backend === 'wasm') {
      const wasm = await loadWasmILayerNorm();
      return { backend, run: async (request) => { const call = prepare(request); wasm.run(call); return result(call); } };
    }
    if (backend !== 'native') throw new Error(`I-LayerNorm: unknown backend ${String(backend)}; choose js, native or wasm`);
    const addon = loadNativeAddon() as ReturnType<typeof loadNativeAddon> & { iLayerNorm?: NativeILayerNorm };
    const entry = addon.iLayerNorm;
    if (typeof entry !== 'function') throw new Error('the native addon has no iLayerNorm kernel (built before it existed); rebuild it with npm install');
    return { backend, run: async (request) => { const call = prepare(request); entry(call); return result(call); } };
  });
}
