/**
 * The I-ViT integer-only attention core (spec §2) on the compiled kernels (c/ivit.h): one call on
 * the native addon or the wasm module. The TypeScript reference is
 * runtime/analysis/quant/ivitAttention.ts; both give the same integers (parity tests).
 */
import { finishCall, prepareCall, type KernelCall, type KernelReport } from './abi';
import { loadNativeAddon } from './native/backend';
import type { AttentionInput } from './types';
import { ivitParams, resolveIvit, type IvitConfig, type IvitResult } from './ivitConfig';
import { loadWasmIvit } from './wasm/ivit';

/** A compiled backend's ivit entry: fills the call's outputs, returns the report and the scales. */
export type IvitEntry = (call: KernelCall) => Promise<KernelReport & { scales: Float64Array }>;

/** The I-ViT core on one compiled backend. */
export interface IvitKernel {
  readonly backend: 'native' | 'wasm';
  run(input: AttentionInput, options: Partial<IvitConfig>, captureHeads: number[], threads?: number): Promise<IvitResult>;
}

export function ivitKernelOver(backend: 'native' | 'wasm', entry: IvitEntry): IvitKernel {
  return {
    backend,
    async run(input, options, captureHeads, threads) {
      const config = resolveIvit(options);
      const request = { input, variant: { id: 'softmax' as const, params: {} }, captureHeads, threads: backend === 'wasm' ? 1 : threads };
      const call = { ...prepareCall(request, ['softmax'], backend), params: ivitParams(config) };
      const report = await entry(call);
      const { qHeads, kvHeads } = input;
      const s = Array.from(report.scales);
      return {
        ...finishCall(call, report, request),
        scales: {
          q: s.slice(0, qHeads), k: s.slice(qHeads, qHeads + kvHeads), v: s.slice(qHeads + kvHeads, qHeads + 2 * kvHeads),
          logit: s.slice(qHeads + 2 * kvHeads, 2 * qHeads + 2 * kvHeads), weight: 2 ** -(config.outBits - 1),
        },
      };
    },
  };
}

const kernels = new Map<'native' | 'wasm', Promise<IvitKernel>>();

/** The I-ViT kernel of a compiled backend (loaded once); a one-line error when it cannot load. */
export function ivitKernel(backend: 'native' | 'wasm'): Promise<IvitKernel> {
  let made = kernels.get(backend);
  if (!made) {
    made = (async () => {
      if (backend === 'wasm') {
        const wasm = await loadWasmIvit();
        return ivitKernelOver('wasm', async (call) => wasm.run(call));
      }
      const addon = loadNativeAddon() as ReturnType<typeof loadNativeAddon> & { ivit?: IvitEntry };
      if (typeof addon.ivit !== 'function') throw new Error('the native addon has no ivit kernel (built before it existed); rebuild it with npm install');
      return ivitKernelOver('native', (call) => addon.ivit!(call));
    })();
    kernels.set(backend, made);
    made.catch(() => kernels.delete(backend));
  }
  return made;
}
