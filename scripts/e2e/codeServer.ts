/**
 * A real VS Code for the end-to-end tier, offline: code-server 4.100.3 (it bundles VS Code 1.100.3),
 * installed once into test/.tmp/code-server as shared/RECIPES.md describes, started on a free
 * loopback port with this repository as an installed extension.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { E2E_USER_SETTINGS } from './settings';

export const CODE_SERVER_VERSION = '4.100.3';
const root = join(import.meta.dirname, '..', '..');
const home = join(root, 'test/.tmp/code-server');
const entry = join(home, 'node_modules/code-server/out/node/entry.js');

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
}

/** Installs code-server into test/.tmp/code-server unless it is there (about a minute, npm registry only). */
export function ensureCodeServer(): string {
  if (existsSync(join(home, '.ready'))) return entry;
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'package.json'), '{ "name": "attnscope-e2e-code-server", "private": true }\n');
  run('npm', ['install', '--no-save', '--ignore-scripts', `code-server@${CODE_SERVER_VERSION}`], home);
  const vscode = join(home, 'node_modules/code-server/lib/vscode');
  run('npm', ['install', '--omit=dev', '--ignore-scripts'], vscode);
  run('npm', ['install', '--omit=dev', '--ignore-scripts'], join(vscode, 'extensions'));
  rmSync(join(vscode, 'extensions/node_modules.asar'), { force: true });
  symlinkSync('node_modules', join(vscode, 'extensions/node_modules.asar'));
  run('npm', ['rebuild', 'argon2'], home);
  writeFileSync(join(home, '.ready'), `${CODE_SERVER_VERSION}\n`);
  return entry;
}

export interface CodeServer {
  url: string;
  process: ChildProcess;
  log(): string;
  /** Every live process started under code-server (extension hosts, our runtime), by pid. */
  descendants(): { pid: number; args: string }[];
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

/** Builds the VSIX as `npm run package` does, into `out`; returns its path. */
export function packageVsix(out: string): string {
  run(process.execPath, [join(root, 'scripts/build.mjs')], root);
  run(process.execPath, [join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--target', 'linux-x64', '--no-git-tag-version', '--no-update-package-json', '--allow-missing-repository',
    '--skip-license', '--no-rewrite-relative-links', '-o', out], root);
  return out;
}

/**
 * Starts code-server with `workspace` open and AttnScope installed: from `vsix` (as a user
 * installs it), or as a link to this checkout when no VSIX is given.
 */
export async function startCodeServer(dir: string, workspace: string, vsix?: string): Promise<CodeServer> {
  const main = ensureCodeServer();
  const ext = join(dir, 'extensions');
  const udir = join(dir, 'user-data');
  mkdirSync(ext, { recursive: true });
  mkdirSync(join(udir, 'User'), { recursive: true });
  if (vsix) {
    run(process.execPath, [main, '--extensions-dir', ext, '--user-data-dir', udir, '--install-extension', vsix], dir);
  } else {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
    symlinkSync(root, join(ext, `${pkg.publisher}.${pkg.name}-${pkg.version}`));
  }
  writeFileSync(join(udir, 'User/settings.json'), JSON.stringify(E2E_USER_SETTINGS));
  const port = await freePort();
  const child = spawn(process.execPath, [main, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--extensions-dir', ext, '--user-data-dir', udir,
    '--disable-telemetry', '--disable-update-check', workspace], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d) => { log += String(d); });
  child.stderr?.on('data', (d) => { log += String(d); });
  const t0 = Date.now();
  while (!/HTTP server listening/.test(log)) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}): ${log.slice(-500)}`);
    if (Date.now() - t0 > 60_000) throw new Error(`code-server did not start within 60 s: ${log.slice(-500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`,
    process: child,
    log: () => log,
    descendants: () => descendantsOf(child.pid!),
    stop: async () => {
      // Children first (extension hosts, runtimes), each by its pid, then code-server itself.
      for (const p of descendantsOf(child.pid!).reverse()) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
      if (child.exitCode === null) { child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); }
    },
  };
}

/** Live descendants of `pid`, from /proc (parents before children). */
export function descendantsOf(pid: number): { pid: number; args: string }[] {
  const parent = new Map<number, number>();
  const args = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
      args.set(Number(name), readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim());
    } catch { /* exited meanwhile */ }
  }
  const out: { pid: number; args: string }[] = [];
  const walk = (p: number): void => {
    for (const [c, pp] of parent) if (pp === p) { out.push({ pid: c, args: args.get(c) ?? '' }); walk(c); }
  };
  walk(pid);
  return out;
}
