/**
 * Resolves the backend setting ('auto' or a backend id) against the kernels the running runtime
 * reports, so the extension never asks for a kernel that is not there.
 */
import type { BackendId, VariantId } from '../../runtime/kernels/types';
import type { RuntimeInfo } from '../../runtime/protocol/runtime';
import type { BackendChoice } from '../settings';

/** Fastest first: what 'auto' tries. */
export const BACKEND_PREFERENCE: readonly BackendId[] = ['native', 'wasm', 'js'];

/** The backends that implement `variant` in this runtime, fastest first. */
export function backendsFor(variant: VariantId, kernels: RuntimeInfo['kernels']): BackendId[] {
  return BACKEND_PREFERENCE.filter((b) => kernels.some((k) => k.backend === b && k.variants.includes(variant)));
}

/** The backend to use, or throws a one-line error that says what is missing and what to pick. */
export function resolveBackend(choice: BackendChoice, variant: VariantId, kernels: RuntimeInfo['kernels']): BackendId {
  const have = backendsFor(variant, kernels);
  if (choice === 'auto') {
    if (have.length) return have[0];
    throw new Error(`No backend in this runtime computes the ${variant} variant; choose another variant (AttnScope: Set Variant…).`);
  }
  if (have.includes(choice)) return choice;
  const alt = have.length ? `it is available on: ${have.join(', ')} (AttnScope: Set Backend…)` : 'no backend here has it (AttnScope: Set Variant…)';
  throw new Error(`The ${choice} backend does not compute the ${variant} variant in this runtime; ${alt}.`);
}
