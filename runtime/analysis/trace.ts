import type { AttentionInput, AttentionResult, AttentionStats } from '../kernels/types';
import type { LogitRows } from './drift/outputDrift';

/**
 * What one run of one prompt leaves for the analyses: filled from the engine's segmented run, so
 * the analyses never depend on how the model was loaded or executed.
 */
export interface CoreTrace {
  /** Layer index of the attention core. */
  layer: number;
  /** The core exactly as the kernel computed it (Q, K, V, mask, scale). */
  input: AttentionInput;
  /** The kernel's own instrumentation of that call. */
  stats: AttentionStats;
}

/** Residual-stream hidden states [t, d] at one layer boundary: boundary l is the input of layer l (0 = the embeddings). */
export interface HiddenState {
  boundary: number;
  t: number;
  d: number;
  data: Float32Array;
}

export interface PromptTrace {
  /** Label of the run: variant, backend or quantisation mode. */
  label: string;
  ids: number[];
  /** Display text of each token, where a tokenizer is known. */
  tokens?: string[];
  cores: CoreTrace[];
  hidden?: HiddenState[];
  logits: LogitRows;
}

/** Computes one core with all-head maps captured: a variant's reference, the I-ViT path, … */
export type CoreComputer = (input: AttentionInput, captureHeads: number[]) => AttentionResult;

export function allHeads(input: AttentionInput): number[] {
  return Array.from({ length: input.qHeads }, (_, h) => h);
}
