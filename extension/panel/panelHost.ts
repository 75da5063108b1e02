/**
 * Hosts the panel webview: strict CSP, resources only from dist/ (the script and the WASM kernels)
 * and media/css/, every message from the webview validated; forwards head-map requests to the
 * runtime and re-runs the inspection when the panel changes the variant. The panel is restored
 * after a window reload (its webview keeps its view state; it shows the empty state until an
 * inspection).
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { type Channel, RpcPeer } from '../../runtime/protocol/rpc';
import { config } from '../config';
import {
  type PanelHostEvents, panelHostEventValidators, type PanelHostMethods, panelHostParamValidators, type PanelViewEvents, type PanelViewMethods,
} from '../protocol/panel';
import type { RuntimeSupervisor } from '../runtime/supervisor';
import type { Session } from '../session';
import { MODEL_VARIANT, SETTINGS, type VariantChoice } from '../settings';
import { variantSpec } from '../variantPicks';
import { newNonce, panelHtml } from './html';
import { panelInspection, panelVariants } from './inspection';
import { compareForPanel, driftForPanel, streamForPanel } from './analysisViews';
import { profileCsv, profileTraceJson } from './profileExport';
import type { PanelProfile } from '../protocol/analyses';
import type { CompareReport, DriftReport, StreamReport } from '../../runtime/protocol/runtime';
import { EXPORT_VIEW_LABELS, type PanelExport, type PanelExportRequest } from '../protocol/panelExport';
import { saveExport } from '../export/saveExport';

type HostPeer = RpcPeer<PanelHostMethods, PanelViewMethods, PanelHostEvents, PanelViewEvents>;

/** The panel's webview type (package.json activates on it, so a reload restores the panel). */
export const PANEL_VIEW_TYPE = 'attnscope.panel';

export class PanelHost implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private peer?: HostPeer;
  private ready = false;
  /** What an inspection in progress shows in the panel (see running()). */
  private progress?: string;
  /** The last profile the Timings tab shows, for its export. */
  private lastProfile?: PanelProfile;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly extensionUri: vscode.Uri, private readonly session: Session, private readonly runtime: RuntimeSupervisor, private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(session.onDidChange(() => this.push()));
  }

  show(preserveFocus = false): void {
    if (this.panel) { this.panel.reveal(undefined, preserveFocus); return; }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, 'AttnScope', { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, this.webviewOptions());
    this.attach(panel);
  }

  /** Serializer for window reloads: VS Code hands back the panel it had (the webview's own state travels with it). */
  serializer(): vscode.WebviewPanelSerializer {
    return {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => {
        if (this.panel) { panel.dispose(); return; }
        panel.webview.options = this.webviewOptions();
        this.attach(panel);
      },
    };
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    const roots = [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media', 'css')];
    return { enableScripts: true, localResourceRoots: roots, retainContextWhenHidden: true };
  }

  private attach(panel: vscode.WebviewPanel): void {
    const w = panel.webview;
    const dist = (file: string): string => w.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', file)).toString();
    w.html = panelHtml({
      cspSource: w.cspSource, nonce: newNonce(),
      scriptUri: dist('webview.js'), wasmUri: dist('attnscope_kernels.wasm'), codiconUri: dist('codicon.css'),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'css', 'panel.css')).toString(),
    });
    const channel: Channel = {
      post: (m) => { void w.postMessage(m); },
      onMessage: (l) => { const d = w.onDidReceiveMessage(l); return () => d.dispose(); },
    };
    const peer: HostPeer = new RpcPeer<PanelHostMethods, PanelViewMethods, PanelHostEvents, PanelViewEvents>(channel, {
      handlers: { headMap: (params) => this.runtime.request('headMap', params), headTiles: (params, ctx) => this.runtime.request('headTiles', params, ctx.signal) },
      paramValidators: panelHostParamValidators,
      eventValidators: panelHostEventValidators,
      onInvalid: (reason) => this.log.warn(`panel message refused: ${reason}`),
    });
    peer.on('ready', () => { this.ready = true; this.push(); });
    peer.on('setVariant', ({ variant, params }) => void this.setVariant(variant, params ?? ''));
    peer.on('setMetric', (m) => void this.session.setOverlayMetric(m));
    peer.on('export', (e) => void this.saveExport(e));
    peer.on('profile', ({ repeat }) => void this.profile(repeat));
    peer.on('exportProfile', ({ format }) => void this.exportProfile(format));
    this.panel = panel;
    this.peer = peer;
    panel.onDidDispose(() => { peer.dispose(); this.panel = undefined; this.peer = undefined; this.ready = false; }, null, this.disposables);
  }

  /**
   * Opens the panel (without taking focus) showing `message` while an inspection runs, or, with
   * undefined, ends that (the result, or the previous state after a failure, is pushed).
   */
  running(message: string | undefined): void {
    this.progress = message;
    if (message) this.show(true);
    this.push();
  }

  /** Sends the panel what it should show now. */
  push(): void {
    if (!this.peer || !this.ready) return;
    if (this.progress) { this.peer.notify('loading', { message: this.progress }); return; }
    const last = this.session.last;
    if (!last) {
      this.peer.notify('notice', {
        message: this.session.model
          ? `${this.session.model.name} is open. Select a prompt and run “AttnScope: Inspect Selection”.`
          : 'No model is open. Run “AttnScope: Open Model…”, then “AttnScope: Inspect Selection” on a prompt.',
      });
      return;
    }
    const drift = this.session.driftOfLast();
    this.peer.notify('show', {
      inspection: panelInspection(last.result, {
        model: this.session.model!, variant: last.choice.variant, variantParams: last.choice.params, backend: last.backend, epsilon: last.epsilon,
        variants: panelVariants(), drift: drift ? { label: drift.label, values: { shape: [drift.values.length], data: drift.values } } : null,
      }),
    });
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }

  /** Asks the panel for a view as SVG or PNG (Export…); its `export` answer is saved like a button's. */
  async exportView(request: PanelExportRequest): Promise<void> {
    if (!this.session.last) throw new Error('Nothing to export yet: run AttnScope: Inspect Selection first.');
    this.show(true);
    for (let waited = 0; !(this.peer && this.ready); waited += 50) {
      if (waited > 10_000) throw new Error('The AttnScope panel did not load within 10 s: run AttnScope: Show Panel, then Export… again.');
      await new Promise((r) => setTimeout(r, 50));
    }
    this.peer.notify('exportView', request);
  }

  private async saveExport(e: PanelExport): Promise<void> {
    const what = `${EXPORT_VIEW_LABELS[e.view]} ${e.format.toUpperCase()}`;
    if ('problem' in e) { void vscode.window.showWarningMessage(`AttnScope: cannot export the ${what}: ${e.problem}`); return; }
    const bytes = e.format === 'png' ? Buffer.from(e.data, 'base64') : new TextEncoder().encode(e.data);
    await saveExport(e.name, bytes, what).catch((err: unknown) => vscode.window.showErrorMessage(`AttnScope: ${err instanceof Error ? err.message : String(err)}`));
  }

  /** Shows a comparison of two variants in the panel's Compare tab (compare mode). */
  async showCompare(r: CompareReport, model: string): Promise<void> {
    (await this.loaded())?.notify('compare', { compare: compareForPanel(r, model) });
  }

  /** Shows a drift report in the panel's Drift tab (opening the panel beside the editor). */
  async showDrift(r: DriftReport, model: string): Promise<void> {
    (await this.loaded())?.notify('drift', { drift: driftForPanel(r, model) });
  }

  /** Shows a streaming report in the panel's Streaming tab. */
  async showStream(r: StreamReport, model: string): Promise<void> {
    (await this.loaded())?.notify('stream', { stream: streamForPanel(r, model) });
  }

  /** The panel's peer once its webview has loaded (shown without taking focus), or undefined after 10 s. */
  private async loaded(): Promise<HostPeer | undefined> {
    this.show(true);
    for (let waited = 0; !(this.peer && this.ready); waited += 50) {
      if (waited > 10_000) { this.log.warn('the AttnScope panel did not load within 10 s'); return undefined; }
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.peer;
  }

  /**
   * Profiles the attention kernels on the last inspected prompt (the runtime runs `attnscope
   * profile` in its process): the model's own normalizer and the panel's variant, on the native and
   * wasm kernels, `repeat` measured rounds. Progress, errors and the result go to the Timings tab.
   */
  private async profile(repeat: number): Promise<void> {
    const peer = this.peer;
    if (!peer) return;
    const state = (s: 'loading' | 'error', message: string): void => peer.notify('analysisState', { tab: 'timings', state: s, message });
    const last = this.session.last;
    if (!last) { state('error', 'Nothing inspected yet: run “AttnScope: Inspect Selection” on a prompt, then Profile.'); return; }
    const variants = [...new Set<string>([MODEL_VARIANT, last.choice.variant])];
    try {
      const profile = await this.runtime.call(`AttnScope: profiling ${variants.join(', ')}`, 'profile', { variants, backends: ['native', 'wasm'], repeat }, (p) => state('loading', p.message));
      this.lastProfile = profile;
      peer.notify('profile', { profile });
    } catch (err) {
      state('error', err instanceof Error ? err.message : String(err));
    }
  }

  /** Saves the last profile's trace (open it in Perfetto or chrome://tracing) or its table as CSV. */
  private async exportProfile(format: 'trace' | 'csv'): Promise<void> {
    const p = this.lastProfile;
    const what = format === 'trace' ? 'profile trace' : 'profile table';
    try {
      if (!p) throw new Error('No profile yet: press Profile in the Timings tab first.');
      const base = basename(p.report.model).replace(/\.onnx$/i, '');
      const text = format === 'trace' ? profileTraceJson(p) : profileCsv(p);
      await saveExport(`${base}.profile.${format === 'trace' ? 'trace.json' : 'csv'}`, new TextEncoder().encode(text), what);
    } catch (err) {
      void vscode.window.showErrorMessage(`AttnScope: cannot export the ${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Shows a one-line error in the panel. */
  error(message: string): void {
    if (this.peer && this.ready) this.peer.notify('error', { message });
  }

  /**
   * Re-runs the inspection with the variant at once, then writes the setting (writing the
   * workspace settings file first added ~0.6 s before the run started); the settings listener
   * then finds the inspection already current.
   */
  private async setVariant(variant: string, params: string): Promise<void> {
    if (variant !== MODEL_VARIANT && !(SETTINGS.variant.enum as readonly string[]).includes(variant)) { this.log.warn(`panel asked for unknown variant ${variant}`); return; }
    const choice = variant as VariantChoice;
    try {
      variantSpec(choice, params);
    } catch (err) {
      this.error(err instanceof Error ? err.message : String(err));
      return;
    }
    if (this.session.last) {
      this.peer?.notify('loading', { message: `Running ${variant}${params ? `:${params}` : ''}…` });
      try {
        const before = this.session.last;
        // Nothing to run (the inspection already used these): show it again, which clears the panel's progress line.
        if (await this.session.rerun(choice, params) === before) this.push();
      } catch (err) {
        this.error(err instanceof Error ? err.message : String(err));
        return; // the settings keep the variant that last ran
      }
    }
    await config.writeMany([[SETTINGS.variantParams.key, choice === MODEL_VARIANT ? '' : params], [SETTINGS.variant.key, choice]]);
  }
}
