import { softmaxReference } from '../../kernels/reference/softmax';
import { ivitKernel } from '../../kernels/ivit';
import type { AttentionBackend } from '../../kernels/types';
import type { AsyncCoreComputer } from '../drift/liveHeadDrift';
import type { CoreComputer } from '../trace';
import { int8FakeQuantAttention, int8FakeQuantInput } from './int8FakeQuant';
import { ivitAttention, type IvitOptions } from './ivitAttention';

/** The quantisation modes `attnscope drift --quant` knows. */
export const QUANT_MODES = ['ivit', 'int8'] as const;
export type QuantMode = (typeof QUANT_MODES)[number];

export function parseQuantMode(text: string): QuantMode {
  if ((QUANT_MODES as readonly string[]).includes(text)) return text as QuantMode;
  throw new Error(`unknown quantisation mode "${text}"; use one of ${QUANT_MODES.join(', ')} (ivit = integer-only I-ViT attention, int8 = int8 Q/K/V with float softmax)`);
}

/** The core computer of a quantisation mode in TypeScript (the softmax attention it replaces is fp32). */
export function quantCore(mode: QuantMode, options: IvitOptions = {}): CoreComputer {
  if (mode === 'ivit') return (input, heads) => ivitAttention(input, { ...options, captureHeads: heads });
  return (input, heads) => int8FakeQuantAttention(input, options.granularity ?? 'tensor', heads, options.bits ?? 8);
}

/**
 * The core computer of a quantisation mode on a kernel backend: on native and wasm the I-ViT core
 * is the compiled integer kernel (c/ivit.c), and the int8 path runs the backend's softmax on the
 * fake-quantised Q/K/V; on js both are the TypeScript references.
 */
export function quantKernel(mode: QuantMode, options: IvitOptions, backend: AttentionBackend): AsyncCoreComputer {
  if (backend.id === 'js') {
    const core = quantCore(mode, options);
    return async (input, heads) => core(input, heads);
  }
  if (mode === 'ivit') {
    const kernel = ivitKernel(backend.id);
    return async (input, heads, threads) => (await kernel).run(input, options, heads, threads);
  }
  const softmax = { id: 'softmax' as const, params: {} };
  return (input, heads, threads) => backend.run({ input: int8FakeQuantInput(input, options.granularity ?? 'tensor', options.bits ?? 8), variant: softmax, captureHeads: heads, threads });
}

/** fp32 softmax, the baseline every quantisation mode is measured against. */
export const fp32Core: CoreComputer = (input, heads) => softmaxReference(input, heads);
