/**
 * The WebAssembly kernels (runtime/kernels/c compiled by scripts/build-wasm.mjs): instantiation and
 * one call laid out in linear memory. No Node or DOM API here, so it runs in Node and in the
 * webview alike; the caller supplies the module bytes (see ./node.ts for Node).
 */
import type { KernelCall, KernelReport } from '../abi';

interface KernelExports {
  memory: WebAssembly.Memory;
  attn_wasm_arena(bytes: number): number;
  attn_wasm_scratch(args: number): number;
  attn_wasm_run(args: number, scratch: number, scratchLen: number, keySum: number, keyCount: number,
    entropyAcc: number, entropy: number, report: number): number;
  attn_wasm_variants(): number;
  attn_wasm_error(status: number): number;
}

/** attn_args of attn.h as 4-byte slots, in field order (wasm_entry.c asserts the size). */
export const ARG_SLOTS = 25;

/** Offsets (from the arena base; −1 = absent) of a call's attn_args and the buffers it points to. */
export interface CallRegions {
  args: number; q: number; k: number; v: number; out: number; bias: number; params: number;
  invalid: number; captureIndex: number; capture: number;
}

/** CallRegions plus the statistics every kernel entry fills (key sums and counts, entropies). */
export interface CallLayout extends CallRegions {
  keySum: number; keyCount: number; entropyAcc: number; entropy: number;
}

/**
 * Lays a call out in one arena, every region 64-byte aligned, offsets relative to the arena base:
 * attn_args, its buffers and the statistics; `region` appends what an entry needs besides (its
 * report, state or scratch), `size()` is the arena size so far.
 */
export function layoutCall(call: KernelCall): { at: CallLayout; region(bytes: number): number; size(): number } {
  let size = 0;
  const region = (bytes: number): number => { const at = size; size += Math.ceil(bytes / 64) * 64; return at; };
  const kt = call.qHeads * call.tk;
  const at: CallLayout = {
    args: region(ARG_SLOTS * 4),
    q: region(call.q.byteLength), k: region(call.k.byteLength), v: region(call.v.byteLength),
    out: region(call.out.byteLength),
    bias: call.bias ? region(call.bias.byteLength) : -1,
    params: region(Math.max(4, call.params.byteLength)),
    invalid: region(call.invalidRows.byteLength),
    captureIndex: call.captureIndex ? region(call.captureIndex.byteLength) : -1,
    capture: call.capture ? region(call.capture.byteLength) : -1,
    keySum: region(kt * 4), keyCount: region(kt * 4),
    entropyAcc: region(call.qHeads * 16), entropy: region(call.qHeads * 4),
  };
  return { at, region, size: () => size };
}

/** Copies what a kernel entry wrote back into the call: output, invalid rows, capture, statistics. */
export function readOutputs(memory: WebAssembly.Memory, base: number, at: CallLayout, call: KernelCall): void {
  const mem = memory.buffer;
  const kt = call.qHeads * call.tk;
  call.out.set(new Float32Array(mem, base + at.out, call.out.length));
  call.invalidRows.set(new Uint8Array(mem, base + at.invalid, call.invalidRows.length));
  if (call.capture) call.capture.set(new Float32Array(mem, base + at.capture, call.capture.length));
  if (call.instrument) {
    call.keySum.set(new Float32Array(mem, base + at.keySum, kt));
    call.keyCount.set(new Float32Array(mem, base + at.keyCount, kt));
  }
  call.entropy.set(new Float32Array(mem, base + at.entropy, call.qHeads));
}

/** The NUL-terminated ASCII string at `ptr` in linear memory (a kernel's error message). */
export function cString(memory: WebAssembly.Memory, ptr: number): string {
  const mem = new Uint8Array(memory.buffer);
  let s = '';
  while (mem[ptr]) s += String.fromCharCode(mem[ptr++]);
  return s;
}

/**
 * Writes a call's attn_args (4-byte slots in attn.h's field order, pointers absolute in linear
 * memory) at `base + at.args` and copies its inputs (Q, K, V, bias, params, capture index) in.
 * Shared by the attention kernels and the I-ViT core, whose calls have the same attn_args.
 */
export function writeCall(memory: WebAssembly.Memory, base: number, at: CallRegions, call: KernelCall): void {
  const ptr = (off: number): number => (off < 0 ? 0 : base + off);
  const put = (off: number, src: ArrayBufferView): void => {
    if (off >= 0) new Uint8Array(memory.buffer, base + off, src.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
  };
  const args = new DataView(memory.buffer, base + at.args, ARG_SLOTS * 4);
  const slots: Array<['i' | 'f', number]> = [
    ['i', ptr(at.q)], ['i', ptr(at.k)], ['i', ptr(at.v)], ['i', ptr(at.out)],
    ['i', call.qHeads], ['i', call.kvHeads], ['i', call.tq], ['i', call.tk], ['i', call.headDim], ['i', call.headDimV],
    ['f', call.scale], ['f', call.softcap], ['i', call.causal ? 1 : 0],
    ['i', ptr(at.bias)], ['i', call.biasHeads], ['i', call.streamSinks], ['i', call.streamWindow],
    ['i', call.variant], ['i', ptr(at.params)], ['i', call.params.length],
    ['i', rowBlock(call.tk)], ['i', call.instrument ? 1 : 0], ['i', ptr(at.invalid)],
    ['i', ptr(at.captureIndex)], ['i', ptr(at.capture)],
  ];
  slots.forEach(([kind, value], i) => {
    if (kind === 'f') args.setFloat32(i * 4, value, true); else args.setInt32(i * 4, value, true);
  });
  put(at.q, call.q); put(at.k, call.k); put(at.v, call.v);
  if (call.bias) put(at.bias, call.bias);
  put(at.params, call.params);
  if (call.captureIndex) put(at.captureIndex, call.captureIndex);
}

/**
 * The builds of the kernels (scripts/build-wasm.mjs): 'simd128' (dist/attnscope_kernels.wasm) runs
 * on every engine with SIMD; 'relaxed-simd' (dist/attnscope_kernels_relaxed.wasm) also uses
 * relaxed SIMD, whose f32x4.relaxed_madd the engine turns into one FMA instruction where the CPU has
 * one (a multiply and an add otherwise). Chromium (the webview, VS Code's Electron) has relaxed SIMD
 * on; Node 20 only with --experimental-wasm-relaxed-simd (./node.ts sets it).
 */
export type WasmIsa = 'simd128' | 'relaxed-simd';

/** A module of one function that uses f32x4.relaxed_madd: it validates where relaxed SIMD is on. */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code section: one body of 59 bytes, no locals
  0xfd, 0x0c, ...new Array<number>(16).fill(0), // v128.const 0
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd
  0x0b, // end
]);

/** Whether this engine compiles relaxed SIMD now. */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(RELAXED_SIMD_PROBE);
}

/** The loaded module: one call at a time (WASM here is single-threaded and synchronous). */
export interface WasmKernels {
  /** The build these are (see WasmIsa). */
  isa: WasmIsa;
  /** Variant codes (enum attn_variant) this module implements. */
  variantCodes: number[];
  /** Runs one kernel call; fills the call's output buffers. Throws the kernel's message on failure. */
  run(call: KernelCall): KernelReport;
}

/** Instantiates the module `bytes`, the build `isa` (see WasmIsa). */
export async function instantiateWasmKernels(bytes: BufferSource, isa: WasmIsa = 'simd128'): Promise<WasmKernels> {
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const x = instance.exports as unknown as KernelExports;
  const bits = x.attn_wasm_variants();
  const variantCodes: number[] = [];
  for (let v = 0; v < 32; v++) if (bits & (1 << v)) variantCodes.push(v);

  const message = (status: number): string => cString(x.memory, x.attn_wasm_error(status));

  function run(call: KernelCall): KernelReport {
    const t0 = performance.now();
    const { at, region, size } = layoutCall(call);
    const report = region(24);
    let base = x.attn_wasm_arena(size());
    if (!base) throw new Error(`wasm kernels: cannot grow memory to ${size()} bytes`);
    writeCall(x.memory, base, at, call);
    const scratchFloats = x.attn_wasm_scratch(base + at.args);
    if (scratchFloats < 0) throw new Error(`wasm kernels: ${message(-3)}`);
    const scratch = region(scratchFloats * 4);
    const grown = x.attn_wasm_arena(size());
    if (grown !== base) throw new Error(`wasm kernels: cannot grow memory to ${size()} bytes`);
    base = grown;
    const status = x.attn_wasm_run(base + at.args, base + scratch, scratchFloats, base + at.keySum,
      base + at.keyCount, base + at.entropyAcc, base + at.entropy, base + report);
    if (status !== 0) throw new Error(`wasm kernels: ${message(status)}`);
    readOutputs(x.memory, base, at, call);
    const stats = new Float64Array(x.memory.buffer, base + report, 3);
    const t1 = performance.now();
    return {
      recomputedRows: stats[0], nrResidual: stats[1], approxError: stats[2], wallMs: t1 - t0,
      ...(call.timeline ? { timeline: Float64Array.of(t0, t1, 0, 1) } : {}),
    };
  }

  return { isa, variantCodes, run };
}

/** The relaxed-SIMD build next to the plain module at `url` (both in dist/). */
export function relaxedKernelsUrl(url: string): string {
  return url.replace(/attnscope_kernels\.wasm(?=$|[?#])/, 'attnscope_kernels_relaxed.wasm');
}

/**
 * Fetches and instantiates the kernels in a browser (the webview): the relaxed-SIMD build next to
 * `url` where the engine compiles relaxed SIMD (Chromium does), else, or when that one does not
 * load, the plain module at `url`.
 */
export async function fetchWasmKernels(url: string): Promise<WasmKernels> {
  const relaxed = relaxedKernelsUrl(url);
  if (relaxed !== url && relaxedSimdSupported()) {
    try {
      const r = await fetch(relaxed);
      if (r.ok) return await instantiateWasmKernels(await r.arrayBuffer(), 'relaxed-simd');
    } catch {
      // the plain module below
    }
  }
  const r = await fetch(url);
  if (!r.ok) throw new Error(`the WASM kernels did not load (${r.status} ${r.statusText})`);
  return instantiateWasmKernels(await r.arrayBuffer());
}

/** Query rows per work item: the block's logits (rows x tk floats) stay within ~256 KiB. */
function rowBlock(tk: number): number {
  const r = Math.floor(65536 / (Math.ceil(tk / 64) * 64));
  return r >= 12 ? Math.min(96, Math.floor(r / 12) * 12) : 6;
}
