#!/usr/bin/env node
// `npm run bench`: runs the kernel benchmark (runtime/kernels/bench/run.ts) through tsx.
// Options are passed through: --json, --tokens LIST, --threads LIST, --reps N, --no-e2e, --no-web.
// `npm run bench -- --analyses [--model PATH] [--tokens 512] [--reps 3] [--backend native] [--json]`
// times the analyses of issue 5 instead (runtime/analysis/bench.ts; target 2 s each at 512 tokens).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const args = process.argv.slice(2);
const script = args.includes('--analyses') ? join(root, 'runtime', 'analysis', 'bench.ts') : join(root, 'runtime', 'kernels', 'bench', 'run.ts');
const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
