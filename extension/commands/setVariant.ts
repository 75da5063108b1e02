import * as vscode from 'vscode';
import { config } from '../config';
import { SETTINGS } from '../settings';
import { variantPicks } from '../variantPicks';

/** AttnScope: Set Variant… — a quick pick of every variant with its one-line description. */
export async function setVariant(): Promise<void> {
  const picks = variantPicks(config.variant());
  const pick = await vscode.window.showQuickPick(picks, { title: 'AttnScope: attention variant', matchOnDescription: true, matchOnDetail: true, placeHolder: 'The normalizer every attention core computes' });
  if (pick) await config.write(SETTINGS.variant.key, pick.id);
}
