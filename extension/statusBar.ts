/** The status bar item: model · variant · backend · last run time. */
import * as vscode from 'vscode';
import { COMMANDS } from './commands';
import { type StatusState, statusText } from './statusText';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('attnscope.status', vscode.StatusBarAlignment.Left, 50);
  private state: StatusState;

  constructor(initial: StatusState) {
    this.state = initial;
    this.item.name = 'AttnScope';
    this.item.command = COMMANDS.showPanel.id;
    this.render();
    this.item.show();
  }

  update(patch: Partial<StatusState>): void {
    this.state = { ...this.state, ...patch };
    this.render();
  }

  dispose(): void {
    this.item.dispose();
  }

  private render(): void {
    const { text, tooltip } = statusText(this.state);
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = this.state.problem ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }
}
