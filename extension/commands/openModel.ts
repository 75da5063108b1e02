import * as vscode from 'vscode';
import type { Session } from '../session';

/** AttnScope: Open Model… — pick an .onnx file; the runtime loads it (and tokenizer.json beside it). */
export async function openModel(session: Session): Promise<void> {
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'ONNX model': ['onnx'] }, title: 'AttnScope: open an ONNX model' });
  if (!picked?.length) return;
  const m = await session.openModel(picked[0].fsPath);
  const prompt = m.tokenizer ? 'select a prompt' : 'no tokenizer.json beside it, so select token ids (e.g. 12 7 99)';
  void vscode.window.showInformationMessage(`AttnScope: ${m.name} has ${m.cores.length} attention cores (${[...new Set(m.cores.map((c) => c.kind))].join(', ')}); ${prompt} and run Inspect Selection.`);
}
