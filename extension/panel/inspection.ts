/** Turns the runtime's inspect result into what the panel shows (no copies of the tensors). */
import type { ModelSummary, InspectResult } from '../../runtime/protocol/runtime';
import type { PanelInspection, PanelVariant } from '../protocol/panel';

export interface InspectionContext {
  model: ModelSummary;
  /** The variant setting as the user chose it ('native' when each core keeps its own). */
  variant: string;
  backend: string;
  variants: PanelVariant[];
  epsilon: number;
}

export function panelInspection(r: InspectResult, ctx: InspectionContext): PanelInspection {
  return {
    model: { name: ctx.model.name, layers: r.layers, heads: r.heads },
    tokens: r.tokens.map((t) => ({ id: t.id, text: t.text })),
    variant: ctx.variant,
    backend: ctx.backend,
    variants: ctx.variants,
    epsilon: ctx.epsilon,
    alpha: r.alpha,
    sinkScore: r.sinkScore,
    wallMs: r.totalMs,
    outputs: r.outputs,
  };
}
