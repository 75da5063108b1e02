#!/usr/bin/env node
// `npm run bench`: runs the kernel benchmark (runtime/kernels/bench/run.ts) through tsx.
// Options are passed through: --json, --tokens LIST, --threads LIST, --reps N, --no-e2e, --no-web.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'runtime', 'kernels', 'bench', 'run.ts'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
