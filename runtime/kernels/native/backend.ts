/**
 * The native backend: the C kernels through the Node-API addon (build/Release/attnscope_kernels.node,
 * built from binding.gyp by `npm install`). Calls run inline: the calling thread is the pool's worker 0
 * (with more threads the addon's pool threads join it) and the promise is settled when run() returns.
 * The runtime process blocks on its ONNX Runtime segments the same way; handing each core to a libuv
 * thread and back cost two thread wake-ups per core, measured at 0.1 ms on an idle 2-core machine and
 * up to tens of ms on a loaded one, time that no kernel clock sees.
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
  /** The addon's clock (steady_clock) in ms: the clock of KernelReport.timeline. */
  clockMs(): number;
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
  const offset = clockOffset(addon);
  const variants: VariantId[] = VARIANT_IDS.filter((_id, code) => codes.has(code));
  return {
    id: 'native',
    variants,
    isa: addon.isa(),
    async run(request: AttentionRequest): Promise<AttentionResult> {
      const call = prepareCall(request, variants, 'native');
      call.inline = true;
      const report = await addon.run(call);
      return finishCall(call, report, request, (ms) => ms - offset);
    },
  };
}

/**
 * addon.clockMs() − performance.now(): both read the monotonic clock, so the offset is fixed. The
 * sample whose two performance.now() reads lie closest together brackets it best (µs or better).
 */
function clockOffset(addon: NativeAddon): number {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 16; i++) {
    const a = performance.now();
    const c = addon.clockMs();
    const b = performance.now();
    if (b - a < best) {
      best = b - a;
      offset = c - (a + b) / 2;
    }
  }
  return offset;
}
