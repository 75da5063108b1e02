/**
 * Roving tabindex: one tab stop for a group of cells, arrow keys move within it (WAI-ARIA grid
 * pattern), Enter/Space activates. Keeps a 512-token strip or a 144-cell grid keyboard reachable
 * without hundreds of tab stops.
 */
export function roving(container: HTMLElement, cells: HTMLElement[], columns: number, activate: (index: number) => void): (index: number) => void {
  let current = 0;
  const focusCell = (i: number, focus: boolean): void => {
    cells[current]?.setAttribute('tabindex', '-1');
    current = Math.max(0, Math.min(cells.length - 1, i));
    cells[current]?.setAttribute('tabindex', '0');
    if (focus) cells[current]?.focus();
  };
  cells.forEach((c, i) => {
    c.setAttribute('tabindex', i === 0 ? '0' : '-1');
    c.addEventListener('click', () => { focusCell(i, false); activate(i); });
    // Focus that arrives another way (mouse, a screen reader) moves the roving position too.
    c.addEventListener('focus', () => { if (i !== current) focusCell(i, false); });
  });
  container.addEventListener('keydown', (e) => {
    const step: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns, Home: -current, End: cells.length - 1 - current };
    if (e.key in step) { e.preventDefault(); focusCell(current + step[e.key], true); } else if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); activate(current); }
  });
  return (i) => focusCell(i, false);
}
