/**
 * Dyadic requantisation (spec §2.2) on every backend behind one call: a scale ratio S_in/S_out as
 * M / 2^k and round(z · M / 2^k) with the chosen tie rule. js is the TypeScript reference
 * (runtime/analysis/quant/dyadic.ts), native and wasm the I-ViT core's own two C steps (c/ivit.h
 * ivit_dyadic, ivit_requantize; the addon's `dyadic` and the module's attn_wasm_dyadic). The three
 * give the same integers (parity tests).
 */
import { dyadicFromRatio, requantize } from '../analysis/quant/dyadic';
import type { HalfRounding } from '../analysis/quant/rounding';
import { loadOnce } from './loadOnce';
import { loadNativeAddon } from './native/backend';
import type { BackendId } from './types';
import { loadWasmIvit } from './wasm/ivit';

export interface DyadicRequant {
  /** 31-bit multiplier in [2^30, 2^31). */
  m: number;
  /** Right shift (≥ 1 here). */
  k: number;
  /** round(z · m / 2^k), ties by the rounding asked for (exact while |q| ≤ 2^53, else the nearest double on every backend). */
  q: number;
}

export interface DyadicKernel {
  readonly backend: BackendId;
  requantize(ratio: number, z: number, rounding: HalfRounding): DyadicRequant;
}

type Entry = (ratio: number, z: number, halfUp: boolean) => [number, number, number];

/** The checks every backend shares; a one-line error for a bad request. */
function checked(ratio: number, z: number, rounding: HalfRounding): void {
  if (!(ratio > 0) || !Number.isFinite(ratio)) throw new Error(`dyadic: scale ratio ${ratio} must be a positive finite number; check both scales`);
  if (!Number.isInteger(z) || Math.abs(z) > 2 ** 31 - 1) throw new Error(`dyadic: z = ${z} must be an integer with |z| <= 2^31 - 1 (an int32 accumulator)`);
  if (rounding !== 'half-even' && rounding !== 'half-up') throw new Error(`dyadic: rounding ${String(rounding)} must be half-even or half-up`);
}

/** The kernels need a right shift: k ≥ 1, i.e. a ratio below about 2^30 (k ≤ 0 saturates in C). */
function withShift(ratio: number, r: DyadicRequant): DyadicRequant {
  if (r.k < 1) throw new Error(`dyadic: scale ratio ${ratio} is >= 2^30 (shift k = ${r.k}); requantisation needs a right shift, check both scales`);
  return r;
}

const jsKernel: DyadicKernel = {
  backend: 'js',
  requantize(ratio, z, rounding) {
    checked(ratio, z, rounding);
    const d = dyadicFromRatio(ratio);
    withShift(ratio, { ...d, q: 0 });
    return { m: d.m, k: d.k, q: requantize(z, d, rounding) };
  },
};

function over(backend: BackendId, entry: Entry): DyadicKernel {
  return {
    backend,
    requantize(ratio, z, rounding) {
      checked(ratio, z, rounding);
      const [m, k, q] = entry(ratio, z, rounding === 'half-up');
      return withShift(ratio, { m, k, q });
    },
  };
}

const kernels = loadOnce<BackendId, DyadicKernel>();

/** The dyadic requantisation of a backend (compiled ones loaded once); a one-line error when it cannot load. */
export function dyadicKernel(backend: BackendId): Promise<DyadicKernel> {
  if (backend === 'js') return Promise.resolve(jsKernel);
  return kernels(backend, async (): Promise<DyadicKernel> => {
    if (backend === 'wasm') {
      const wasm = await loadWasmIvit();
      return over('wasm', (ratio, z, halfUp) => wasm.dyadic(ratio, z, halfUp));
    }
    if (backend !== 'native') throw new Error(`dyadic: unknown backend ${String(backend)}; choose js, native or wasm`);
    const addon = loadNativeAddon() as ReturnType<typeof loadNativeAddon> & { dyadic?: Entry };
    const entry = addon.dyadic;
    if (typeof entry !== 'function') throw new Error('the native addon has no dyadic entry (built before it existed); rebuild it with npm install');
    return over('native', (ratio, z, halfUp) => entry(ratio, z, halfUp));
  });
}
