import * as vscode from 'vscode';
import type { PanelHost } from '../panel/panelHost';
import type { Session } from '../session';
import type { StatusBar } from '../statusBar';

/** AttnScope: Inspect Selection — the selection, or the whole document when nothing is selected. */
export async function inspectSelection(session: Session, panel: PanelHost, status: StatusBar): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new Error('No editor is active: open the document with the prompt and select it.');
  const doc = editor.document;
  const range = editor.selection.isEmpty ? new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)) : editor.selection;
  const t0 = performance.now();
  // The panel's webview boots while the model runs (it shows the progress until the result comes).
  panel.running(`Inspecting ${doc.fileName.split(/[\\/]/).pop()}…`);
  try {
    await session.ensureModel();
    const inspection = await session.inspect(doc, range);
    status.update({ lastRunMs: performance.now() - t0, variant: inspection.variant, backend: inspection.backend });
  } finally {
    panel.running(undefined);
  }
}
