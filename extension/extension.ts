/**
 * The extension entry: wires the runtime supervisor, the commands of commands.ts and the status
 * bar. It never computes attention itself; everything runs in the runtime process.
 */
import * as vscode from 'vscode';
import { type CommandName, COMMANDS } from './commands';
import { setBackend } from './commands/setBackend';
import { setVariant } from './commands/setVariant';
import { config } from './config';
import { reportCallError, RuntimeSupervisor } from './runtime/supervisor';
import { SETTINGS } from './settings';
import { StatusBar } from './statusBar';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('AttnScope', { log: true });
  const runtime = new RuntimeSupervisor(context.asAbsolutePath('dist/server.js'), log);
  const status = new StatusBar({ variant: config.variant(), backend: config.backend() });
  context.subscriptions.push(log, runtime, status);

  runtime.onDidChange(({ failure }) => status.update({ problem: failure?.message }));
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => {
    if (config.affects(e, SETTINGS.variant.key, SETTINGS.backend.key)) status.update({ variant: config.variant(), backend: config.backend() });
  }));

  const handlers: Record<CommandName, () => Promise<unknown>> = {
    setVariant: () => setVariant(),
    setBackend: () => setBackend(runtime),
    restartRuntime: () => runtime.restart().then((info) => vscode.window.showInformationMessage(`AttnScope runtime restarted (pid ${info.pid}).`)),
  };
  for (const name of Object.keys(COMMANDS) as CommandName[]) {
    context.subscriptions.push(vscode.commands.registerCommand(COMMANDS[name].id, () => handlers[name]().catch(reportCallError)));
  }
}

export function deactivate(): void {
  // Disposables registered in activate() stop the runtime process.
}
