#!/usr/bin/env node
// Compiles the kernel families (runtime/kernels/c/*.c) to WebAssembly with SIMD128, using
// @yowasp/clang (clang as an npm package: no system compiler needed), twice:
//   dist/attnscope_kernels.wasm          simd128, for every engine with SIMD;
//   dist/attnscope_kernels_relaxed.wasm  simd128 + relaxed SIMD: -ffp-contract=fast makes each
//                                        a * b + c an f32x4.relaxed_madd, one FMA where the CPU has it
//                                        (runtime/kernels/wasm/node.ts picks it where the engine
//                                        compiles it).
// Run by `npm install` (scripts/build.mjs step 'wasm'). Extra clang flags for experiments (e.g.
// -DATTN_PORTABLE_RT=6) in ATTNSCOPE_WASM_CFLAGS.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runClang } from '@yowasp/clang';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const srcDir = join(root, 'runtime', 'kernels', 'c');

const names = readdirSync(srcDir).filter((f) => f.endsWith('.c') || f.endsWith('.h')).sort();
const files = { c: Object.fromEntries(names.map((f) => [f, readFileSync(join(srcDir, f), 'utf8')])) };
const sources = names.filter((f) => f.endsWith('.c')).map((f) => `c/${f}`);
const builds = [
  ['attnscope_kernels.wasm', []],
  ['attnscope_kernels_relaxed.wasm', ['-mrelaxed-simd']],
];
const extra = (process.env.ATTNSCOPE_WASM_CFLAGS ?? '').split(/\s+/).filter(Boolean);
mkdirSync(join(root, 'dist'), { recursive: true });
for (const [name, flags] of builds) {
  const args = [
    'clang', '--target=wasm32', '-O3', '-msimd128', ...flags, '-mbulk-memory', '-ffreestanding', '-nostdlib',
    '-std=gnu11', '-ffp-contract=fast', '-Wall', '-Wno-unused-function', ...extra,
    '-Wl,--no-entry', '-Wl,--export-memory', '-Wl,--initial-memory=1048576', '-Wl,--max-memory=4294967296',
    '-o', name, ...sources,
  ];
  let out;
  try {
    out = await runClang(args, files);
  } catch (e) {
    console.error(`build-wasm: clang failed on ${name}: ${e.message}`);
    process.exit(1);
  }
  const wasm = out[name];
  if (!(wasm instanceof Uint8Array)) { console.error(`build-wasm: clang produced no ${name}`); process.exit(1); }
  // Node 20 compiles relaxed SIMD only with this flag (set before the first such module compiles)
  if (flags.length && !WebAssembly.validate(wasm)) setFlagsFromString('--experimental-wasm-relaxed-simd');
  const module = await WebAssembly.compile(wasm);
  const imports = WebAssembly.Module.imports(module);
  if (imports.length) {
    console.error(`build-wasm: ${name} must be freestanding but imports ${imports.map((i) => `${i.module}.${i.name}`).join(', ')}`);
    process.exit(1);
  }
  writeFileSync(join(root, 'dist', name), wasm);
  console.log(`built dist/${name} (${sources.length} sources, ${wasm.length} bytes)`);
}
