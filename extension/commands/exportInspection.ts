import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { inspectionCsv, inspectionJson } from '../export/serialize';
import type { Session } from '../session';

/** AttnScope: Export… — the numbers of the last inspection as JSON or CSV. */
export async function exportInspection(session: Session): Promise<void> {
  const last = session.last;
  if (!last || !session.model) throw new Error('Nothing to export yet: run AttnScope: Inspect Selection first.');
  const pick = await vscode.window.showQuickPick([
    { label: 'JSON', ext: 'json', detail: 'Every number: α per layer, head and token, sink scores, tokens, timings' },
    { label: 'CSV', ext: 'csv', detail: 'One row per token: id, text, sink score, α per layer and head' },
  ], { title: 'AttnScope: export the inspection' });
  if (!pick) return;
  const base = session.model.name.replace(/\.onnx$/i, '');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());
  const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(folder, `${base}.attnscope.${pick.ext}`), filters: { [pick.label]: [pick.ext] } });
  if (!target) return;
  const text = pick.ext === 'json'
    ? inspectionJson(last.result, { model: session.model.path, variant: last.variant, backend: last.backend, epsilon: last.epsilon })
    : inspectionCsv(last.result);
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
  void vscode.window.showInformationMessage(`AttnScope: exported ${last.result.tokens.length} tokens to ${target.fsPath}.`);
}
