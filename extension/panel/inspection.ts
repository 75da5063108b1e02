/** Turns the runtime's inspect result into what the panel shows (no copies of the tensors). */
import type { ModelSummary, InspectResult } from '../../runtime/protocol/runtime';
import type { PanelInspection, PanelToken, PanelVariant } from '../protocol/panel';

export interface InspectionContext {
  model: ModelSummary;
  /** Display text per token (the id itself where the model has no tokenizer). */
  tokens: PanelToken[];
  /** The variant setting as the user chose it ('native' when each core keeps its own). */
  variant: string;
  backend: string;
  variants: PanelVariant[];
  epsilon: number;
}

export function panelInspection(r: InspectResult, ctx: InspectionContext): PanelInspection {
  if (ctx.tokens.length !== r.ids.length) throw new Error(`the inspection has ${r.ids.length} tokens but ${ctx.tokens.length} token texts`);
  return {
    model: { name: ctx.model.name, layers: r.layers, heads: r.heads },
    tokens: ctx.tokens,
    variant: ctx.variant,
    backend: ctx.backend,
    variants: ctx.variants,
    epsilon: ctx.epsilon,
    alpha: r.alpha,
    sinkScore: r.sinkScore,
    wallMs: r.totalMs,
  };
}

/** Tokens of a prompt given as ids, for models without a tokenizer: the text is the id. */
export function idTokens(ids: number[]): PanelToken[] {
  return ids.map((id) => ({ id, text: String(id) }));
}
