/** Turns the runtime's inspect result into what the panel shows (no copies of the tensors). */
import { VARIANTS } from '../../runtime/kernels/variants';
import { VARIANT_IDS } from '../../runtime/kernels/types';
import type { ModelSummary, InspectResult } from '../../runtime/protocol/runtime';
import type { PanelInspection, PanelVariant } from '../protocol/panel';
import { MODEL_VARIANT } from '../settings';

export interface InspectionContext {
  model: ModelSummary;
  /** The variant setting as the user chose it ('model' when each core keeps its own). */
  variant: string;
  /** Its parameters, `name=value,...` ('' = the defaults). */
  variantParams: string;
  backend: string;
  variants: PanelVariant[];
  epsilon: number;
  /** Per-token drift of this prompt's last quantization drift run, or null. */
  drift: PanelInspection['drift'];
}

/** The variants the panel offers: `model` and every registry variant with its description and parameters. */
export function panelVariants(): PanelVariant[] {
  return [
    { id: MODEL_VARIANT, description: 'each core keeps its own normalizer', params: [] },
    ...VARIANT_IDS.map((id) => ({ id, description: VARIANTS[id].description, params: VARIANTS[id].params.map((p) => ({ name: p.name, default: p.default, doc: p.doc })) })),
  ];
}

export function panelInspection(r: InspectResult, ctx: InspectionContext): PanelInspection {
  return {
    model: { name: ctx.model.name, layers: r.layers, heads: r.heads },
    tokens: r.tokens.map((t) => ({ id: t.id, text: t.text })),
    variant: ctx.variant,
    variantParams: ctx.variantParams,
    backend: ctx.backend,
    variants: ctx.variants,
    epsilon: ctx.epsilon,
    alpha: r.alpha,
    sinkScore: r.sinkScore,
    wallMs: r.totalMs,
    outputs: r.outputs,
    kernelStats: r.kernelStats,
    drift: ctx.drift,
  };
}
