/**
 * The only module that touches the component library (@vscode/webview-ui-toolkit, no longer
 * maintained upstream): swapping it means rewriting this file alone.
 */
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDropdown, vsCodeOption, vsCodeProgressRing, vsCodeTextField } from '@vscode/webview-ui-toolkit';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDropdown(), vsCodeOption(), vsCodeProgressRing(), vsCodeTextField());

export interface Choice {
  value: string;
  label: string;
  title?: string;
}

/** A labelled drop-down; `onChange` gets the chosen value. */
export function dropdown(id: string, label: string, choices: Choice[], value: string, onChange: (value: string) => void): HTMLElement {
  const wrap = document.createElement('label');
  wrap.className = 'control';
  wrap.append(label);
  const dd = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
  dd.id = id;
  for (const c of choices) {
    const o = document.createElement('vscode-option') as HTMLElement & { value: string };
    o.setAttribute('value', c.value);
    o.textContent = c.label;
    if (c.title) o.title = c.title;
    if (c.value === value) o.setAttribute('selected', '');
    dd.append(o);
  }
  dd.addEventListener('change', () => onChange(dd.value));
  wrap.append(dd);
  return wrap;
}

export function button(label: string, title: string, onClick: () => void): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  b.title = title;
  b.setAttribute('appearance', 'secondary');
  b.addEventListener('click', onClick);
  return b;
}

export function progressRing(): HTMLElement {
  return document.createElement('vscode-progress-ring');
}

/** An empty, loading or error state: one line of text, announced as a status (or, for an error, an alert). */
export function stateNote(kind: 'empty' | 'loading' | 'error', text: string): HTMLElement {
  const d = document.createElement('div');
  d.className = `state state-${kind}`;
  d.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  const p = document.createElement('p');
  p.textContent = text;
  d.append(p);
  return d;
}

/** A labelled one-line text field; `onCommit` gets its text on Enter or when it loses focus after a change. */
export function textField(id: string, label: string, value: string, placeholder: string, title: string, onCommit: (text: string) => void): HTMLElement {
  const wrap = document.createElement('label');
  wrap.className = 'control';
  wrap.title = title;
  wrap.append(label);
  const f = document.createElement('vscode-text-field') as HTMLElement & { value: string };
  f.id = id;
  f.setAttribute('value', value);
  f.setAttribute('placeholder', placeholder);
  f.addEventListener('change', () => onCommit(f.value));
  f.addEventListener('keydown', (e) => { if ((e as KeyboardEvent).key === 'Enter') { e.preventDefault(); onCommit(f.value); } });
  wrap.append(f);
  return wrap;
}
