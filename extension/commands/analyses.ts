/** Compare Variants…, Show Quantization Drift and Simulate Streaming Window…: reports on the last inspected prompt. */
import * as vscode from 'vscode';
import { config } from '../config';
import { compareMarkdown, driftMarkdown, streamMarkdown } from '../reports/markdown';
import { resolveBackend } from '../runtime/backendChoice';
import type { PanelHost } from '../panel/panelHost';
import type { RuntimeSupervisor } from '../runtime/supervisor';
import type { Session } from '../session';
import { MODEL_VARIANT } from '../settings';
import { variantPicks } from '../variantPicks';

/** Every report starts with this heading (reports/markdown.ts). */
const REPORT_HEADING = '# AttnScope';

/**
 * Opens a report beside the editor, or in the group that already holds a report tab, so that a series
 * of reports stacks up as tabs of one group instead of opening a new group each time.
 */
async function showReport(markdown: string): Promise<void> {
  const reports = new Set(vscode.workspace.textDocuments.filter((d) => d.isUntitled && d.languageId === 'markdown' &&
    d.lineAt(0).text.startsWith(REPORT_HEADING)).map((d) => d.uri.toString()));
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown });
  const group = vscode.window.tabGroups.all.find((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && reports.has(t.input.uri.toString())));
  await vscode.window.showTextDocument(doc, { viewColumn: group?.viewColumn ?? vscode.ViewColumn.Beside, preview: true });
}

function inspected(session: Session): { model: string; variant: string } {
  if (!session.model || !session.last) throw new Error('Run AttnScope: Inspect Selection first: the analyses use the last inspected prompt.');
  return { model: session.model.name, variant: session.last.result.variants[0] };
}

async function backend(runtime: RuntimeSupervisor, session: Session): Promise<'js' | 'native' | 'wasm'> {
  const info = await runtime.runtimeInfo();
  return resolveBackend(config.backend(), session.neededVariants()[0], info.kernels);
}

export async function compareVariants(runtime: RuntimeSupervisor, session: Session, panel: PanelHost): Promise<void> {
  const { model, variant } = inspected(session);
  const pick = await vscode.window.showQuickPick(variantPicks(MODEL_VARIANT).filter((p) => p.id !== MODEL_VARIANT), {
    title: `AttnScope: compare ${variant} with…`, matchOnDetail: true,
  });
  if (!pick) return;
  const r = await runtime.call(`AttnScope: comparing ${variant} with ${pick.id}`, 'compare', { variantA: variant, variantB: pick.id, backend: await backend(runtime, session), epsilon: config.sinkEpsilon() });
  await showReport(compareMarkdown(r, model));
  await panel.showCompare(r, model);
}

export async function showDrift(runtime: RuntimeSupervisor, session: Session, panel: PanelHost): Promise<void> {
  const { model } = inspected(session);
  const pick = await vscode.window.showQuickPick([
    { label: 'ivit', quant: 'ivit' as const, detail: 'I-ViT integer-only attention: int8 Q/K/V, int32 Q·Kᵀ, dyadic requantization, Shiftmax' },
    { label: 'int8', quant: 'int8' as const, detail: 'int8 fake-quant Q/K/V with a float softmax' },
  ], { title: 'AttnScope: quantization drift against fp32' });
  if (!pick) return;
  const ids = session.last!.result.tokens.map((t) => t.id);
  const r = await runtime.call(`AttnScope: ${pick.label} drift`, 'drift', { quant: pick.quant, backend: await backend(runtime, session), epsilon: config.sinkEpsilon() });
  // The overlay's and the strip's drift metric: |Δ attention received| per token of this prompt.
  if (r.tokenDrift.length === ids.length) session.setDrift(ids, `${r.quant} vs fp32`, Float32Array.from(r.tokenDrift, (t) => t.deltaAttention));
  await showReport(driftMarkdown(r, model));
  await panel.showDrift(r, model);
}

export async function simulateStreaming(runtime: RuntimeSupervisor, session: Session, panel: PanelHost): Promise<void> {
  const { model } = inspected(session);
  const n = session.last!.result.tokens.length;
  const answer = await vscode.window.showInputBox({
    title: 'AttnScope: StartRecent cache', prompt: `sinks,window (their sum below the prompt's ${n} tokens)`,
    value: `4,${Math.max(1, Math.floor(n / 2) - 4)}`,
    validateInput: (v) => {
      const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(v);
      if (!m) return 'Give two integers: sinks,window (e.g. 4,64).';
      return Number(m[1]) + Number(m[2]) < n && Number(m[2]) >= 1 ? null : `sinks + window must be below ${n} and window at least 1.`;
    },
  });
  if (!answer) return;
  const [sinks, window] = answer.split(',').map((x) => Number(x.trim()));
  const r = await runtime.call(`AttnScope: streaming ${sinks} + ${window}`, 'stream', { sinks, window, backend: await backend(runtime, session) });
  await showReport(streamMarkdown(r, model));
  await panel.showStream(r, model);
}
