/**
 * Every AttnScope setting, in one place. package.json's contributes.configuration is checked
 * against this record by test/unit/extension-manifest.unit.test.ts, so the two cannot drift.
 */
import { VARIANT_IDS, type VariantId } from '../runtime/kernels/types';

export interface SettingSpec {
  key: string;
  type: 'string' | 'number';
  default: string | number;
  /** Shown in the Settings UI. */
  markdownDescription: string;
  enum?: readonly string[];
  enumDescriptions?: readonly string[];
  minimum?: number;
  maximum?: number;
}

/** The variant setting that keeps each attention core's own normalizer. */
export const MODEL_VARIANT = 'model';
export type VariantChoice = typeof MODEL_VARIANT | VariantId;

export const BACKEND_CHOICES = ['auto', 'native', 'wasm', 'js'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export const SETTINGS = {
  variant: {
    key: 'attnscope.variant', type: 'string', default: MODEL_VARIANT, enum: [MODEL_VARIANT, ...VARIANT_IDS],
    markdownDescription: 'The attention variant the kernels compute in every attention core; `model` keeps each core\'s own normalizer (`AttnScope: Set Variant…`).',
  },
  variantParams: {
    key: 'attnscope.variantParams', type: 'string', default: '',
    markdownDescription: 'Parameters of the chosen variant as `name=value,...`, e.g. `b=0` for `sigmoid`, `p=3` for `lssar`, `m=16` for `soft-nystrom`; empty: the defaults (`AttnScope: Set Variant…` lists each variant\'s parameters). Ignored for `model`.',
  },
  sinkEpsilon: {
    key: 'attnscope.sinkEpsilon', type: 'number', default: 0.3, minimum: 0.01, maximum: 0.99,
    markdownDescription: 'ε of the sink score: a token is a sink in a head when the mean attention it receives (α) exceeds ε.',
  },
  backend: {
    key: 'attnscope.backend', type: 'string', default: 'auto', enum: BACKEND_CHOICES,
    enumDescriptions: [
      'The fastest backend the runtime has for the variant: native, then wasm, then js.',
      'C kernels through the Node-API addon (SIMD, multithreaded).',
      'The same C kernels compiled to WebAssembly.',
      'The TypeScript reference: slow, the oracle the others are checked against.',
    ],
    markdownDescription: 'Which kernel backend computes the attention cores (`AttnScope: Set Backend…`).',
  },
  hangLimitSeconds: {
    key: 'attnscope.runtime.hangLimitSeconds', type: 'number', default: 120, minimum: 5, maximum: 3600,
    markdownDescription: 'A runtime call with no answer and no progress for this many seconds counts as a hang: the runtime is stopped and restarted.',
  },
  maxMemoryMb: {
    key: 'attnscope.runtime.maxMemoryMb', type: 'number', default: 4096, minimum: 256, maximum: 65536,
    markdownDescription: 'JavaScript heap limit of the runtime process in MiB (model weights and tensors live outside it). Takes effect on the next runtime start.',
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

/** The package.json `contributes.configuration.properties` entry of every setting. */
export function configurationProperties(): Record<string, Omit<SettingSpec, 'key'>> {
  const out: Record<string, Omit<SettingSpec, 'key'>> = {};
  for (const s of Object.values(SETTINGS) as SettingSpec[]) {
    const { key, ...rest } = s;
    out[key] = { ...rest, ...(rest.enum ? { enum: [...rest.enum] } : {}), ...(rest.enumDescriptions ? { enumDescriptions: [...rest.enumDescriptions] } : {}) };
  }
  return out;
}
