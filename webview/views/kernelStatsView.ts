/**
 * What the kernels measured of themselves, under the run's summary: one compact line per statistic
 * that applies (the same lines `attnscope inspect` prints), nothing when none does. Invalid rows
 * carry a warning sign in the theme's warning colour.
 */
import { kernelStatsLines, type KernelStats } from '../../runtime/protocol/kernelStats';

const SVG = 'http://www.w3.org/2000/svg';

/** A 16 × 16 warning sign (a triangle with an exclamation mark), drawn in currentColor. */
function warningIcon(): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('icon-warning');
  const tri = document.createElementNS(SVG, 'path');
  tri.setAttribute('d', 'M8 1.8 L14.8 14.2 H1.2 Z');
  tri.setAttribute('fill', 'none');
  tri.setAttribute('stroke', 'currentColor');
  tri.setAttribute('stroke-width', '1.2');
  tri.setAttribute('stroke-linejoin', 'round');
  const bar = document.createElementNS(SVG, 'path');
  bar.setAttribute('d', 'M8 6 V10.2 M8 11.6 V12.4');
  bar.setAttribute('stroke', 'currentColor');
  bar.setAttribute('stroke-width', '1.4');
  bar.setAttribute('stroke-linecap', 'round');
  svg.append(tri, bar);
  return svg;
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
