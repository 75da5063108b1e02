import * as ort from 'onnxruntime-node';
import { ModelError } from '../model/errors';
import type { Layout } from '../model/detect/core';
import { asFloat32 } from './tensors';

/** A tensor laid out per head, [heads, t, d], as the kernel contract wants it. */
export interface HeadTensor {
  data: Float32Array;
  heads: number;
  t: number;
  d: number;
}

/**
 * Lays a core input out per head. 'bhtd'/'bhdt': leading dims are heads (batch 1), the last two are
 * [T, d] or [d, T]; 'packed' [B, T, H·d] with H given.
 */
export function toHeads(t: ort.Tensor, layout: Layout, what: string, packedHeads?: number): HeadTensor {
  const dims = t.dims.map(Number);
  const src = asFloat32(t, what);
  const r = dims.length;
  // Fused ops also take K/V already split per head, [B, H, L, d] (MultiHeadAttention with 4-D key).
  if (layout === 'packed' && r === 4) return toHeads(t, 'bhtd', what);
  if (layout === 'packed') {
    if (r !== 3 || dims[0] !== 1) throw new ModelError('unsupported-core', `${what} has shape [${dims}]; expected [1, T, heads·d] (batch 1)`);
    const heads = packedHeads ?? 0;
    if (!heads || dims[2] % heads) throw new ModelError('unsupported-core', `${what} width ${dims[2]} is not a multiple of ${heads} heads`);
    const T = dims[1];
    const d = dims[2] / heads;
    const data = new Float32Array(src.length);
    for (let i = 0; i < T; i++) for (let h = 0; h < heads; h++) {
      data.set(src.subarray(i * dims[2] + h * d, i * dims[2] + (h + 1) * d), (h * T + i) * d);
    }
    return { data, heads, t: T, d };
  }
  if (r < 3) throw new ModelError('unsupported-core', `${what} has shape [${dims}]; expected [batch, heads, T, d]`);
  if (r === 4 && dims[0] !== 1) throw new ModelError('unsupported-core', `${what} has batch ${dims[0]}; the engine runs one prompt (batch 1)`);
  const heads = dims.slice(0, r - 2).reduce((a, b) => a * b, 1);
  // A view into a larger buffer (ONNX Runtime may return a run's outputs in one allocation) is copied,
  // so keeping this core's Q, K, V for recomputation does not keep the rest of that buffer alive.
  if (layout === 'bhtd') return { data: src.byteLength < src.buffer.byteLength ? src.slice() : src, heads, t: dims[r - 2], d: dims[r - 1] };
  const d = dims[r - 2];
  const T = dims[r - 1];
  const data = new Float32Array(src.length);
  for (let h = 0; h < heads; h++) {
    const o = h * d * T;
    for (let c = 0; c < d; c++) for (let j = 0; j < T; j++) data[o + j * d + c] = src[o + c * T + j];
  }
  return { data, heads, t: T, d };
}

/** The kernel output [heads, T, dv] laid out as the graph expects its core output. */
export function fromHeads(out: Float32Array, heads: number, T: number, dv: number, layout: Layout, qDims: readonly number[]): ort.Tensor {
  if (layout === 'packed') {
    const data = new Float32Array(out.length);
    for (let h = 0; h < heads; h++) for (let i = 0; i < T; i++) {
      data.set(out.subarray((h * T + i) * dv, (h * T + i + 1) * dv), i * heads * dv + h * dv);
    }
    return new ort.Tensor('float32', data, [1, T, heads * dv]);
  }
  return new ort.Tensor('float32', out, [...qDims.slice(0, qDims.length - 2).map(Number), T, dv]);
}
