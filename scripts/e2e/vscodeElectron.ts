/**
 * The second end-to-end harness: VS Code desktop (Electron) downloaded by @vscode/test-electron,
 * AttnScope installed from the VSIX with VS Code's own CLI, the window driven by playwright's
 * Electron support with the same test cases as code-server (test/e2e/suite.ts). The download
 * needs network; offline, downloadVsCode() fails with one line that says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { downloadAndUnzipVSCode, resolveCliArgsFromVSCodeExecutablePath } from '@vscode/test-electron';
import { _electron } from 'playwright-core';
import type { VsCodeHarness } from '../../test/e2e/suite';
import { descendantsOf } from './codeServer';
import { E2E_USER_SETTINGS } from './settings';

/** The VS Code that code-server 4.100.3 bundles, so both harnesses run the same workbench. */
export const VSCODE_VERSION = '1.100.3';
const root = join(import.meta.dirname, '..', '..');
/** Set by scripts/e2e/test-vscode.ts after the download, for the suite process. */
export const VSCODE_EXE_ENV = 'ATTNSCOPE_VSCODE_EXECUTABLE';

/** Downloads VS Code (cached in test/.tmp/vscode-test); returns its executable. */
export async function downloadVsCode(): Promise<string> {
  try {
    return await downloadAndUnzipVSCode({ version: VSCODE_VERSION, cachePath: join(root, 'test/.tmp/vscode-test'), timeout: 20_000 });
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new Error(`npm run test:vscode needs network to download VS Code ${VSCODE_VERSION} (@vscode/test-electron), and the download failed: ${why}. Offline, run the same suite in code-server: node test/run.mjs e2e`);
  }
}

export const electronHarness: VsCodeHarness = {
  name: `VS Code ${VSCODE_VERSION} (Electron)`,
  screenshots: 'vscode-screenshots',
  async start(dir, workspace, vsix) {
    const exe = process.env[VSCODE_EXE_ENV] ?? await downloadVsCode();
    const ext = join(dir, 'extensions');
    const udir = join(dir, 'user-data');
    mkdirSync(join(udir, 'User'), { recursive: true });
    mkdirSync(ext, { recursive: true });
    writeFileSync(join(udir, 'User/settings.json'), JSON.stringify(E2E_USER_SETTINGS));
    const [cli, ...cliArgs] = resolveCliArgsFromVSCodeExecutablePath(exe);
    const installed = spawnSync(cli, [...cliArgs, '--extensions-dir', ext, '--user-data-dir', udir, '--install-extension', vsix], { encoding: 'utf8' });
    if (installed.status !== 0) throw new Error(`code --install-extension ${vsix} failed: ${(installed.stderr || installed.stdout).trim().split('\n').pop()}`);
    const app = await _electron.launch({
      executablePath: exe,
      args: ['--no-sandbox', '--disable-gpu', '--disable-updates', '--skip-welcome', '--skip-release-notes', '--disable-workspace-trust',
        '--extensions-dir', ext, '--user-data-dir', udir, '--new-window', workspace],
    });
    const page = await app.firstWindow();
    await page.setViewportSize({ width: 1400, height: 900 }).catch(() => undefined);
    const pid = app.process().pid!;
    return {
      page,
      descendants: () => descendantsOf(pid),
      stop: async () => {
        for (const p of descendantsOf(pid).reverse()) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
        await app.close().catch(() => undefined);
      },
    };
  },
};
