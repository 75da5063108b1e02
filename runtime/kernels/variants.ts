/**
 * The variant registry: every attention variant with a one-line description and its parameters
 * (defaults, documentation, allowed values), the parser of `--variant ID[:param=value,...]`, and the
 * TS reference backend ('js') that computes every variant. Formulas: shared/spec/variants.md.
 */
import { referenceAttention } from './reference/dispatch';
import { checkInput } from './reference/input';
import type { AttentionBackend, AttentionRequest, AttentionResult, VariantId, VariantSpec } from './types';
import { VARIANT_IDS } from './types';

/** One parameter of a variant. */
export interface VariantParam {
  name: string;
  /** A number, or 'auto' when the default depends on the input (then the param stays unset). */
  default: number | 'auto';
  doc: string;
  min?: number;
  max?: number;
  integer?: boolean;
  /** Named values accepted by the parser (e.g. x0=qat), stored as their number. */
  choices?: Record<string, number>;
}

export interface VariantInfo {
  id: VariantId;
  description: string;
  params: VariantParam[];
}

const flag = { '0': 0, '1': 1, off: 0, on: 1, false: 0, true: 1 };

export const VARIANTS: Record<VariantId, VariantInfo> = {
  softmax: { id: 'softmax', description: 'softmax(s): the standard attention normalizer', params: [] },
  softmax1: {
    id: 'softmax1', params: [],
    description: 'off-by-one softmax e^s / (1 + Σe^s): an implicit zero-logit, zero-value key (spec §6.2)',
  },
  'sink-logit': {
    id: 'sink-logit',
    description: 'softmax with one extra per-head sink logit, dropped after normalization (gpt-oss, spec §6.4)',
    params: [{
      name: 'logit', default: 0,
      doc: 'the sink logit, unscaled, for every head (0 = softmax1); `logit.H=x` overrides head H',
    }],
  },
  'unified-max': {
    id: 'unified-max',
    description: 'FlashDecoding++ asynchronized softmax: fixed max φ, per-split sums, guarded recompute (spec §4.1)',
    params: [
      { name: 'phi', default: 0, doc: 'the unified max φ of the layer (the engine takes it from calibration statistics)' },
      { name: 'ag', default: -87.3, doc: 'guard low bound on x − φ, strict (default: float32 exp normal range)' },
      { name: 'bg', default: 88.7, doc: 'guard high bound on x − φ, strict (default: float32 exp normal range)' },
      { name: 'split', default: 64, min: 1, integer: true, doc: 'keys per split, each accumulated without rescaling' },
    ],
  },
  sigmoid: {
    id: 'sigmoid',
    description: 'σ(s + b), unnormalized (Apple sigmoid attention; b = 0 is Gu et al.\'s sink-free model)',
    params: [{ name: 'b', default: 'auto', doc: 'the bias b; default −ln n with n = the number of keys (tk)' }],
  },
  'sigmoid-norm': {
    id: 'sigmoid-norm', params: [],
    description: 'σ(s) / (Σσ(s) + 1e-8): sum-normalized sigmoid (Gu et al. #3, the sink comes back)',
  },
  elu1: {
    id: 'elu1',
    description: 'elu(s) + 1, unnormalized (Gu et al. #4); normalize=1 divides by Σ + 1e-8',
    params: [{ name: 'normalize', default: 0, choices: flag, doc: '1 = divide by the row sum + 1e-8' }],
  },
  lssa: {
    id: 'lssa',
    description: 'softplus(ln d · ln N · cos(q, k)) / Σ: length-scaled softplus attention (spec §5.1)',
    params: [{ name: 'd', default: 'auto', min: 1, doc: 'd of the length scale; default the head dimension' }],
  },
  lssar: {
    id: 'lssar',
    description: 'LSSA re-weighted: relu(A·N − O)^p / Σ, overflow-safe (spec §5.2)',
    params: [
      { name: 'd', default: 'auto', min: 1, doc: 'd of the length scale; default the head dimension' },
      { name: 'p', default: 15, min: 0, doc: 'the re-weighting power p (15 paper default; 3 best at training length)' },
      { name: 'warm', default: 3, min: 0, integer: true, doc: 'sequence rows 0..warm−1 (0-based) use O = 0, later rows O = 1' },
    ],
  },
  'soft-gauss': {
    id: 'soft-gauss',
    description: 'exact Gaussian kernel exp(−‖q − k‖² / (2√d)), unnormalized (SOFT, spec §3.1)',
    params: [],
  },
  'soft-nystrom': {
    id: 'soft-nystrom',
    description: 'Nyström soft-gauss: average-pooled landmarks, Newton–Raphson inverse (SOFT, spec §3.2–3.4)',
    params: [
      { name: 'm', default: 16, min: 1, integer: true, doc: 'number of landmarks (consecutive keys averaged; capped at tk)' },
      { name: 'iters', default: 20, min: 0, max: 100, integer: true, doc: 'Newton–Raphson iterations' },
      { name: 'safety', default: 0.9, min: 0, max: 1, doc: 'safety factor on α = safety · 2 / ‖K2‖₁² (SOFT v1: 0.9)' },
      { name: 'reg', default: 0.01, min: 0, doc: 'regularizer: invert K2 + reg·I (SOFT v1: 0.01)' },
      { name: 'norm', default: 0, choices: flag, doc: '1 = symmetric normalization D^-1/2 X D^-1/2 (SOFT-Norm code form)' },
      {
        name: 'errorRows', default: 128, min: 0, integer: true,
        doc: 'rows per head approxError samples, evenly spaced incl. the first and last (0 = every row; all when tq ≤ this)',
      },
    ],
  },
  shiftmax: {
    id: 'shiftmax',
    description: 'I-ViT integer-only Shiftmax on int8-quantized logits (spec §2.3)',
    params: [
      { name: 'S', default: 'auto', min: 0, doc: 'logit scale S for the whole tensor (float32); unset or 0: per row, max |s| / 127' },
      { name: 'n', default: 15, min: 1, max: 30, integer: true, doc: 'precision shift n (QAT 15, TVM 16)' },
      { name: 'bits', default: 8, choices: { '8': 8, '16': 16 }, doc: 'output bits: 8 (paper, TVM) or 16 (QAT code)' },
      { name: 'x0', default: 0, choices: { qat: 0, tvm: 1 }, doc: 'x0 convention: qat floor(−1/S), tvm trunc(−1/S − 1)' },
      { name: 'exp', default: 0, choices: { qat: 0, tvm: 1 }, doc: 'ShiftExp form: qat floors (r/2 − x0)·2^(n−q), tvm shifts (r>>1) − x0' },
      { name: 'div', default: 31, min: 16, max: 52, integer: true, doc: 'bits M of the reciprocal ⌊(2^M − 1)/ΣE⌋, ΣE clamped there (QAT 31)' },
    ],
  },
  'softplus-norm': {
    id: 'softplus-norm',
    description: 'softplus(s) / (Σ softplus(s) + eps): the Softplus → ReduceSum → Div normalizer of models trained with it',
    params: [{
      name: 'eps', default: 0, min: 0,
      doc: 'added to the row sum before dividing; 0 = the exported graphs (torch softplus, threshold 20, no epsilon)',
    }],
  },
};

/** A per-head override key such as `logit.3` of sink-logit. */
const perHead = /^([A-Za-z]+)\.(\d+)$/;

function paramOf(info: VariantInfo, key: string): VariantParam | undefined {
  const base = perHead.exec(key)?.[1];
  return info.params.find((p) => p.name === key || (base !== undefined && p.name === base && info.id === 'sink-logit'));
}

function checkValue(info: VariantInfo, p: VariantParam, key: string, value: number): void {
  const where = `variant ${info.id}: ${key}`;
  if (!Number.isFinite(value)) throw new Error(`${where} must be a finite number, got ${value}`);
  if (p.choices && !Object.values(p.choices).includes(value)) {
    throw new Error(`${where} must be one of ${Object.keys(p.choices).join(', ')}, got ${value}`);
  }
  if (p.integer && !Number.isInteger(value)) throw new Error(`${where} must be an integer, got ${value}`);
  if (p.min !== undefined && value < p.min) throw new Error(`${where} must be ≥ ${p.min}, got ${value}`);
  if (p.max !== undefined && value > p.max) throw new Error(`${where} must be ≤ ${p.max}, got ${value}`);
}

function infoOf(id: string): VariantInfo {
  if (!(VARIANT_IDS as readonly string[]).includes(id)) {
    throw new Error(`unknown variant "${id}"; known variants: ${VARIANT_IDS.join(', ')}`);
  }
  return VARIANTS[id as VariantId];
}

/**
 * Checks a variant's params and fills in the defaults ('auto' ones stay unset: the kernel derives
 * them from the input). Throws a one-line error for an unknown variant, parameter or a bad value.
 */
export function resolveVariant(spec: { id: string; params?: Record<string, number> }): VariantSpec {
  const info = infoOf(spec.id);
  const params: Record<string, number> = {};
  for (const p of info.params) if (p.default !== 'auto') params[p.name] = p.default;
  for (const [key, value] of Object.entries(spec.params ?? {})) {
    const p = paramOf(info, key);
    if (!p) {
      const names = info.params.map((q) => q.name).join(', ') || 'none';
      throw new Error(`variant ${info.id} has no parameter "${key}"; its parameters: ${names}`);
    }
    checkValue(info, p, key, value);
    params[key] = value;
  }
  if (info.id === 'unified-max' && !(params.ag < params.bg)) {
    throw new Error(`variant unified-max: the guard needs ag < bg, got ag=${params.ag}, bg=${params.bg}`);
  }
  return { id: info.id, params };
}

/**
 * Parses `ID` or `ID:param=value,param=value` (the CLI's --variant), e.g. `sigmoid:b=0`,
 * `shiftmax:bits=16,x0=tvm`, `sink-logit:logit=1,logit.3=2.5`. Named values (qat, on) are accepted
 * where a parameter lists them. Returns the resolved spec; throws a one-line error otherwise.
 */
export function parseVariant(text: string): VariantSpec {
  const colon = text.indexOf(':');
  const id = (colon < 0 ? text : text.slice(0, colon)).trim();
  const info = infoOf(id);
  const params: Record<string, number> = {};
  const rest = colon < 0 ? '' : text.slice(colon + 1).trim();
  for (const item of rest ? rest.split(',') : []) {
    const eq = item.indexOf('=');
    if (eq < 0) throw new Error(`variant ${id}: expected param=value, got "${item.trim()}" (e.g. ${id}:${info.params[0]?.name ?? 'param'}=1)`);
    const key = item.slice(0, eq).trim();
    const raw = item.slice(eq + 1).trim();
    const p = paramOf(info, key);
    if (!p) {
      const names = info.params.map((q) => q.name).join(', ') || 'none';
      throw new Error(`variant ${id} has no parameter "${key}"; its parameters: ${names}`);
    }
    const named = p.choices?.[raw];
    const value = named ?? (raw === '' ? NaN : Number(raw));
    if (Number.isNaN(value)) {
      const hint = p.choices ? `one of ${Object.keys(p.choices).join(', ')}` : 'a number';
      throw new Error(`variant ${id}: ${key} must be ${hint}, got "${raw}"`);
    }
    params[key] = value;
  }
  return resolveVariant({ id, params });
}

/** Formats a spec back to the `ID:param=value,...` form parseVariant reads. */
export function formatVariant(spec: VariantSpec): string {
  const entries = Object.entries(spec.params);
  return entries.length ? `${spec.id}:${entries.map(([k, v]) => `${k}=${v}`).join(',')}` : spec.id;
}

/** The TS reference backend: plain, slow, every variant; the oracle of the native and wasm backends. */
export const referenceBackend: AttentionBackend = {
  id: 'js',
  variants: VARIANT_IDS,
  run(request: AttentionRequest): Promise<AttentionResult> {
    try {
      checkInput(request.input);
      const variant = resolveVariant(request.variant);
      return Promise.resolve(referenceAttention(request.input, variant, request.captureHeads ?? []));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  },
};
