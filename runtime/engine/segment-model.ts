import type * as ort from 'onnxruntime-node';
import type { GraphIndex } from '../model/graph';
import { onnx, type ModelProto, type ValueInfoProto } from '../model/onnx/proto';
import type { Segment } from '../model/segment';
import { onnxDataType } from './tensors';

/**
 * Encodes one segment as a self-contained ONNX model: its nodes, the initializers they read, inputs
 * typed from the tensors that feed it, and the outputs later segments and cores need.
 */
export function encodeSegment(model: ModelProto, g: GraphIndex, seg: Segment, inputTypes: (name: string) => ort.Tensor.Type): Uint8Array {
  const input: ValueInfoProto[] = seg.inputs.map((name) => ({
    name, type: { tensor_type: { elem_type: onnxDataType(inputTypes(name)) } },
  }));
  const output: ValueInfoProto[] = seg.outputs.map((name) => {
    const known = g.valueInfo.get(name);
    return known?.type ? { name, type: { tensor_type: { elem_type: known.type.tensor_type?.elem_type ?? 0 } } } : { name };
  });
  const graph = {
    name: `${g.graph.name ?? 'graph'}_segment${seg.index}`,
    node: seg.nodes.map((id) => g.node(id)),
    initializer: seg.initializers.map((name) => g.initializers.get(name)!),
    input, output,
    value_info: (g.graph.value_info ?? []).filter((v) => v.name && !seg.inputs.includes(v.name)),
  };
  const proto = onnx.ModelProto.create({
    ir_version: model.ir_version, opset_import: model.opset_import, producer_name: 'attnscope-segment',
    graph, functions: model.functions,
  });
  return onnx.ModelProto.encode(proto).finish();
}
