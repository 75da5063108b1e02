import type * as ort from 'onnxruntime-node';
import type { SegmentedModel } from '../engine/runner';
import { tensorDims } from '../model/onnx/tensor';
import { attrInt } from '../model/graph';
import type { NodeProto } from '../model/onnx/proto';
import { ModelError } from '../model/errors';

/** Vocabulary size: rows of the table that input_ids index (the token embedding), else null. */
export function vocabSize(model: SegmentedModel): number | null {
  const g = model.graph;
  const idsInput = g.inputs.find((i) => /input_ids/.test(i.name ?? ''))?.name;
  if (!idsInput) return null;
  const seen = new Set<string>();
  const walk = (t: string, depth: number): number | null => {
    if (depth > 4 || seen.has(t)) return null;
    seen.add(t);
    for (const id of g.consumersOf(t)) {
      const n = g.node(id);
      const table = n.op_type === 'Gather' && n.input?.[1] === t ? g.initializers.get(n.input?.[0] ?? '') : undefined;
      if (table && tensorDims(table).length === 2) return tensorDims(table)[gatherAxis(n)];
      if (n.op_type === 'Cast' || n.op_type === 'Reshape' || n.op_type === 'Unsqueeze') {
        const r = walk(n.output?.[0] ?? '', depth + 1);
        if (r !== null) return r;
      }
    }
    return null;
  };
  return walk(idsInput, 0);
}

/**
 * The fixed, deterministic prompt `check` uses without --ids/--prompt: 16 ids spread over the
 * vocabulary (fewer when the model has fewer positions).
 */
export function defaultIds(model: SegmentedModel): number[] {
  const vocab = vocabSize(model) ?? 100;
  const n = Math.min(16, model.maxPositions ?? 16);
  return Array.from({ length: n }, (_, i) => (i * 7919 + 13) % vocab);
}

/** The logits output [1, T, V] of a causal LM, if the model has one. */
export function logitsOf(model: SegmentedModel, outputs: Record<string, ort.Tensor>, tokens: number): ort.Tensor | null {
  const name = model.graph.outputs.find((o) => o.name === 'logits')?.name ?? model.graph.outputs[0]?.name ?? '';
  const t = outputs[name];
  if (!t || t.type !== 'float32' || t.dims.length !== 3 || Number(t.dims[1]) !== tokens) return null;
  return t;
}

/** Rejects token ids outside the model's vocabulary with a one-line error. */
export function checkIds(model: SegmentedModel, ids: number[]): void {
  const vocab = vocabSize(model);
  const bad = vocab === null ? undefined : ids.find((id) => id >= vocab);
  if (bad !== undefined) throw new ModelError('bad-input', `token id ${bad} is outside the vocabulary of ${model.name} (${vocab} tokens); give ids below ${vocab}`);
}

/** The table axis a Gather indexes (its `axis` attribute; a negative axis counts from the end of a 2-D table). */
function gatherAxis(node: NodeProto): number {
  const axis = attrInt(node, 'axis', 0);
  return axis < 0 ? axis + 2 : axis;
}
