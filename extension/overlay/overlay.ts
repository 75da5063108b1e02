/**
 * Paints the last inspection onto its document: one decoration type per strength level, created
 * once, colours contributed in package.json (attnscope.overlay.level1…5) and used through
 * ThemeColor; updates only call setDecorations and are debounced. A hover shows the token's
 * numbers. An edit of the document clears the stale overlay.
 */
import * as vscode from 'vscode';
import type { Session } from '../session';
import { hoverLines } from './hoverText';
import { levelOf, OVERLAY_LEVELS } from './tokenSpans';

export const overlayColorId = (level: number): string => `attnscope.overlay.level${level}`; // contributed by colors.ts

export class Overlay implements vscode.Disposable {
  private readonly types: vscode.TextEditorDecorationType[];
  private readonly disposables: vscode.Disposable[] = [];
  private timer?: NodeJS.Timeout;
  private enabled = true;

  constructor(private readonly session: Session) {
    this.types = Array.from({ length: OVERLAY_LEVELS }, (_, i) => vscode.window.createTextEditorDecorationType({
      backgroundColor: new vscode.ThemeColor(overlayColorId(i + 1)),
      borderRadius: '2px',
    }));
    this.disposables.push(
      ...this.types,
      session.onDidChange(() => this.schedule()),
      vscode.window.onDidChangeVisibleTextEditors(() => this.schedule()),
      vscode.workspace.onDidChangeTextDocument((e) => { if (e.contentChanges.length) session.markStale(e.document); }),
      vscode.languages.registerHoverProvider([{ scheme: 'file' }, { scheme: 'untitled' }], { provideHover: (doc, pos) => this.hover(doc, pos) }),
    );
  }

  get visible(): boolean {
    return this.enabled;
  }

  toggle(): boolean {
    this.enabled = !this.enabled;
    this.schedule();
    return this.enabled;
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.paint(), 50);
  }

  private paint(): void {
    const last = this.session.last;
    for (const editor of vscode.window.visibleTextEditors) {
      const mine = this.enabled && last && editor.document.uri.toString() === last.uri.toString() && editor.document.version === last.version;
      const byLevel: vscode.Range[][] = this.types.map(() => []);
      if (mine) {
        const values = this.session.overlayValues?.values ?? last.result.sinkScore.data;
        for (const s of last.spans) {
          const level = levelOf(values[s.index]);
          if (level) byLevel[level - 1].push(new vscode.Range(editor.document.positionAt(s.start), editor.document.positionAt(s.end)));
        }
      }
      this.types.forEach((t, i) => editor.setDecorations(t, byLevel[i]));
    }
  }

  private hover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const last = this.session.last;
    if (!this.enabled || !last || doc.uri.toString() !== last.uri.toString() || doc.version !== last.version) return undefined;
    const offset = doc.offsetAt(pos);
    const span = last.spans.find((s) => offset >= s.start && offset < s.end);
    if (!span) return undefined;
    const md = new vscode.MarkdownString();
    md.appendMarkdown('**AttnScope**\n\n');
    const shown = this.session.overlayValues;
    if (shown && this.session.overlayMetric.metric !== 'sink') md.appendText(`${shown.label}: ${shown.values[span.index].toFixed(4)}`).appendMarkdown('  \n');
    for (const line of hoverLines(last.result, span.index, last.epsilon)) md.appendText(line).appendMarkdown('  \n');
    const drift = this.session.driftOfLast();
    if (drift) md.appendText(`drift (${drift.label}): Δ attention received ${drift.values[span.index].toFixed(4)}`).appendMarkdown('  \n');
    return new vscode.Hover(md, new vscode.Range(doc.positionAt(span.start), doc.positionAt(span.end)));
  }
}
