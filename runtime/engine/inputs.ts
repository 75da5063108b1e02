import type * as ort from 'onnxruntime-node';
import { ModelError } from '../model/errors';
import type { GraphIndex } from '../model/graph';
import { DataType } from '../model/onnx/proto';
import { makeTensor } from './tensors';

/**
 * Fills every input the model declares the way users expect for one prompt of T tokens (batch 1):
 * input_ids = the ids, attention_mask = ones, position_ids / cache_position = 0..T−1,
 * token_type_ids = zeros, past key/values with sequence length 0, and GroupQueryAttention's
 * seqlens_k / total_sequence_length.
 */
export function modelFeeds(g: GraphIndex, ids: number[]): Record<string, ort.Tensor> {
  const T = ids.length;
  const feeds: Record<string, ort.Tensor> = {};
  const range = Array.from({ length: T }, (_, i) => i);
  for (const input of g.inputs) {
    const name = input.name ?? '';
    const type = input.type?.tensor_type?.elem_type ?? DataType.INT64;
    const dims = g.declaredDims(name) ?? [];
    const rankT = (values: number[]): ort.Tensor => makeTensor(type, values, dims.length === 1 ? [T] : [1, T]);
    if (/past|cache_key|cache_value|key_values|present/i.test(name) && !/position/i.test(name)) {
      feeds[name] = makeTensor(type, [], emptyCacheDims(name, dims));
    } else if (/input_ids|^ids$|^input$|^tokens$/i.test(name)) feeds[name] = rankT(ids);
    else if (/attention_mask/i.test(name)) feeds[name] = rankT(ids.map(() => 1));
    else if (/position_ids|cache_position|^positions$/i.test(name)) feeds[name] = rankT(range);
    else if (/token_type_ids|segment_ids/i.test(name)) feeds[name] = rankT(ids.map(() => 0));
    else if (/seqlens_k/i.test(name)) feeds[name] = makeTensor(type, [T - 1], [1]);
    else if (/total_sequence_length/i.test(name)) feeds[name] = makeTensor(type, [T], dims.length ? [1] : []);
    else {
      throw new ModelError('bad-input', `model input "${name}" (shape [${dims.join(', ')}]) is not one the engine knows how to fill ` +
        '(input_ids, attention_mask, position_ids, token_type_ids, cache_position, past key/values); re-export the model without it');
    }
  }
  return feeds;
}

/** Dims of an empty past key/value: batch 1, the sequence axis 0, fixed dims as declared. */
function emptyCacheDims(name: string, dims: (number | string)[]): number[] {
  if (!dims.length) throw new ModelError('bad-input', `past input "${name}" declares no shape; the engine cannot build an empty cache for it`);
  let seqAxis = dims.findIndex((d, i) => i > 0 && typeof d === 'string' && /seq|past|len|cache|total/i.test(d));
  if (seqAxis < 0) seqAxis = dims.length - 2;
  return dims.map((d, i) => (i === seqAxis ? 0 : typeof d === 'number' ? d : 1));
}
