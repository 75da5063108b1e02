/**
 * The native backend: the C kernels through the Node-API addon (build/Release/attnscope_kernels.node,
 * built from binding.gyp by `npm install`). Calls run off the JS thread on the addon's worker pool.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { finishCall, prepareCall, type KernelCall, type KernelReport } from '../abi';
import type { AttentionBackend, AttentionRequest, AttentionResult, VariantId } from '../types';
import { VARIANT_IDS } from '../types';

/** The addon's exports (runtime/kernels/native/binding.cc). */
export interface NativeAddon {
  run(call: KernelCall): Promise<KernelReport>;
  isa(): string;
  /** Caps the softmax family's instruction set ('auto' | 'avx512' | 'avx2' | 'sse2'); returns the one in use. */
  capIsa(name: string): string;
  variants(): number[];
  /** Register-only fp32 FMA throughput over `threads` threads (blocks the calling thread). */
  fmaPeak(threads: number, iterations: number): { gflops: number; lanes: number; check: number };
}

/** The package root: the nearest folder up from here that holds package.json (source or dist/). */
function packageRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the attnscope package root above ${from}`);
    dir = up;
  }
  return dir;
}

/** Loads the addon; throws a one-line error that says how to build it. */
export function loadNativeAddon(): NativeAddon {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  const path = join(packageRoot(here), 'build', 'Release', 'attnscope_kernels.node');
  if (!existsSync(path)) throw new Error(`native kernels not built (${path} missing); run npm install (needs a C++ compiler)`);
  const require = createRequire(join(here, 'noop.js'));
  try {
    return require(path) as NativeAddon;
  } catch (e) {
    throw new Error(`native kernels failed to load from ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** The native backend over a loaded addon. */
export function nativeBackend(addon: NativeAddon = loadNativeAddon()): AttentionBackend & { isa: string } {
  const codes = new Set(addon.variants());
  const variants: VariantId[] = VARIANT_IDS.filter((_id, code) => codes.has(code));
  return {
    id: 'native',
    variants,
    isa: addon.isa(),
    async run(request: AttentionRequest): Promise<AttentionResult> {
      const call = prepareCall(request, variants, 'native');
      const report = await addon.run(call);
      return finishCall(call, report, request);
    },
  };
}
