/** The wasm backend: the same C kernels compiled to WebAssembly, single-threaded. */
import { finishCall, prepareCall } from '../abi';
import type { AttentionBackend, AttentionRequest, AttentionResult, VariantId } from '../types';
import { VARIANT_IDS } from '../types';
import type { WasmIsa, WasmKernels } from './kernels';

export function wasmBackend(kernels: WasmKernels): AttentionBackend & { isa: WasmIsa } {
  const variants: VariantId[] = VARIANT_IDS.filter((_id, code) => kernels.variantCodes.includes(code));
  return {
    id: 'wasm',
    variants,
    isa: kernels.isa,
    run(request: AttentionRequest): Promise<AttentionResult> {
      try {
        const call = prepareCall({ ...request, threads: 1 }, variants, 'wasm');
        const report = kernels.run(call);
        return Promise.resolve(finishCall(call, report, request));
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
  };
}
