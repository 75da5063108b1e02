import type { AttentionInput } from '../types';
import { logitAt } from './visibility';

/** Parameters of unified-max for one layer, with the statistics they were taken from. */
export interface UnifiedMaxCalibration {
  /** The unified max φ = a, the low end of the range (FlashDecoding++ §3: then x − φ ∈ (0, b − a)). */
  phi: number;
  /** Guard window on x − φ (strict), float32-safe: see `calibrateUnifiedMax`. */
  ag: number;
  bg: number;
  /** The range [a, b] holding `coverage` of the visible logits (equal tails cut on each side). */
  low: number;
  high: number;
  /** Visible, finite logits seen. */
  count: number;
  /** Whether the range fits the guard (b − a < bg): if not, most rows will be recomputed (as OPT). */
  fits: boolean;
}

/** e^x stays a normal float32 for x in (−87.3, 88.7) (spec §4.1, numerics). */
const EXP_LOW = -87.3;
const EXP_HIGH = 88.7;

/**
 * Calibrates unified-max for one layer from the attention inputs of typical prompts (its cores):
 * the visible logits' range [a, b] that holds `coverage` of them (FlashDecoding++ reports > 99.99%
 * of Llama2-7B's inside [−16.8, 6.5]), φ = a, and a guard window that keeps every row's sum finite
 * in float32: ag = −87.3 (below it e^{x−φ} underflows) and bg = 88.7 − ln(max tk) (so the sum of
 * up to tk terms below e^{bg} stays below e^{88.7}). Rows that leave (ag, bg) are recomputed.
 * Throws when the inputs hold no visible finite logit.
 */
export function calibrateUnifiedMax(inputs: AttentionInput[], coverage = 0.9999): UnifiedMaxCalibration {
  if (!(coverage > 0 && coverage <= 1)) throw new Error(`unified-max calibration: coverage must be in (0, 1], got ${coverage}`);
  const logits: number[] = [];
  let maxKeys = 1;
  for (const input of inputs) {
    maxKeys = Math.max(maxKeys, input.tk);
    for (let h = 0; h < input.qHeads; h++) {
      for (let i = 0; i < input.tq; i++) {
        for (let j = 0; j < input.tk; j++) {
          const s = logitAt(input, h, i, j);
          if (Number.isFinite(s)) logits.push(s);
        }
      }
    }
  }
  if (!logits.length) throw new Error('unified-max calibration: the inputs hold no visible finite logit; calibrate on real prompts');
  logits.sort((x, y) => x - y);
  const tail = Math.floor((logits.length * (1 - coverage)) / 2);
  const low = logits[tail];
  const high = logits[logits.length - 1 - tail];
  const bg = EXP_HIGH - Math.log(maxKeys);
  return { phi: low, ag: EXP_LOW, bg, low, high, count: logits.length, fits: high - low < bg };
}
