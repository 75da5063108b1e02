/**
 * The extension entry: wires the runtime supervisor, the commands of commands.ts and the status
 * bar. It never computes attention itself; everything runs in the runtime process.
 */
import * as vscode from 'vscode';
import { type CommandName, COMMANDS } from './commands';
import { compareVariants, showDrift, simulateStreaming } from './commands/analyses';
import { exportInspection } from './commands/exportInspection';
import { inspectSelection } from './commands/inspectSelection';
import { openModel } from './commands/openModel';
import { setBackend } from './commands/setBackend';
import { setVariant } from './commands/setVariant';
import { config } from './config';
import { MODEL_SUMMARY_VIEW_TYPE } from './modelSummary/contribution';
import { ModelSummaryEditor } from './modelSummary/modelSummaryEditor';
import { USE_MODEL_COMMAND } from './modelSummary/summaryHtml';
import { Overlay } from './overlay/overlay';
import { PANEL_VIEW_TYPE, PanelHost } from './panel/panelHost';
import { reportCallError, RuntimeSupervisor } from './runtime/supervisor';
import { Session } from './session';
import { SETTINGS } from './settings';
import { StatusBar } from './statusBar';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('AttnScope', { log: true });
  const runtime = new RuntimeSupervisor(context.asAbsolutePath('dist/server.js'), log);
  const status = new StatusBar({ variant: config.variant(), backend: config.backend() });
  const session = new Session(runtime, context.asAbsolutePath('media/models/attnscope-demo-softmax.onnx'), context.workspaceState);
  const overlay = new Overlay(session);
  const panel = new PanelHost(context.extensionUri, session, runtime, log);
  context.subscriptions.push(log, runtime, status, session, overlay, panel);

  runtime.onDidChange(({ failure }) => status.update({ problem: failure?.message }));
  session.onDidChange(() => status.update({ model: session.model?.name }));
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => {
    if (config.affects(e, SETTINGS.variant.key, SETTINGS.variantParams.key, SETTINGS.backend.key)) status.update({ variant: config.variant(), backend: config.backend() });
    // A variant or backend change (from a command, the panel or the settings) re-runs the last inspection;
    // not while the variant and its parameters are written together (writeMany), whose writer ran it already.
    if (!config.writing && config.affects(e, SETTINGS.variant.key, SETTINGS.variantParams.key, SETTINGS.backend.key)) {
      session.rerun().catch((err: unknown) => { panel.error(err instanceof Error ? err.message : String(err)); reportCallError(err); });
    }
  }));

  const handlers: Record<CommandName, () => Promise<unknown>> = {
    openModel: () => openModel(session),
    inspectSelection: () => inspectSelection(session, panel, status),
    setVariant: () => setVariant(session),
    setBackend: () => setBackend(runtime, session),
    compareVariants: () => compareVariants(runtime, session, panel),
    showDrift: () => showDrift(runtime, session, panel),
    simulateStreaming: () => simulateStreaming(runtime, session, panel),
    toggleOverlay: async () => vscode.window.setStatusBarMessage(`AttnScope overlay ${overlay.toggle() ? 'on' : 'off'}`, 2000),
    showPanel: async () => panel.show(),
    exportInspection: () => exportInspection(session, panel),
    restartRuntime: () => runtime.restart().then((info) => vscode.window.showInformationMessage(`AttnScope runtime restarted (pid ${info.pid}).`)),
  };
  // Not in the palette: the model summary's "Use this model" link calls it with the file's path.
  context.subscriptions.push(
    vscode.commands.registerCommand(USE_MODEL_COMMAND, (path: unknown) => (typeof path === 'string' ? openModel(session, path) : Promise.reject(new Error('Use this model needs the model path.'))).catch(reportCallError)),
    vscode.window.registerCustomEditorProvider(MODEL_SUMMARY_VIEW_TYPE, new ModelSummaryEditor(context.extensionUri, runtime)),
    // After a window reload VS Code hands the panel back; it shows the empty state until an inspection.
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, panel.serializer()),
  );
  // The runtime starts now, with the workspace's last model, not on the first Inspect (no model runs in an untrusted workspace).
  if (vscode.workspace.isTrusted) session.preload();
  for (const name of Object.keys(COMMANDS) as CommandName[]) {
    context.subscriptions.push(vscode.commands.registerCommand(COMMANDS[name].id, () => handlers[name]().catch(reportCallError)));
  }
}

export function deactivate(): void {
  // Disposables registered in activate() stop the runtime process.
}
