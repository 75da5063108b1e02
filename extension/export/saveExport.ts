/** Asks where to save an exported file (beside the workspace by default) and writes it. */
import { homedir } from 'node:os';
import * as vscode from 'vscode';

const FILTERS: Record<string, Record<string, string[]>> = {
  svg: { SVG: ['svg'] }, png: { PNG: ['png'] }, html: { 'HTML report': ['html'] }, json: { JSON: ['json'] }, csv: { CSV: ['csv'] },
};

/** Returns the file written, or undefined when the user cancelled. */
export async function saveExport(name: string, bytes: Uint8Array, what: string): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());
  const ext = name.slice(name.lastIndexOf('.') + 1);
  const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(folder, name), filters: FILTERS[ext] ?? {}, title: `AttnScope: save the ${what}` });
  if (!target) return undefined;
  await vscode.workspace.fs.writeFile(target, bytes);
  void vscode.window.showInformationMessage(`AttnScope: exported the ${what} to ${target.fsPath}.`);
  return target;
}
