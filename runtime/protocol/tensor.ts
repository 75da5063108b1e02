/**
 * Tensors on the wire: the typed array itself (bytes, never JSON numbers) with its shape beside
 * it. Over child_process IPC with `serialization: 'advanced'` and over webview postMessage the
 * typed array crosses as a structured clone of its bytes.
 */

export type TensorData = Float32Array | Uint8Array | Int32Array;
export type DType = 'float32' | 'uint8' | 'int32';

export interface WireTensor<T extends TensorData = TensorData> {
  shape: number[];
  data: T;
}

export function dtypeOf(data: TensorData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Uint8Array) return 'uint8';
  return 'int32';
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function tensor<T extends TensorData>(data: T, shape: number[]): WireTensor<T> {
  const n = elementCount(shape);
  if (n !== data.length) throw new RangeError(`tensor shape [${shape.join(', ')}] holds ${n} elements but the data has ${data.length}`);
  return { shape, data };
}

/**
 * Why `x` is not a tensor of `dtype` (with `rank` dimensions when given), or null when it is.
 * Used to validate every tensor that arrives from another process or the webview.
 */
export function tensorProblem(x: unknown, dtype: DType, rank?: number): string | null {
  if (typeof x !== 'object' || x === null) return 'is not a tensor object';
  const t = x as { shape?: unknown; data?: unknown };
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) return 'has no valid shape (non-negative integers)';
  if (rank !== undefined && t.shape.length !== rank) return `has rank ${t.shape.length}, expected ${rank}`;
  const ok = dtype === 'float32' ? t.data instanceof Float32Array : dtype === 'uint8' ? t.data instanceof Uint8Array : t.data instanceof Int32Array;
  if (!ok) return `data is not a ${dtype} typed array`;
  const n = elementCount(t.shape as number[]);
  if ((t.data as TensorData).length !== n) return `shape [${(t.shape as number[]).join(', ')}] needs ${n} elements, data has ${(t.data as TensorData).length}`;
  return null;
}
