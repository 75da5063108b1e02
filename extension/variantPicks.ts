/** Quick-pick rows for the variants, from the variant registry (one line each, with parameters), and the variant setting as a spec. */
import { parseVariant, VARIANTS, type VariantParam } from '../runtime/kernels/variants';
import { VARIANT_IDS, type VariantSpec } from '../runtime/kernels/types';
import { MODEL_VARIANT, type VariantChoice } from './settings';

export interface VariantPick {
  id: VariantChoice;
  label: string;
  /** Parameters with their defaults, e.g. `b=auto`. */
  description: string;
  /** The registry's one-line description. */
  detail: string;
}

function paramText(p: VariantParam): string {
  return `${p.name}=${p.default}`;
}

export function variantPicks(current: VariantChoice): VariantPick[] {
  const model: VariantPick = {
    id: MODEL_VARIANT, label: current === MODEL_VARIANT ? `$(check) ${MODEL_VARIANT}` : MODEL_VARIANT,
    description: 'each core keeps its own normalizer', detail: 'the model as trained: softmax, sigmoid, … as its graph computes them',
  };
  return [model, ...VARIANT_IDS.map((id): VariantPick => {
    const info = VARIANTS[id];
    const params = info.params.map(paramText).join(', ');
    return {
      id,
      label: id === current ? `$(check) ${id}` : id,
      description: params ? `params: ${params}` : 'no params',
      detail: info.description,
    };
  })];
}

/**
 * The variant setting and its parameters (`name=value,...`) as the spec the runtime runs, or null
 * for `model`. Throws a one-line error naming the bad parameter or value.
 */
export function variantSpec(choice: VariantChoice, params: string): VariantSpec | null {
  if (choice === MODEL_VARIANT) return null;
  try {
    return parseVariant(params.trim() ? `${choice}:${params.trim()}` : choice);
  } catch (e) {
    throw new Error(`Variant parameters: ${e instanceof Error ? e.message : String(e)}.`);
  }
}

/** How the variant reads in the panel, the status bar and reports: `sigmoid`, or `sigmoid:b=0` with parameters. */
export function variantLabel(choice: VariantChoice, params: string): string {
  return choice === MODEL_VARIANT || !params.trim() ? choice : `${choice}:${params.trim()}`;
}

/** The prompt of the parameter input box: each parameter with its default and doc. */
export function paramsPrompt(id: VariantChoice): string {
  if (id === MODEL_VARIANT) return '';
  return VARIANTS[id].params.map((p) => `${p.name} (default ${p.default}): ${p.doc}`).join(' · ');
}
