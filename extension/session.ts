/**
 * The state the commands share: the model the runtime holds and the last inspection (which
 * document and where in it, so the overlay and hover can map tokens back). Re-sends the model to
 * a restarted runtime.
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { BackendId, VariantId } from '../runtime/kernels/types';
import type { InspectResult, ModelSummary } from '../runtime/protocol/runtime';
import { config } from './config';
import { directValues, driftValues, type OverlayValues, queryValues } from './overlay/metricValues';
import { parseIdPrompt, type TokenSpan, tokenSpans } from './overlay/tokenSpans';
import type { PanelMetric } from './protocol/panel';
import { resolveBackend } from './runtime/backendChoice';
import type { RuntimeSupervisor } from './runtime/supervisor';
import { type BackendChoice, MODEL_VARIANT, type VariantChoice } from './settings';
import { variantLabel, variantSpec } from './variantPicks';

export interface Inspection {
  uri: vscode.Uri;
  /** Document version the spans belong to; an edit makes the inspection stale. */
  version: number;
  /** The prompt range in the document (re-used when the variant changes). */
  range: vscode.Range;
  result: InspectResult;
  spans: TokenSpan[];
  variant: string;
  backend: BackendId;
  epsilon: number;
  /** The variant and backend settings it ran with: a settings change to these same values needs no re-run. */
  choice: { variant: VariantChoice; params: string; backend: BackendChoice };
}

/** Per-token drift of one prompt (token ids) from the last Show Quantization Drift. */
export interface TokenDrift {
  ids: number[];
  label: string;
  /** |Δ attention received| per token. */
  values: Float32Array;
}

const LAST_MODEL_KEY = 'attnscope.lastModel';

export class Session implements vscode.Disposable {
  model?: ModelSummary;
  last?: Inspection;
  /** What the overlay paints (chosen in the panel), and its values for the last inspection. */
  overlayMetric: PanelMetric = { metric: 'sink' };
  overlayValues?: OverlayValues;
  /** The last quantization drift run, for the overlay's drift metric while its prompt is the inspected one. */
  drift?: TokenDrift;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the model or the inspection changes (or the inspection goes stale). */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  /** A model load in the background (preload(), or the default model for an Inspect without one). */
  private loading?: Promise<unknown>;

  /**
   * `defaultModel`: the bundled demo model, used when Inspect runs with no model open; `memory`
   * keeps the last model opened in this workspace, loaded again in the background at activation.
   */
  constructor(private readonly runtime: RuntimeSupervisor, private readonly defaultModel?: string, private readonly memory?: vscode.Memento) {
    this.disposables.push(runtime.onDidChange(({ info }) => {
      // A fresh runtime holds no model: load the same one again so the user can carry on.
      if (info && this.model) {
        const path = this.model.path;
        this.runtime.call(`AttnScope: reloading ${this.model.name}`, 'loadModel', { path, tokenizer: this.model.tokenizer ?? undefined })
          .then((m) => { this.model = m; this.changed.fire(); }, () => { this.model = undefined; this.last = undefined; this.changed.fire(); });
      }
    }));
  }

  /** The kernel variants a run will use: the chosen one, or the model's own normalizers. */
  neededVariants(v: VariantChoice = config.variant()): VariantId[] {
    if (v !== MODEL_VARIANT) return [v];
    const own = new Set((this.model?.cores ?? []).map((c) => (c.normalizer === 'sigmoid' ? 'sigmoid' : 'softmax') as VariantId));
    return own.size ? [...own] : ['softmax'];
  }

  async openModel(path: string): Promise<ModelSummary> {
    await this.loading?.catch(() => undefined); // a background load must not land after this one
    const m = await this.runtime.call(`AttnScope: loading ${path.split(/[\\/]/).pop()}`, 'loadModel', { path });
    this.model = m;
    this.last = undefined;
    void this.memory?.update(LAST_MODEL_KEY, path);
    this.changed.fire();
    return m;
  }

  /**
   * At activation: starts the runtime and loads the workspace's last model in the background
   * (the runtime then warms it up), so the first Inspect finds both ready. Silent: a failure only
   * leaves no model open.
   */
  preload(): void {
    const path = this.memory?.get<string>(LAST_MODEL_KEY);
    const load = async (): Promise<void> => {
      await this.runtime.runtimeInfo();
      if (!path || !existsSync(path) || this.model) return;
      const m = await this.runtime.request('loadModel', { path });
      if (!this.model) { this.model = m; this.changed.fire(); }
    };
    this.loading = load().catch(() => undefined);
  }

  /** A model to inspect with: the one open (or loading), else the bundled demo model. */
  async ensureModel(): Promise<ModelSummary> {
    await this.loading?.catch(() => undefined);
    if (this.model) return this.model;
    if (!this.defaultModel || !existsSync(this.defaultModel)) throw new Error('No model is open: run AttnScope: Open Model… first.');
    const m = await this.runtime.call('AttnScope: loading the demo model', 'loadModel', { path: this.defaultModel });
    this.model = m;
    this.changed.fire();
    return m;
  }

  /** Inspects `range` of `doc` with the current backend and ε, and `choice` with `params` (default: the variant settings). */
  async inspect(doc: vscode.TextDocument, range: vscode.Range, choice: VariantChoice = config.variant(), params: string = config.variantParams()): Promise<Inspection> {
    if (!this.model) throw new Error('No model is open: run AttnScope: Open Model… first.');
    const spec = variantSpec(choice, params);
    const text = doc.getText(range);
    if (!text.trim()) throw new Error('The selection is empty: select the prompt to inspect (or nothing, for the whole document).');
    const info = await this.runtime.runtimeInfo();
    const variants = this.neededVariants(choice);
    const backendChoice = config.backend();
    const backend = variants.map((v) => resolveBackend(backendChoice, v, info.kernels))[0];
    const epsilon = config.sinkEpsilon();
    const idPrompt = this.model.tokenizer ? undefined : parseIdPrompt(text);
    const result = await this.runtime.call(`AttnScope: inspecting ${doc.fileName.split(/[\\/]/).pop()}`, 'inspect', {
      prompt: idPrompt ? { ids: idPrompt.ids } : { text },
      variant: spec,
      backend, epsilon,
    });
    const start = doc.offsetAt(range.start);
    this.last = {
      uri: doc.uri, version: doc.version, range, result, epsilon, backend, choice: { variant: choice, params: spec ? params.trim() : '', backend: backendChoice },
      variant: choice === MODEL_VARIANT ? [...new Set(result.variants)].join(', ') : variantLabel(choice, params),
      spans: tokenSpans(result.tokens, start, idPrompt?.offsets),
    };
    this.overlayValues = undefined;
    this.changed.fire();
    await this.refreshOverlay();
    return this.last;
  }

  /** Paints the overlay by `metric` from now on (the panel's "Colour by"). */
  async setOverlayMetric(metric: PanelMetric): Promise<void> {
    this.overlayMetric = metric;
    await this.refreshOverlay();
  }

  private async refreshOverlay(): Promise<void> {
    const last = this.last;
    if (!last) return;
    const m = this.overlayMetric;
    let values: OverlayValues | undefined;
    try {
      if (m.metric === 'drift') {
        const d = this.driftOfLast();
        values = d ? driftValues(d.values, d.label) : undefined;
      } else values = directValues(last.result, m) ?? undefined;
      if (!values && m.metric === 'query') {
        const map = await this.runtime.request('headMap', { layer: m.layer, head: m.head });
        values = queryValues(map.weights.data, map.weights.shape[0], map.weights.shape[1], m);
      }
    } catch {
      values = undefined; // a metric of another inspection's shape: fall back to the sink score
    }
    if (this.last !== last) return;
    this.overlayValues = values;
    this.changed.fire();
  }

  /**
   * Runs the last inspection again (after a variant or backend change), if its document is
   * unchanged; with `variant`, runs that variant without waiting for the setting to be written.
   * Nothing runs when the last inspection already used these settings (the panel's swap ran it
   * before writing the setting, so the settings listener finds nothing to do).
   */
  async rerun(variant?: VariantChoice, params?: string): Promise<Inspection | undefined> {
    const last = this.last;
    if (!last) return undefined;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === last.uri.toString());
    if (!doc || doc.version !== last.version) return undefined;
    const choice = variant ?? config.variant();
    const p = (params ?? (variant === undefined ? config.variantParams() : '')).trim();
    const same = choice === last.choice.variant && (choice === MODEL_VARIANT || p === last.choice.params);
    if (same && config.backend() === last.choice.backend) return last;
    return this.inspect(doc, last.range, choice, p);
  }

  /** Keeps a drift report's per-token drift for the overlay's drift metric (and the panel's strip). */
  setDrift(ids: number[], label: string, values: Float32Array): void {
    this.drift = { ids, label, values };
    this.changed.fire();
    void this.refreshOverlay();
  }

  /** The drift of the last inspection's prompt, if the last drift run was of that prompt. */
  driftOfLast(): TokenDrift | undefined {
    const d = this.drift;
    const t = this.last?.result.tokens;
    return d && t && d.ids.length === t.length && d.ids.every((id, i) => id === t[i].id) ? d : undefined;
  }

  /** The document changed under the inspection: its offsets no longer hold. */
  markStale(doc: vscode.TextDocument): void {
    if (this.last && this.last.uri.toString() === doc.uri.toString() && doc.version !== this.last.version) {
      this.last = undefined;
      this.changed.fire();
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
