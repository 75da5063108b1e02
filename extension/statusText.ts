/** The status bar item's text and tooltip: model · variant · backend · last run time. */

export interface StatusState {
  /** File name of the loaded model, if any. */
  model?: string;
  variant: string;
  /** The backend setting or the resolved backend. */
  backend: string;
  /** Wall time of the last inspection in milliseconds. */
  lastRunMs?: number;
  /** A one-line runtime problem to show instead of the timing. */
  problem?: string;
}

export function statusText(s: StatusState): { text: string; tooltip: string } {
  const parts = [s.model ?? 'no model', s.variant, s.backend];
  if (s.problem) parts.push('runtime error');
  else if (s.lastRunMs !== undefined) parts.push(s.lastRunMs < 1000 ? `${Math.round(s.lastRunMs)} ms` : `${(s.lastRunMs / 1000).toFixed(2)} s`);
  const icon = s.problem ? '$(warning)' : '$(pulse)';
  const tooltip = [
    `AttnScope — model: ${s.model ?? 'none loaded'}`,
    `variant: ${s.variant}`,
    `backend: ${s.backend}`,
    ...(s.lastRunMs !== undefined ? [`last run: ${s.lastRunMs.toFixed(0)} ms`] : []),
    ...(s.problem ? [s.problem] : []),
  ].join('\n');
  return { text: `${icon} ${parts.join(' · ')}`, tooltip };
}
