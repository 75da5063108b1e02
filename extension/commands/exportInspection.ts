import { type ExportFormat, type ExportView, EXPORT_VIEW_LABELS } from '../protocol/panelExport';
import * as vscode from 'vscode';
import { inspectionHtml } from '../export/htmlReport';
import { saveExport } from '../export/saveExport';
import { inspectionCsv, inspectionJson } from '../export/serialize';
import type { PanelHost } from '../panel/panelHost';
import type { Session } from '../session';

type ExportPick = vscode.QuickPickItem & ({ file: 'html' | 'json' | 'csv' } | { view: ExportView; format: ExportFormat });

const VIEW_DETAIL: Record<ExportView, string> = {
  strip: 'The prompt tokens coloured as in the panel',
  grid: 'Layer × head cells coloured by α₁',
  head: 'The attention map of the head open in the panel',
};

/**
 * AttnScope: Export… — a standalone HTML report, the numbers as JSON or CSV, or a panel view as
 * SVG (drawn from the numbers) or PNG (from the panel's canvas).
 */
export async function exportInspection(session: Session, panel: PanelHost): Promise<void> {
  const last = session.last;
  if (!last || !session.model) throw new Error('Nothing to export yet: run AttnScope: Inspect Selection first.');
  const picks: ExportPick[] = [
    { label: 'HTML report', file: 'html', detail: 'Standalone page (no scripts, no network): settings, token strip, grid, α₁ and per-token tables, outputs' },
    { label: 'JSON', file: 'json', detail: 'Every number: α per layer, head and token, sink scores, tokens, timings' },
    { label: 'CSV', file: 'csv', detail: 'One row per token: id, text, sink score, α per layer and head' },
  ];
  for (const view of ['strip', 'grid', 'head'] as const) {
    for (const format of ['svg', 'png'] as const) picks.push({ label: `${format.toUpperCase()}: ${EXPORT_VIEW_LABELS[view]}`, view, format, detail: VIEW_DETAIL[view] });
  }
  const pick = await vscode.window.showQuickPick(picks, { title: 'AttnScope: export the inspection' });
  if (!pick) return;
  if ('view' in pick) { await panel.exportView({ view: pick.view, format: pick.format }); return; }
  const ctx = { model: session.model.path, variant: last.variant, backend: last.backend, epsilon: last.epsilon };
  const text = pick.file === 'json' ? inspectionJson(last.result, ctx) : pick.file === 'csv' ? inspectionCsv(last.result) : inspectionHtml(last.result, ctx);
  const base = session.model.name.replace(/\.onnx$/i, '');
  await saveExport(`${base}.attnscope.${pick.file}`, new TextEncoder().encode(text), pick.file === 'html' ? 'HTML report' : pick.label);
}
