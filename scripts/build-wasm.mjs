#!/usr/bin/env node
// Compiles the kernel families (runtime/kernels/c/*.c) to one WebAssembly module with SIMD128,
// using @yowasp/clang (clang as an npm package: no system compiler needed), into
// dist/attnscope_kernels.wasm. Run by `npm install` (scripts/build.mjs step 'wasm').
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runClang } from '@yowasp/clang';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const srcDir = join(root, 'runtime', 'kernels', 'c');
const outFile = join(root, 'dist', 'attnscope_kernels.wasm');

const names = readdirSync(srcDir).filter((f) => f.endsWith('.c') || f.endsWith('.h')).sort();
const files = { c: Object.fromEntries(names.map((f) => [f, readFileSync(join(srcDir, f), 'utf8')])) };
const sources = names.filter((f) => f.endsWith('.c')).map((f) => `c/${f}`);
const args = [
  'clang', '--target=wasm32', '-O3', '-msimd128', '-mbulk-memory', '-ffreestanding', '-nostdlib',
  '-std=gnu11', '-ffp-contract=fast', '-Wall', '-Wno-unused-function',
  '-Wl,--no-entry', '-Wl,--export-memory', '-Wl,--initial-memory=1048576', '-Wl,--max-memory=4294967296',
  '-o', 'attnscope_kernels.wasm', ...sources,
];
let out;
try {
  out = await runClang(args, files);
} catch (e) {
  console.error(`build-wasm: clang failed: ${e.message}`);
  process.exit(1);
}
const wasm = out['attnscope_kernels.wasm'];
if (!(wasm instanceof Uint8Array)) { console.error('build-wasm: clang produced no module'); process.exit(1); }
const module = await WebAssembly.compile(wasm);
const imports = WebAssembly.Module.imports(module);
if (imports.length) {
  console.error(`build-wasm: the module must be freestanding but imports ${imports.map((i) => `${i.module}.${i.name}`).join(', ')}`);
  process.exit(1);
}
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(outFile, wasm);
console.log(`built dist/attnscope_kernels.wasm (${sources.length} sources, ${wasm.length} bytes)`);
