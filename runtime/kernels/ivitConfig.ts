/**
 * The I-ViT integer-only attention core's choices (spec §2, §8.2), resolved once for every backend:
 * the TypeScript reference (runtime/analysis/quant/ivitAttention.ts) and the compiled kernel
 * (c/ivit.h, through ./ivit.ts) read the same config.
 */
import type { AttentionResult } from './types';

/** The I-ViT choices, every one resolved (see resolveIvit for the defaults and spec §8.2). */
export interface IvitConfig {
  /** Scales of Q, K, V and of the requantised logits: one per tensor or one per head. */
  granularity: 'tensor' | 'head';
  /** Width of Q, K, V (2..8; I-ViT: 8). */
  bits: number;
  /** Width of the requantised logits fed to Shiftmax (2..16; I-ViT's attention-logit activations: 8). */
  logitBits: number;
  /** Shiftmax precision shift (1..30; QAT 15, TVM 16). */
  n: number;
  /** Shiftmax output width (2..16; the paper and TVM 8, QAT 16). */
  outBits: number;
  /** 'qat': x0 = floor(−1/S) and QAT's ShiftExp; 'tvm': x0 = trunc(−1/S − 1) and TVM's. */
  convention: 'qat' | 'tvm';
  /** Ties of the dyadic requantisation: 'half-even' (the QAT code's torch.round) or 'half-up' (a shift kernel). */
  rounding: 'half-even' | 'half-up';
}

/** Defaults follow the paper's deployment where the spec lists ambiguities: 8-bit Shiftmax output, QAT's n = 15 and x0. */
export function resolveIvit(options: Partial<IvitConfig> = {}): IvitConfig {
  const c: IvitConfig = {
    granularity: options.granularity ?? 'tensor', bits: options.bits ?? 8, logitBits: options.logitBits ?? 8,
    n: options.n ?? 15, outBits: options.outBits ?? 8, convention: options.convention ?? 'qat', rounding: options.rounding ?? 'half-even',
  };
  const range = (name: string, v: number, lo: number, hi: number): void => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`ivit: ${name} must be an integer in ${lo}..${hi}, got ${v}`);
  };
  range('bits', c.bits, 2, 8);
  range('logit bits', c.logitBits, 2, 16);
  range('n', c.n, 1, 30);
  range('out bits', c.outBits, 2, 16);
  return c;
}

/** What the integer path chose, so a report can show it. */
export interface IvitScales {
  q: number[];
  k: number[];
  v: number[];
  /** Shiftmax input scale per head (equal across heads for per-tensor). */
  logit: number[];
  /** Shiftmax output scale 2^−(outBits−1). */
  weight: number;
}

export interface IvitResult extends AttentionResult {
  scales: IvitScales;
}

/** params[] of ivit.h, in its order. */
export function ivitParams(c: IvitConfig): Float32Array {
  return Float32Array.from([c.granularity === 'head' ? 1 : 0, c.bits, c.logitBits, c.n, c.outBits, c.convention === 'tvm' ? 1 : 0, c.rounding === 'half-up' ? 1 : 0]);
}
