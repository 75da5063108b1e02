/**
 * The native backend: the C kernels through the Node-API addon (build/Release/attnscope_kernels.node,
 * built from binding.gyp by `npm install`). A call runs off the JS thread (a libuv thread is the pool's
 * worker 0, more threads join it from the addon's pool) unless it is small: handing a core to a libuv
 * thread and back costs two thread wake-ups, measured at 0.1 ms on an idle 2-core machine and up to
 * tens of ms on a loaded one, time that no kernel clock sees and that rivals a small kernel. So a call
 * below INLINE_MAX_FLOPS runs inline on the calling thread (worker 0; the promise is settled when
 * run() returns), a few ms at most, as the runtime already blocks on its ONNX Runtime segments; a
 * larger one keeps the JS thread free (cancellation, heartbeats) and its hand-off is < 1 % of it.
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
  /**
   * Caps the softmax family's instruction set ('auto' | 'amx' | 'avx512' | 'avx2' | 'sse2'; 'amx' runs
   * the products on AMX where permitted, 'auto' only with ATTNSCOPE_AMX=1) and returns the one in use
   * ('avx512+amx', 'avx512', ...).
   */
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
      call.inline = kernelFlops(request) <= INLINE_MAX_FLOPS;
      const report = await addon.run(call);
      return finishCall(call, report, request, (ms) => ms - offset);
    },
  };
}

/** Calls up to this many multiply-adds ×2 (~10–20 ms of one core here) run inline on the calling thread. */
export const INLINE_MAX_FLOPS = 2e8;

/** Q·Kᵀ and P·V multiply-adds ×2 of a call, halved for a causal mask (the kernels skip hidden keys). */
export function kernelFlops({ input }: AttentionRequest): number {
  const pairs = input.qHeads * input.tq * input.tk * (input.mask.causal ? 0.5 : 1);
  return 2 * pairs * (input.headDim + input.headDimV);
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
