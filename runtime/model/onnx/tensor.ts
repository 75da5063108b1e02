import { ModelError } from '../errors';
import { DataType, type TensorProto } from './proto';

/** Dimensions of a TensorProto as numbers. */
export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map(Number);
}

/**
 * The values of a numeric TensorProto (initializer or Constant) as plain numbers. For small tensors
 * (scales, shapes, fill values); int64 beyond 2^53 loses precision, which no such constant needs.
 */
export function tensorValues(t: TensorProto): number[] {
  const type = t.data_type ?? 0;
  const raw = t.raw_data && t.raw_data.length ? t.raw_data : null;
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const read = (size: number, get: (o: number) => number): number[] => {
      const out: number[] = [];
      for (let o = 0; o + size <= raw.byteLength; o += size) out.push(get(o));
      return out;
    };
    switch (type) {
      case DataType.FLOAT: return read(4, (o) => view.getFloat32(o, true));
      case DataType.DOUBLE: return read(8, (o) => view.getFloat64(o, true));
      case DataType.FLOAT16: return read(2, (o) => halfToFloat(view.getUint16(o, true)));
      case DataType.INT64: return read(8, (o) => Number(view.getBigInt64(o, true)));
      case DataType.INT32: return read(4, (o) => view.getInt32(o, true));
      case DataType.INT8: return read(1, (o) => view.getInt8(o));
      case DataType.UINT8: case DataType.BOOL: return read(1, (o) => view.getUint8(o));
      default: throw new ModelError('unsupported-core', `tensor ${t.name} has data type ${DataType[type] ?? type}, which the engine does not read as a constant`);
    }
  }
  switch (type) {
    case DataType.FLOAT: case DataType.COMPLEX64: return (t.float_data ?? []).map(Number);
    case DataType.DOUBLE: return (t.double_data ?? []).map(Number);
    case DataType.INT64: return (t.int64_data ?? []).map(Number);
    case DataType.FLOAT16: return (t.int32_data ?? []).map((x) => halfToFloat(Number(x)));
    default: return (t.int32_data ?? []).map(Number);
  }
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
