/** Loads the built WebAssembly kernels from dist/ in Node (the webview fetches the same files). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { instantiateWasmKernels, relaxedSimdSupported, type WasmIsa, type WasmKernels } from './kernels';

const FILES: Record<WasmIsa, string> = {
  'simd128': 'attnscope_kernels.wasm',
  'relaxed-simd': 'attnscope_kernels_relaxed.wasm',
};

/** Where `npm install` puts the module of build `isa` (dist/ under the package root). */
export function wasmKernelsPath(isa: WasmIsa = 'simd128'): string {
  let dir = typeof __dirname === 'string' ? __dirname : process.cwd();
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the attnscope package root for the wasm kernels');
    dir = up;
  }
  return join(dir, 'dist', FILES[isa]);
}

let flagSet = false;

/**
 * Switches relaxed SIMD on where the engine has it behind a flag (Node 20: V8 11.3 needs
 * --experimental-wasm-relaxed-simd, which applies to modules compiled after it is set; later Node
 * versions have it on). Returns whether relaxed SIMD compiles now.
 */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdSupported()) return true;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  flagSet = relaxedSimdSupported();
  return flagSet;
}

/** Whether enableRelaxedSimd() had to set V8's flag (Node 20). */
export function relaxedSimdFlagSet(): boolean {
  return flagSet;
}

/**
 * The build this process runs: 'relaxed-simd' where relaxed SIMD compiles (enableRelaxedSimd),
 * else 'simd128'. ATTNSCOPE_WASM_ISA=simd128 keeps the plain build (to compare, or to test both).
 */
export function wasmIsa(): WasmIsa {
  if (process.env.ATTNSCOPE_WASM_ISA === 'simd128') return 'simd128';
  return enableRelaxedSimd() ? 'relaxed-simd' : 'simd128';
}

/**
 * The kernels: the module at `path`, the plain build, when given; else the build wasmIsa() picks
 * (the plain one when the relaxed module is missing).
 */
export async function loadWasmKernels(path?: string): Promise<WasmKernels> {
  let isa: WasmIsa = 'simd128';
  if (path === undefined) {
    isa = wasmIsa();
    if (isa !== 'simd128' && !existsSync(wasmKernelsPath(isa))) isa = 'simd128';
    path = wasmKernelsPath(isa);
  }
  if (!existsSync(path)) throw new Error(`wasm kernels not built (${path} missing); run npm install or node scripts/build-wasm.mjs`);
  return instantiateWasmKernels(readFileSync(path), isa);
}
