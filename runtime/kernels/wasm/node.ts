/** Loads the built WebAssembly kernels from dist/ in Node (the webview fetches the same file). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { instantiateWasmKernels, type WasmKernels } from './kernels';

/** Where `npm install` puts the module: dist/attnscope_kernels.wasm under the package root. */
export function wasmKernelsPath(): string {
  let dir = typeof __dirname === 'string' ? __dirname : process.cwd();
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the attnscope package root for the wasm kernels');
    dir = up;
  }
  return join(dir, 'dist', 'attnscope_kernels.wasm');
}

export async function loadWasmKernels(path = wasmKernelsPath()): Promise<WasmKernels> {
  if (!existsSync(path)) throw new Error(`wasm kernels not built (${path} missing); run npm install or node scripts/build-wasm.mjs`);
  return instantiateWasmKernels(readFileSync(path));
}
