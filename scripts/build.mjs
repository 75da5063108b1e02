#!/usr/bin/env node
// Builds everything `npm install` must leave ready: generated sources, the WASM kernels and the
// esbuild bundles. (The native addon is built by node-gyp from binding.gyp during npm install.)
// Each step says what it built; a failing step fails the install with its message.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import * as esbuild from 'esbuild';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const only = process.argv[2];

function runNode(script, ...args) {
  const r = spawnSync(process.execPath, [join(root, script), ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status})`);
}

/** The codicon font and its stylesheet (@vscode/codicons) beside the panel's bundle, in dist/ (the webview's resource root). */
function codicons() {
  mkdirSync(join(root, 'dist'), { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(join(root, 'node_modules/@vscode/codicons/dist', f), join(root, 'dist', f));
  console.log('copied dist/codicon.css, dist/codicon.ttf');
}

/** Generated and compiled artifacts, in dependency order. */
const steps = [
  ['onnx-proto', () => runNode('scripts/gen-onnx-proto.mjs')],
  ['codicons', codicons],
  ['wasm', () => runNode('scripts/build-wasm.mjs')],
];

/** esbuild bundles: node entries keep onnxruntime-node and the native addon external. */
const nodeBundles = [
  ['runtime/cli.ts', 'dist/cli.js'],
  ['runtime/server.ts', 'dist/server.js'],
  ['extension/extension.ts', 'dist/extension.js'],
];
const browserBundles = [['webview/main.ts', 'dist/webview.js']];

async function bundle() {
  const common = { bundle: true, sourcemap: true, logLevel: 'warning', absWorkingDir: root };
  for (const [entry, outfile] of nodeBundles) {
    if (!existsSync(join(root, entry))) continue;
    await esbuild.build({
      ...common, entryPoints: [entry], outfile, platform: 'node', target: 'node20', format: 'cjs',
      external: ['vscode', 'onnxruntime-node', '*.node'],
    });
    console.log(`built ${outfile}`);
  }
  for (const [entry, outfile] of browserBundles) {
    if (!existsSync(join(root, entry))) continue;
    await esbuild.build({ ...common, entryPoints: [entry], outfile, platform: 'browser', target: 'es2022', format: 'iife' });
    console.log(`built ${outfile}`);
  }
}

for (const [name, fn] of steps) if (!only || only === name) { console.log(`build: ${name}`); fn(); }
if (!only || only === 'bundle') await bundle();
