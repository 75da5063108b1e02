import * as ort from 'onnxruntime-node';
import { ModelError } from '../model/errors';
import { DataType, type TensorProto } from '../model/onnx/proto';
import { tensorDims, tensorValues } from '../model/onnx/tensor';

/** ONNX Runtime tensor type names by ONNX data type. */
const ORT_TYPES: Record<number, ort.Tensor.Type> = {
  [DataType.FLOAT]: 'float32', [DataType.DOUBLE]: 'float64', [DataType.FLOAT16]: 'float16',
  [DataType.INT64]: 'int64', [DataType.INT32]: 'int32', [DataType.INT16]: 'int16', [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8', [DataType.UINT16]: 'uint16', [DataType.UINT32]: 'uint32', [DataType.UINT64]: 'uint64',
  [DataType.BOOL]: 'bool', [DataType.STRING]: 'string',
};

export function ortType(dataType: number): ort.Tensor.Type {
  const t = ORT_TYPES[dataType];
  if (!t) throw new ModelError('bad-input', `ONNX data type ${DataType[dataType] ?? dataType} is not supported by the engine`);
  return t;
}

export function onnxDataType(type: ort.Tensor.Type): number {
  for (const [k, v] of Object.entries(ORT_TYPES)) if (v === type) return Number(k);
  throw new ModelError('bad-input', `tensor type ${type} has no ONNX data type`);
}

/** Builds a tensor of the given ONNX data type from numbers. */
export function makeTensor(dataType: number, values: number[], dims: number[]): ort.Tensor {
  const type = ortType(dataType);
  switch (type) {
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from(values.map((v) => BigInt(Math.trunc(v)))), dims);
    case 'int32': return new ort.Tensor('int32', Int32Array.from(values), dims);
    case 'float32': return new ort.Tensor('float32', Float32Array.from(values), dims);
    case 'float64': return new ort.Tensor('float64', Float64Array.from(values), dims);
    case 'bool': return new ort.Tensor('bool', Uint8Array.from(values.map((v) => (v ? 1 : 0))), dims);
    case 'uint8': return new ort.Tensor('uint8', Uint8Array.from(values), dims);
    case 'int8': return new ort.Tensor('int8', Int8Array.from(values), dims);
    default: throw new ModelError('bad-input', `cannot build a ${type} tensor`);
  }
}

/** An initializer as an ONNX Runtime tensor (for core inputs that are constants, e.g. a scale). */
export function initializerTensor(t: TensorProto): ort.Tensor {
  return makeTensor(t.data_type ?? DataType.FLOAT, tensorValues(t), tensorDims(t));
}

/** Tensor values as float32 (float16 and integer types converted). */
export function asFloat32(t: ort.Tensor, what: string): Float32Array {
  const d = t.data;
  if (d instanceof Float32Array) return d;
  if (d instanceof Float64Array || d instanceof Int32Array || d instanceof Int8Array || d instanceof Uint8Array) return Float32Array.from(d);
  if (d instanceof BigInt64Array) return Float32Array.from(d, (x) => Number(x));
  throw new ModelError('unsupported-core', `${what} is ${t.type}; the engine reads attention inputs as float32 (export the model in fp32)`);
}

/** Values of a tensor as numbers (small tensors: masks, scales). */
export function asNumbers(t: ort.Tensor): ArrayLike<number> {
  const d = t.data;
  if (d instanceof BigInt64Array) return Float64Array.from(d, (x) => Number(x));
  if (typeof d[0] === 'string') throw new ModelError('bad-input', 'string tensor where numbers were expected');
  return d as ArrayLike<number>;
}
