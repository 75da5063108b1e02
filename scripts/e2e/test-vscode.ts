/**
 * npm run test:vscode: downloads VS Code with @vscode/test-electron (needs network; offline it stops
 * here with one line saying so), then runs the end-to-end suite in it (scripts/e2e/vscode.suite.ts).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { downloadVsCode, VSCODE_EXE_ENV } from './vscodeElectron';

const root = join(import.meta.dirname, '..', '..');

async function main(): Promise<number> {
  const exe = await downloadVsCode();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', join(root, 'scripts/e2e/vscode.suite.ts')], { cwd: root, stdio: 'inherit', env: { ...process.env, [VSCODE_EXE_ENV]: exe } });
  return r.status ?? 1;
}

main().then((code) => process.exit(code), (err: unknown) => { console.error(err instanceof Error ? err.message : String(err)); process.exit(1); });
