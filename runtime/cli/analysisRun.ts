import { existsSync } from 'node:fs';
import type * as ort from 'onnxruntime-node';
import { SegmentedModel, type RunOptions } from '../engine/runner';
import { coreInputs } from '../model/segment';
import type { HiddenState, PromptTrace } from '../analysis/trace';
import type { LogitRows } from '../analysis/drift/outputDrift';
import type { Prompt } from './analysisPrompt';

/** Opens a model for an analysis command, with a clear error when the path is wrong. */
export function openModel(path: string, threads?: number): SegmentedModel {
  if (!existsSync(path)) throw new Error(`model ${path} does not exist; pass --model PATH of an ONNX transformer`);
  return SegmentedModel.open(path, { threads });
}

/** Runs one prompt through the segmented model and keeps what the analyses read. */
export async function tracePrompt(model: SegmentedModel, prompt: Prompt, label: string, options: RunOptions): Promise<PromptTrace> {
  const t = prompt.ids.length;
  const hidden: HiddenState[] = [];
  const skip = new Set<string>([...model.cores.flatMap(coreInputs), ...model.graph.outputs.map((o) => o.name ?? '')]);
  const onSegmentOutputs = (segment: number, outputs: Record<string, ort.Tensor>): void => {
    const h = residualStream(outputs, t, skip);
    if (h) hidden.push({ boundary: segment, t, d: Number(h.dims[2]), data: h.data as Float32Array });
  };
  const run = await model.run(prompt.ids, { ...options, keepInputs: true, onSegmentOutputs });
  return { label, ids: prompt.ids, tokens: prompt.tokens, cores: run.cores, hidden, logits: logitsOf(run.outputs, t, model.name) };
}

/**
 * The residual stream among a segment's outputs: the widest [1, T, D] float tensor that is neither
 * an attention core's input nor a model output (the hidden state handed to the next segment).
 */
export function residualStream(outputs: Record<string, ort.Tensor>, t: number, skip: Set<string>): ort.Tensor | null {
  let best: ort.Tensor | null = null;
  for (const [name, x] of Object.entries(outputs)) {
    if (skip.has(name) || x.type !== 'float32' || x.dims.length !== 3 || Number(x.dims[0]) !== 1 || Number(x.dims[1]) !== t) continue;
    if (!best || Number(x.dims[2]) > Number(best.dims[2])) best = x;
  }
  return best;
}

/** The next-token logits [T, vocab] among a causal LM's outputs: `logits` by name, else the first [1, T, V] float output. */
export function logitsOf(outputs: Record<string, ort.Tensor>, t: number, modelName: string): LogitRows {
  const entries = Object.entries(outputs);
  const fits = ([, x]: [string, ort.Tensor]): boolean => x.type === 'float32' && x.dims.length === 3 && Number(x.dims[0]) === 1 && Number(x.dims[1]) === t;
  const hit = entries.find((e) => e[0] === 'logits' && fits(e)) ?? entries.find(fits);
  if (!hit) throw new Error(`${modelName} has no [1, ${t}, vocab] float output (outputs: ${entries.map(([n, x]) => `${n} [${x.dims.join(', ')}]`).join('; ')}); this analysis needs a causal LM's next-token logits`);
  const tensor = hit[1];
  return { t, vocab: Number(tensor.dims[2]), logits: tensor.data as Float32Array };
}
