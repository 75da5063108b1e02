import * as ort from 'onnxruntime-node';
import { ModelError } from '../model/errors';
import { asFloat32, asNumbers } from './tensors';
import type { HeadTensor } from './layout';

/**
 * Rotary position embedding applied in place to a per-head tensor [heads, T, d], as fused ops do it
 * (GroupQueryAttention do_rotary): pairs (x[j], x[j + r/2]) — or (x[2j], x[2j+1]) interleaved — of
 * the first r = 2·cacheWidth dims rotate by the cached angle of the token's position.
 */
export function applyRotary(x: HeadTensor, cos: ort.Tensor, sin: ort.Tensor, positions: ArrayLike<number>, interleaved: boolean, where: string): void {
  const [rows, half] = cos.dims.map(Number);
  if (sin.dims.map(Number).join() !== cos.dims.map(Number).join() || 2 * half > x.d) {
    throw new ModelError('unsupported-core', `${where}: rotary caches [${cos.dims}] / [${sin.dims}] do not fit head dim ${x.d}`);
  }
  const c = asFloat32(cos, 'cos cache');
  const s = asFloat32(sin, 'sin cache');
  for (let i = 0; i < x.t; i++) {
    const p = Number(positions[i]);
    if (p < 0 || p >= rows) throw new ModelError('prompt-too-long', `${where}: position ${p} is beyond the rotary cache of ${rows} positions; shorten the prompt`);
    for (let h = 0; h < x.heads; h++) {
      const o = (h * x.t + i) * x.d;
      for (let j = 0; j < half; j++) {
        const a = interleaved ? o + 2 * j : o + j;
        const b = interleaved ? a + 1 : o + j + half;
        const x1 = x.data[a];
        const x2 = x.data[b];
        x.data[a] = x1 * c[p * half + j] - x2 * s[p * half + j];
        x.data[b] = x2 * c[p * half + j] + x1 * s[p * half + j];
      }
    }
  }
}

/** Positions of the prompt's tokens: the position_ids tensor when the op reads one, else 0..T−1. */
export function tokenPositions(t: number, positionIds?: ort.Tensor): ArrayLike<number> {
  return positionIds ? asNumbers(positionIds) : Array.from({ length: t }, (_, i) => i);
}

/**
 * com.microsoft Attention's QKV projection: input [1, T, hidden] · weights [hidden, q+k+v] + bias,
 * split into packed Q, K, V [1, T, width]. Plain float32 loops (accumulated in float64).
 */
export function projectQkv(input: ort.Tensor, weights: ort.Tensor, bias: ort.Tensor | undefined, sizes: number[], where: string): [ort.Tensor, ort.Tensor, ort.Tensor] {
  const [b, T, hidden] = input.dims.map(Number);
  const [wIn, wOut] = weights.dims.map(Number);
  if (b !== 1 || wIn !== hidden) throw new ModelError('unsupported-core', `${where}: input [${input.dims}] and weights [${weights.dims}] do not form a QKV projection (batch 1)`);
  const widths = sizes.length === 3 ? sizes : [wOut / 3, wOut / 3, wOut / 3];
  if (widths[0] + widths[1] + widths[2] !== wOut) throw new ModelError('unsupported-core', `${where}: qkv sizes [${widths}] do not add up to ${wOut}`);
  const x = asFloat32(input, 'input');
  const w = asFloat32(weights, 'weights');
  const bv = bias ? asFloat32(bias, 'bias') : null;
  const out = widths.map((n) => new Float32Array(T * n));
  const row = new Float64Array(wOut);
  for (let i = 0; i < T; i++) {
    row.fill(0);
    for (let k = 0; k < hidden; k++) {
      const xv = x[i * hidden + k];
      const wo = k * wOut;
      for (let j = 0; j < wOut; j++) row[j] += xv * w[wo + j];
    }
    let j = 0;
    widths.forEach((n, part) => {
      for (let c = 0; c < n; c++, j++) out[part][i * n + c] = row[j] + (bv ? bv[j] : 0);
    });
  }
  return out.map((data, part) => new ort.Tensor('float32', data, [1, T, widths[part]])) as [ort.Tensor, ort.Tensor, ort.Tensor];
}
