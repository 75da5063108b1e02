/**
 * Opening an .onnx file shows its model summary (a read-only custom editor). The runtime reads
 * the file without replacing the model in use; the page has no script, its one action is a
 * command link to use the model.
 */
import * as vscode from 'vscode';
import type { RuntimeSupervisor } from '../runtime/supervisor';
import { summaryHtml, USE_MODEL_COMMAND } from './summaryHtml';

export class ModelSummaryEditor implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly extensionUri: vscode.Uri, private readonly runtime: RuntimeSupervisor) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    const css = vscode.Uri.joinPath(this.extensionUri, 'media', 'css');
    panel.webview.options = { enableScripts: false, enableCommandUris: [USE_MODEL_COMMAND], localResourceRoots: [css] };
    const style = panel.webview.asWebviewUri(vscode.Uri.joinPath(css, 'summary.css')).toString();
    if (!vscode.workspace.isTrusted) {
      panel.webview.html = summaryHtml({ name: document.uri.path.split('/').pop() ?? '', path: document.uri.fsPath, opset: null, inputs: [], outputs: [], cores: [], rejected: [], problem: 'This workspace is not trusted: AttnScope reads no model here. Trust the workspace to see the summary.' }, panel.webview.cspSource, style);
      return;
    }
    const d = await this.runtime.request('describeModel', { path: document.uri.fsPath });
    panel.webview.html = summaryHtml(d, panel.webview.cspSource, style);
  }
}
