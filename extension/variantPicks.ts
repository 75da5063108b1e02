/** Quick-pick rows for the variants, from the variant registry (one line each, with parameters). */
import { VARIANTS, type VariantParam } from '../runtime/kernels/variants';
import { VARIANT_IDS, type VariantId } from '../runtime/kernels/types';

export interface VariantPick {
  id: VariantId;
  label: string;
  /** Parameters with their defaults, e.g. `b=auto`. */
  description: string;
  /** The registry's one-line description. */
  detail: string;
}

function paramText(p: VariantParam): string {
  return `${p.name}=${p.default}`;
}

export function variantPicks(current: VariantId): VariantPick[] {
  return VARIANT_IDS.map((id) => {
    const info = VARIANTS[id];
    const params = info.params.map(paramText).join(', ');
    return {
      id,
      label: id === current ? `$(check) ${id}` : id,
      description: params ? `params: ${params}` : 'no params',
      detail: info.description,
    };
  });
}
