/**
 * The I-LayerNorm error on the residual stream (spec §2.1, §2.5): at each layer boundary the hidden
 * state the engine recorded (the input of that layer's LayerNorm in a pre-LN transformer) is
 * quantised to 16 bits symmetric per tensor, as the QAT model keeps its residual activations, run
 * through I-LayerNorm with γ = 1, β = 0 on a chosen backend, and compared with the float LayerNorm of
 * the same fp32 rows (no ε, γ = 1, β = 0: both map a row to zero mean and unit variance). The error
 * is what the integer LayerNorm adds on that stream: 16-bit input quantisation (coarse for ordinary
 * tokens when a massive activation sets the per-tensor scale) plus the integer mean, root and shift.
 */
import type { HiddenState } from '../trace';
import type { ILayerNormKernel } from '../../kernels/ilayernorm';
import { quantizeSymmetric, symmetricScale } from './symmetric';

/** Residual activations are 16-bit in the QAT model (spec §2.1). */
export const RESIDUAL_BITS = 16;

export interface ILayerNormBoundaryError {
  /** Layer boundary l: the residual stream entering layer l. */
  boundary: number;
  rows: number;
  channels: number;
  /** The per-tensor 16-bit input scale S = max|h| / (2^15 − 1). */
  inputScale: number;
  /** max and mean |I-LayerNorm − float LayerNorm| over every (row, channel). */
  maxAbsDelta: number;
  meanAbsDelta: number;
}

/** The I-LayerNorm error at every recorded boundary, in boundary order. */
export async function iLayerNormDrift(hidden: HiddenState[], kernel: ILayerNormKernel): Promise<ILayerNormBoundaryError[]> {
  const out: ILayerNormBoundaryError[] = [];
  for (const h of [...hidden].sort((a, b) => a.boundary - b.boundary)) {
    const { t: rows, d: c, data } = h;
    if (data.length !== rows * c) throw new Error(`I-LayerNorm drift: boundary ${h.boundary} holds ${data.length} values, expected ${rows}·${c}`);
    const inputScale = symmetricScale(data, RESIDUAL_BITS);
    const x = new Int32Array(data.length);
    quantizeSymmetric(data, inputScale, RESIDUAL_BITS, x);
    const r = await kernel.run({ x, rows, channels: c, gamma: new Array<number>(c).fill(1), beta: new Array<number>(c).fill(0) });
    let max = 0;
    let sum = 0;
    for (let i = 0; i < rows; i++) {
      const row = data.subarray(i * c, (i + 1) * c);
      let mean = 0;
      for (let j = 0; j < c; j++) mean += row[j];
      mean /= c;
      let variance = 0;
      for (let j = 0; j < c; j++) variance += (row[j] - mean) ** 2;
      const inv = variance > 0 ? 1 / Math.sqrt(variance / c) : 0; // a constant row normalises to 0 (I-LayerNorm gives 0 too)
      for (let j = 0; j < c; j++) {
        const d = Math.abs(r.out[i * c + j] * r.scale[j] - (row[j] - mean) * inv);
        if (d > max) max = d;
        sum += d;
      }
    }
    out.push({ boundary: h.boundary, rows, channels: c, inputScale, maxAbsDelta: max, meanAbsDelta: rows * c ? sum / (rows * c) : 0 });
  }
  return out;
}
