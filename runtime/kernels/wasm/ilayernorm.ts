/**
 * I-LayerNorm (c/ilayernorm.h) in the WebAssembly module: the row arrays laid out in linear memory
 * through attn_wasm_arena (64-byte aligned regions), one call, the outputs copied back.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cString } from './kernels';
import { wasmKernelsPath } from './node';

interface ILayerNormExports {
  memory: WebAssembly.Memory;
  attn_wasm_arena(bytes: number): number;
  attn_wasm_ilayernorm(x: number, bias: number, rows: number, c: number, out: number, mean: number, variance: number, std: number): number;
  attn_wasm_ilayernorm_error(status: number): number;
}

/** One call's arrays: inputs x [rows·channels] and bias [channels], the rest filled. */
export interface ILayerNormCall {
  x: Int32Array;
  rows: number;
  channels: number;
  bias: Float64Array;
  out: Float64Array;
  mean: Int32Array;
  variance: Float64Array;
  std: Int32Array;
}

export interface WasmILayerNorm {
  /** Fills the call's outputs; throws the kernel's message on failure. */
  run(call: ILayerNormCall): void;
}

export async function instantiateWasmILayerNorm(bytes: BufferSource): Promise<WasmILayerNorm> {
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const x = instance.exports as unknown as ILayerNormExports;
  if (typeof x.attn_wasm_ilayernorm !== 'function') throw new Error('the wasm kernels have no I-LayerNorm entry (built before it existed); rebuild them with node scripts/build-wasm.mjs');
  return {
    run(call) {
      let size = 0;
      const region = (bytes: number): number => { const at = size; size += Math.ceil(bytes / 64) * 64; return at; };
      const at = {
        x: region(call.x.byteLength), bias: region(call.bias.byteLength), out: region(call.out.byteLength),
        mean: region(call.mean.byteLength), variance: region(call.variance.byteLength), std: region(call.std.byteLength),
      };
      const base = x.attn_wasm_arena(size);
      if (!base) throw new Error(`wasm kernels: cannot grow memory to ${size} bytes`);
      const put = (off: number, src: ArrayBufferView): void => {
        new Uint8Array(x.memory.buffer, base + off, src.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
      };
      put(at.x, call.x);
      put(at.bias, call.bias);
      const status = x.attn_wasm_ilayernorm(base + at.x, base + at.bias, call.rows, call.channels, base + at.out, base + at.mean, base + at.variance, base + at.std);
      if (status !== 0) throw new Error(cString(x.memory, x.attn_wasm_ilayernorm_error(status)));
      const mem = x.memory.buffer;
      call.out.set(new Float64Array(mem, base + at.out, call.out.length));
      call.mean.set(new Int32Array(mem, base + at.mean, call.mean.length));
      call.variance.set(new Float64Array(mem, base + at.variance, call.variance.length));
      call.std.set(new Int32Array(mem, base + at.std, call.std.length));
    },
  };
}

/** Loads the built module from dist/ (Node) for the I-LayerNorm entry. */
export async function loadWasmILayerNorm(path = wasmKernelsPath()): Promise<WasmILayerNorm> {
  if (!existsSync(path)) throw new Error(`wasm kernels not built (${path} missing); run npm install or node scripts/build-wasm.mjs`);
  return instantiateWasmILayerNorm(readFileSync(path));
}
