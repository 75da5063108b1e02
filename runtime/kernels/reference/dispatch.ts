import type { AttentionInput, AttentionResult, VariantId, VariantSpec } from '../types';
import { elementwiseKernel, elu1, sigmoid } from './elementwise';
import { softGaussKernel } from './gauss';
import { lssaKernel } from './lssa';
import { softNystromReference } from './nystrom';
import { runRows, type RowKernel } from './rows';
import { shiftmaxKernel } from './shiftmax';
import { sinkLogitKernel, softmax1Kernel } from './sinkLogit';
import { softmaxKernel } from './softmax';
import { softplusNormKernel } from './softplusNorm';
import { unifiedMaxKernel } from './unifiedMax';

/** The sink logit of head h: `logit.<h>` when given, else the scalar `logit` (spec §6.4). */
export function sinkLogitOf(params: Record<string, number>, h: number): number {
  return params[`logit.${h}`] ?? params.logit ?? 0;
}

type Params = Record<string, number>;

/** The row kernel of each row-local variant; params are resolved (defaults filled, 'auto' ones absent). */
const rowKernels: Record<Exclude<VariantId, 'soft-nystrom'>, (input: AttentionInput, p: Params) => RowKernel> = {
  softmax: () => softmaxKernel,
  softmax1: () => softmax1Kernel,
  'sink-logit': (_input, p) => sinkLogitKernel((h) => sinkLogitOf(p, h)),
  'unified-max': (_input, p) => unifiedMaxKernel({ phi: p.phi, ag: p.ag, bg: p.bg, split: p.split }),
  sigmoid: (_input, p) => elementwiseKernel(sigmoid, false, (tk) => p.b ?? -Math.log(tk)),
  'sigmoid-norm': () => elementwiseKernel(sigmoid, true, () => 0),
  elu1: (_input, p) => elementwiseKernel(elu1, p.normalize === 1, () => 0),
  lssa: (input, p) => lssaKernel(input, { d: p.d ?? input.headDim, reweight: false, p: 0, warm: 0 }),
  lssar: (input, p) => lssaKernel(input, { d: p.d ?? input.headDim, reweight: true, p: p.p, warm: p.warm }),
  'soft-gauss': (input) => softGaussKernel(input),
  shiftmax: (_input, p) => shiftmaxKernel({ n: p.n, bits: p.bits, x0: p.x0, exp: p.exp, div: p.div }, p.S ?? 0),
  'softplus-norm': (_input, p) => softplusNormKernel(p.eps),
};

/** Computes one attention core with the TS reference of the variant (the oracle of every backend). */
export function referenceAttention(input: AttentionInput, variant: VariantSpec, captureHeads: number[] = []): AttentionResult {
  const p = variant.params;
  if (variant.id === 'soft-nystrom') {
    return softNystromReference(input, { m: p.m, iters: p.iters, safety: p.safety, reg: p.reg, norm: p.norm, errorRows: p.errorRows }, captureHeads);
  }
  return runRows(input, rowKernels[variant.id](input, p), captureHeads);
}
