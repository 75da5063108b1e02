/** Quick-pick rows for the variants, from the variant registry (one line each, with parameters). */
import { VARIANTS, type VariantParam } from '../runtime/kernels/variants';
import { VARIANT_IDS } from '../runtime/kernels/types';
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
