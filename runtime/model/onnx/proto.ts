/**
 * The ONNX protobuf types and codec, generated from upstream onnx.proto by scripts/gen-onnx-proto.mjs
 * (run by `npm install`). Re-exported here so the rest of the engine never imports generated paths.
 */
import { onnx } from './generated/onnx';

export { onnx };
export type ModelProto = onnx.ModelProto;
export type GraphProto = onnx.GraphProto.$Properties;
export type NodeProto = onnx.NodeProto.$Properties;
export type TensorProto = onnx.TensorProto.$Properties;
export type ValueInfoProto = onnx.ValueInfoProto.$Properties;
export type AttributeProto = onnx.AttributeProto.$Properties;

/** TensorProto.DataType values the engine reads. */
export const DataType = onnx.TensorProto.DataType;
