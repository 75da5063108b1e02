#!/usr/bin/env node
// Runs every test file, globbed by tier suffix, with node's own test runner.
// Tiers: *.unit.test.ts (runtime, no VS Code), *.parity.test.ts (kernels vs reference and spec
// vectors), *.model.test.ts (fixture models through ONNX Runtime), *.webview.test.ts (headless
// Chromium), *.e2e.test.ts (real VS Code). `node test/run.mjs unit parity` runs only those tiers.
// A tier whose prerequisites are missing fails loudly; nothing is skipped silently.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const tiers = ['unit', 'parity', 'model', 'webview', 'e2e'];
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : tiers;
for (const t of wanted) if (!tiers.includes(t)) { console.error(`unknown tier ${t}; tiers: ${tiers.join(', ')}`); process.exit(2); }

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out); else out.push(p);
  }
  return out;
}
const all = walk(join(root, 'test'), []);
const files = all.filter((f) => wanted.some((t) => f.endsWith(`.${t}.test.ts`))).sort();
const stray = all.filter((f) => /\.test\.[cm]?[jt]s$/.test(f) && !tiers.some((t) => f.endsWith(`.${t}.test.ts`)));
if (stray.length) { console.error(`test files without a tier suffix (would never run): ${stray.map((f) => relative(root, f)).join(', ')}`); process.exit(2); }
if (!files.length) { console.error('no test files found'); process.exit(2); }
console.log(`running ${files.length} test files (${wanted.join(', ')})`);
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files.map((f) => relative(root, f))], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
