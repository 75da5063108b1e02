import type * as ort from 'onnxruntime-node';
import type { SegmentedModel } from '../engine/runner';
import type { BackendId } from '../kernels/types';
import { defaultIds } from './model-facts';

/** The contract: the segmented run reproduces the unmodified ONNX Runtime run to this max abs difference. */
export const CHECK_TOLERANCE = 1e-4;

export interface CheckReport {
  model: string;
  cores: number;
  tokens: number;
  backend: BackendId;
  maxAbsDiff: number;
  tolerance: number;
  pass: boolean;
  outputs: { name: string; maxAbsDiff: number }[];
}

/** Runs the model unmodified and segmented (each core with its own normalizer) and compares all outputs. */
export async function runCheck(model: SegmentedModel, modelPath: string, ids: number[] | null, backend: BackendId): Promise<CheckReport> {
  const prompt = ids ?? defaultIds(model);
  const reference = await model.runReference(prompt);
  const segmented = await model.run(prompt, { backend, keepInputs: false });
  const outputs = Object.keys(reference).map((name) => ({ name, maxAbsDiff: maxAbsDiff(reference[name], segmented.outputs[name]) }));
  const worst = outputs.reduce((m, o) => Math.max(m, o.maxAbsDiff), 0);
  return {
    model: modelPath, cores: model.cores.length, tokens: prompt.length, backend,
    maxAbsDiff: worst, tolerance: CHECK_TOLERANCE, pass: worst <= CHECK_TOLERANCE, outputs,
  };
}

/** Max |a − b| over two tensors of one shape (Infinity when shapes differ or a value is NaN). */
export function maxAbsDiff(a: ort.Tensor, b: ort.Tensor | undefined): number {
  if (!b || a.dims.join() !== b.dims.join() || a.type !== b.type) return Infinity;
  const x = a.data;
  const y = b.data;
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(Number(x[i]) - Number(y[i]));
    if (Number.isNaN(d)) return Infinity;
    if (d > m) m = d;
  }
  return m;
}
