/**
 * The I-ViT integer core (c/ivit.h) in the WebAssembly module: one call laid out in linear memory
 * as ./kernels.ts lays out attention calls (attn_args as 4-byte slots, 64-byte aligned regions),
 * plus the core's shared state, whose first doubles are the scales it chose.
 */
import { readFileSync, existsSync } from 'node:fs';
import type { KernelCall, KernelReport } from '../abi';
import { wasmKernelsPath } from './node';
import { cString, layoutCall, readOutputs, writeCall } from './kernels';

interface IvitExports {
  memory: WebAssembly.Memory;
  attn_wasm_arena(bytes: number): number;
  attn_wasm_ivit_state(args: number): number;
  attn_wasm_ivit_scratch(args: number): number;
  attn_wasm_ivit_run(args: number, state: number, scratch: number, scratchLen: number, keySum: number, keyCount: number,
    entropyAcc: number, entropy: number): number;
  attn_wasm_ivit_error(status: number): number;
  attn_wasm_dyadic?(ratio: number, z: number, halfUp: number, out: number): number;
}


export interface WasmIvit {
  /** Runs one I-ViT call; fills its outputs. Throws the kernel's message on failure. */
  run(call: KernelCall): KernelReport & { scales: Float64Array };
  /** The core's dyadic requantization (c/ivit.h ivit_dyadic, ivit_requantize): [M, k, round(z·M/2^k)]. */
  dyadic(ratio: number, z: number, halfUp: boolean): [number, number, number];
}

export async function instantiateWasmIvit(bytes: BufferSource): Promise<WasmIvit> {
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const x = instance.exports as unknown as IvitExports;
  if (typeof x.attn_wasm_ivit_run !== 'function') throw new Error('the wasm kernels have no ivit entry (built before it existed); rebuild them with node scripts/build-wasm.mjs');

  const message = (status: number): string => cString(x.memory, x.attn_wasm_ivit_error(status));

  function run(call: KernelCall): KernelReport & { scales: Float64Array } {
    const t0 = performance.now();
    const { at, region, size } = layoutCall(call);
    const base = x.attn_wasm_arena(size());
    if (!base) throw new Error(`wasm kernels: cannot grow memory to ${size()} bytes`);
    writeCall(x.memory, base, at, call);
    const state = region(x.attn_wasm_ivit_state(base + at.args));
    const scratchFloats = x.attn_wasm_ivit_scratch(base + at.args);
    const scratch = region(scratchFloats * 4);
    if (x.attn_wasm_arena(size()) !== base) throw new Error(`wasm kernels: cannot grow memory to ${size()} bytes`);
    const status = x.attn_wasm_ivit_run(base + at.args, base + state, base + scratch, scratchFloats, base + at.keySum,
      base + at.keyCount, base + at.entropyAcc, base + at.entropy);
    if (status !== 0) throw new Error(message(status));
    readOutputs(x.memory, base, at, call);
    const scales = new Float64Array(x.memory.buffer.slice(base + state, base + state + 8 * (2 * call.qHeads + 2 * call.kvHeads)));
    return { recomputedRows: 0, nrResidual: 0, approxError: 0, wallMs: performance.now() - t0, scales };
  }

  function dyadic(ratio: number, z: number, halfUp: boolean): [number, number, number] {
    if (typeof x.attn_wasm_dyadic !== 'function') throw new Error('the wasm kernels have no dyadic entry (built before it existed); rebuild them with node scripts/build-wasm.mjs');
    const base = x.attn_wasm_arena(64);
    if (!base) throw new Error('wasm kernels: cannot grow memory to 64 bytes');
    const status = x.attn_wasm_dyadic(ratio, z, halfUp ? 1 : 0, base);
    if (status !== 0) throw new Error(message(status));
    const out = new Float64Array(x.memory.buffer, base, 3);
    return [out[0], out[1], out[2]];
  }

  return { run, dyadic };
}

/** Loads the built module from dist/ (Node) for the I-ViT entry. */
export async function loadWasmIvit(path = wasmKernelsPath()): Promise<WasmIvit> {
  if (!existsSync(path)) throw new Error(`wasm kernels not built (${path} missing); run npm install or node scripts/build-wasm.mjs`);
  return instantiateWasmIvit(readFileSync(path));
}
