/**
 * The panel's tabs: Inspect (the model view) and one per analysis (Timings, Drift, Streaming), as
 * a WAI-ARIA tab list (arrow keys move between tabs). An analysis tab shows its empty, loading,
 * error or data state; the Timings tab also holds the Profile action with its repeat count.
 */
import type { AnalysisTab } from '../../extension/protocol/panel';
import { button, progressRing, stateNote } from '../ui';

export type Tab = 'inspect' | AnalysisTab;
export type AnalysisSlot<T> = { data: T } | { loading: string } | { error: string };

const TABS: { id: Tab; label: string }[] = [
  { id: 'inspect', label: 'Inspect' }, { id: 'timings', label: 'Timings' }, { id: 'compare', label: 'Compare' }, { id: 'drift', label: 'Drift' }, { id: 'streaming', label: 'Streaming' },
];

const EMPTY: Record<AnalysisTab, string> = {
  timings: 'No profile yet. Inspect a prompt, then press Profile to time every attention kernel on it.',
  compare: 'No comparison yet. Inspect a prompt, then run “AttnScope: Compare Variants…”.',
  drift: 'No drift report yet. Inspect a prompt, then run “AttnScope: Show Quantization Drift”.',
  streaming: 'No streaming report yet. Inspect a prompt, then run “AttnScope: Simulate Streaming Window…”.',
};

export interface TabsOptions {
  tab: Tab;
  analyses: Partial<Record<AnalysisTab, AnalysisSlot<unknown>>>;
  repeat: number;
  width: number;
  onTab(tab: Tab): void;
  onProfile(repeat: number): void;
  /** The view of an analysis tab's data. */
  body(tab: AnalysisTab): HTMLElement | null;
}

export function analysisTabs(o: TabsOptions): HTMLElement {
  const wrap = document.createElement('div');
  wrap.className = 'tabs';
  const list = document.createElement('div');
  list.className = 'tab-list';
  list.setAttribute('role', 'tablist');
  list.setAttribute('aria-label', 'AttnScope views');
  const buttons = TABS.map((t) => {
    const b = document.createElement('button');
    b.className = 'tab';
    b.id = `tab-${t.id}`;
    b.textContent = t.label;
    b.setAttribute('role', 'tab');
    b.setAttribute('aria-selected', String(t.id === o.tab));
    b.setAttribute('aria-controls', `panel-${t.id}`);
    b.tabIndex = t.id === o.tab ? 0 : -1;
    b.addEventListener('click', () => { if (t.id !== o.tab) o.onTab(t.id); });
    return b;
  });
  list.addEventListener('keydown', (e) => {
    const i = TABS.findIndex((t) => t.id === o.tab);
    const step: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1 };
    if (!(e.key in step)) return;
    e.preventDefault();
    const next = TABS[(i + step[e.key] + TABS.length) % TABS.length].id;
    o.onTab(next);
    document.getElementById(`tab-${next}`)?.focus();
  });
  list.append(...buttons);
  wrap.append(list);
  if (o.tab === 'inspect') return wrap;
  const tab = o.tab;
  const panel = document.createElement('section');
  panel.className = `tab-panel tab-panel-${tab}`;
  panel.id = `panel-${tab}`;
  panel.setAttribute('role', 'tabpanel');
  panel.setAttribute('aria-labelledby', `tab-${tab}`);
  const slot = o.analyses[tab];
  panel.setAttribute('aria-busy', String(!!slot && 'loading' in slot));
  if (tab === 'timings') panel.append(profileControls(o.repeat, !!slot && 'loading' in slot, o.onProfile));
  if (!slot) panel.append(stateNote('empty', EMPTY[tab]));
  else if ('loading' in slot) { const n = stateNote('loading', slot.loading); n.prepend(progressRing()); panel.append(n); } else if ('error' in slot) panel.append(stateNote('error', slot.error));
  else { const body = o.body(tab); if (body) panel.append(body); }
  wrap.append(panel);
  return wrap;
}

/** Repeat count and the Profile action (disabled while a profile runs). */
function profileControls(repeat: number, running: boolean, onProfile: (repeat: number) => void): HTMLElement {
  const controls = document.createElement('div');
  controls.className = 'controls';
  const label = document.createElement('label');
  label.className = 'control';
  label.append('Repeat (measured rounds)');
  const input = document.createElement('input');
  input.id = 'profile-repeat';
  input.type = 'number';
  input.min = '1';
  input.max = '1000';
  input.step = '1';
  input.value = String(repeat);
  label.append(input);
  const problem = document.createElement('span');
  problem.className = 'field-problem';
  problem.setAttribute('role', 'alert');
  const go = (): void => {
    const n = Number(input.value);
    if (!Number.isInteger(n) || n < 1 || n > 1000) { problem.textContent = `Repeat must be a whole number from 1 to 1000, not “${input.value}”.`; return; }
    onProfile(n);
  };
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); go(); } });
  const b = button('Profile', 'Time every attention kernel on the last inspected prompt (one warm-up, then the measured rounds)', go);
  b.id = 'profile-run';
  if (running) b.setAttribute('disabled', '');
  controls.append(label, b, problem);
  return controls;
}
