/**
 * What the kernels measured of themselves, under the run's summary: one compact line per statistic
 * that applies (the same lines `attnscope inspect` prints), nothing when none does. Invalid rows
 * carry the warning codicon in the theme's warning colour.
 */
import { kernelStatsLines, type KernelStats } from '../../runtime/protocol/kernelStats';

/** VS Code's own warning codicon (dist/codicon.css, from @vscode/codicons), in the line's colour. */
function warningIcon(): HTMLElement {
  const icon = document.createElement('span');
  icon.className = 'codicon codicon-warning';
  icon.setAttribute('aria-hidden', 'true');
  return icon;
}

export function kernelStatsView(stats: KernelStats): HTMLElement | null {
  const lines = kernelStatsLines(stats);
  if (!lines.length) return null;
  const list = document.createElement('ul');
  list.className = 'kernel-stats';
  list.setAttribute('aria-label', 'Kernel statistics');
  for (const l of lines) {
    const li = document.createElement('li');
    li.className = `kernel-stat kernel-stat-${l.kind}`;
    if (l.kind === 'invalid') li.append(warningIcon());
    const text = document.createElement('span');
    text.textContent = l.text;
    li.append(text);
    list.append(li);
  }
  return list;
}
