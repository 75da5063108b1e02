import * as vscode from 'vscode';
import { VARIANTS } from '../../runtime/kernels/variants';
import { config } from '../config';
import type { Session } from '../session';
import { MODEL_VARIANT, SETTINGS } from '../settings';
import { paramsPrompt, variantPicks, variantSpec } from '../variantPicks';

/**
 * AttnScope: Set Variant… — a quick pick of every variant with its one-line description and
 * parameters; for a variant with parameters, an input box sets them (`name=value,...`, empty for
 * the defaults), checked against the registry as it is typed.
 */
export async function setVariant(session: Session): Promise<void> {
  const current = config.variant();
  const picks = variantPicks(current);
  const pick = await vscode.window.showQuickPick(picks, { title: 'AttnScope: attention variant', matchOnDescription: true, matchOnDetail: true, placeHolder: 'The normalizer every attention core computes' });
  if (!pick) return;
  let params = '';
  if (pick.id !== MODEL_VARIANT && VARIANTS[pick.id].params.length) {
    const answer = await vscode.window.showInputBox({
      title: `AttnScope: ${pick.id} parameters`,
      prompt: `name=value,… or empty for the defaults. ${paramsPrompt(pick.id)}`,
      placeHolder: VARIANTS[pick.id].params.map((p) => `${p.name}=${p.default}`).join(','),
      value: pick.id === current ? config.variantParams() : '',
      validateInput: (v) => { try { variantSpec(pick.id, v); return null; } catch (e) { return (e as Error).message; } },
    });
    if (answer === undefined) return;
    params = answer.trim();
  }
  // Runs at once (as the panel's swap does), then writes both settings as one change.
  await session.rerun(pick.id, params);
  await config.writeMany([[SETTINGS.variantParams.key, params], [SETTINGS.variant.key, pick.id]]);
}
