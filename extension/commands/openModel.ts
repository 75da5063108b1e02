import * as vscode from 'vscode';
import type { Session } from '../session';

/**
 * AttnScope: Open Model… — pick an .onnx file (or use `path`, from the model summary's link); the
 * runtime loads it, with the tokenizer.json beside it when there is one.
 */
export async function openModel(session: Session, path?: string): Promise<void> {
  if (!vscode.workspace.isTrusted) throw new Error('This workspace is not trusted: AttnScope runs no model here.');
  let file = path;
  if (!file) {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'ONNX model': ['onnx'] }, title: 'AttnScope: open an ONNX model' });
    if (!picked?.length) return;
    file = picked[0].fsPath;
  }
  const m = await session.openModel(file);
  const prompt = m.tokenizer ? 'select a prompt' : 'no tokenizer.json beside it, so select token ids (e.g. 12 7 99)';
  void vscode.window.showInformationMessage(`AttnScope: ${m.name} has ${m.cores.length} attention cores (${[...new Set(m.cores.map((c) => c.kind))].join(', ')}); ${prompt} and run Inspect Selection.`);
}
