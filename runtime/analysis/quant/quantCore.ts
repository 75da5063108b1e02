import { softmaxReference } from '../../kernels/reference/softmax';
import type { CoreComputer } from '../trace';
import { int8FakeQuantAttention } from './int8FakeQuant';
import { ivitAttention, type IvitOptions } from './ivitAttention';

/** The quantisation modes `attnscope drift --quant` knows. */
export const QUANT_MODES = ['ivit', 'int8'] as const;
export type QuantMode = (typeof QUANT_MODES)[number];

export function parseQuantMode(text: string): QuantMode {
  if ((QUANT_MODES as readonly string[]).includes(text)) return text as QuantMode;
  throw new Error(`unknown quantisation mode "${text}"; use one of ${QUANT_MODES.join(', ')} (ivit = integer-only I-ViT attention, int8 = int8 Q/K/V with float softmax)`);
}

/** The core computer of a quantisation mode (the softmax attention it replaces is fp32). */
export function quantCore(mode: QuantMode, options: IvitOptions = {}): CoreComputer {
  if (mode === 'ivit') return (input, heads) => ivitAttention(input, { ...options, captureHeads: heads });
  return (input, heads) => int8FakeQuantAttention(input, options.granularity ?? 'tensor', heads, options.bits ?? 8);
}

/** fp32 softmax, the baseline every quantisation mode is measured against. */
export const fp32Core: CoreComputer = (input, heads) => softmaxReference(input, heads);
