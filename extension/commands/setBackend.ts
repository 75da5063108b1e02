import * as vscode from 'vscode';
import { config } from '../config';
import { backendsFor } from '../runtime/backendChoice';
import type { RuntimeSupervisor } from '../runtime/supervisor';
import type { Session } from '../session';
import { BACKEND_CHOICES, type BackendChoice, SETTINGS } from '../settings';

/** AttnScope: Set Backend… — the backends this runtime has for the current variant, plus auto. */
export async function setBackend(runtime: RuntimeSupervisor, session: Session): Promise<void> {
  const info = await runtime.runtimeInfo();
  const needed = session.neededVariants();
  const variant = needed.join(' + ');
  const have = needed.map((v) => backendsFor(v, info.kernels)).reduce((a, b) => a.filter((x) => b.includes(x)));
  const current = config.backend();
  const descriptions = SETTINGS.backend.enumDescriptions;
  const items = BACKEND_CHOICES.filter((b) => b === 'auto' || have.includes(b)).map((b) => ({
    choice: b as BackendChoice,
    label: b === current ? `$(check) ${b}` : b,
    description: b === 'auto' ? `now: ${have[0] ?? 'none'}` : undefined,
    detail: descriptions[BACKEND_CHOICES.indexOf(b)],
  }));
  const missing = BACKEND_CHOICES.filter((b) => b !== 'auto' && !have.includes(b));
  const pick = await vscode.window.showQuickPick(items, {
    title: `AttnScope: backend for ${variant}`,
    placeHolder: missing.length ? `Not in this runtime for ${variant}: ${missing.join(', ')}` : 'Every backend is available',
  });
  if (pick) await config.write(SETTINGS.backend.key, pick.choice);
}
