/**
 * The panel: controls, token strip, layer × head grid and head view, with clear empty, loading
 * and error states. Holds the view state (kept across a window reload through `store`); the
 * numbers come from the extension, except that a variant change re-renders the head on screen at
 * once with the panel's own WASM kernels (from the head's Q, K, V) while the runtime re-runs the
 * model, and compare mode computes the head under a second variant the same way.
 */
import type { PanelCompare, PanelDrift, PanelProfile, PanelStream } from '../extension/protocol/analyses';
import type { AnalysisTab, HeadMap, PanelHostEvents, PanelHostMethods, PanelInspection, PanelMetric, PanelViewEvents, PanelViewMethods } from '../extension/protocol/panel';
import { EXPORT_VIEW_LABELS, type ExportFormat, type ExportView, type PanelExport, type PanelExportRequest } from '../extension/protocol/panelExport';
import { parseVariant } from '../runtime/kernels/variants';
import type { RpcPeer } from '../runtime/protocol/rpc';
import { tensor } from '../runtime/protocol/tensor';
import { headWeights, panelKernels } from './headKernels';
import type { StateStore } from './vscodeChannel';
import { themeColor, themeRamp } from './color';
import { type Figure, figureSvg, type FigurePalette, gridFigure, headMapFigure, stripFigure } from './export/figure';
import { canvasPngBase64, paintFigure } from './export/paint';
import { button, dropdown, progressRing, stateNote, textField } from './ui';
import { analysisTabs, type AnalysisSlot, type Tab } from './views/analysisTabs';
import { compareHead } from './views/compareHead';
import { compareView } from './views/compareView';
import { driftView, type DriftMetric } from './views/driftView';
import { HeadView } from './views/headView';
import { kernelStatsView } from './views/kernelStatsView';
import { modelGrid } from './views/modelGrid';
import { outputsView } from './views/outputs';
import { streamView } from './views/streamView';
import { timingsView } from './views/timingsView';
import { tokenStrip } from './views/tokenStrip';

export type PanelPeer = RpcPeer<PanelViewMethods, PanelHostMethods, PanelViewEvents, PanelHostEvents>;

type Metric = 'sink' | 'alpha' | 'query' | 'drift';
const METRIC_LABELS: Record<Metric, string> = { sink: 'sink score', alpha: 'α of the selected head', query: 'attention from the query token', drift: 'drift (Δ attention received)' };

/** The open head: its map, where it was computed and under which variant; with compare mode's second map. */
interface OpenHead {
  map: HeadMap;
  view: HeadView;
  /** The variant string the map shows. */
  variant: string;
  /** 'runtime': from the model run; 'panel': recomputed here by the WASM kernels while the model re-runs. */
  source: 'runtime' | 'panel';
  compare?: { variant: string; element: HTMLElement; views: HeadView[] } | { variant: string; note: string; kind: 'loading' | 'error' };
}

/** The view state kept across a window reload. */
interface SavedState {
  selected?: { layer: number; head: number };
  query?: number;
  metric?: Metric;
  tab?: Tab;
  compareWith?: string;
}

type Screen =
  | { kind: 'empty'; message?: string }
  | { kind: 'loading'; message: string }
  | { kind: 'error'; message: string }
  | { kind: 'ready'; inspection: PanelInspection };

export class PanelApp {
  private screen: Screen = { kind: 'empty' };
  private selected?: { layer: number; head: number };
  private query?: number;
  private metric: Metric = 'sink';
  private announced = JSON.stringify({ metric: 'sink' });
  private head?: OpenHead | { loading: string } | { error: string };
  /** Where the head view sits in the rendered inspection (replaced alone when only the head changes). */
  private headSlot?: HTMLElement;
  /** Progress or a failure while an inspection is shown: a line above it, the inspection stays. */
  private banner?: { kind: 'loading' | 'error'; message: string };
  /** A bad variant parameter typed in the panel (nothing was sent). */
  private variantProblem?: string;
  /** Compare mode: the head view also shows the head under this variant (and the difference). */
  private compareWith?: string;
  /** The variant and parameters chosen in the panel since the inspection shown (sent, or refused as wrong). */
  private pending?: { variant: string; params: string; sent: boolean };
  private readonly kernelsUrl: string | undefined;
  private tab: Tab = 'inspect';
  private readonly analyses: { timings?: AnalysisSlot<PanelProfile>; compare?: AnalysisSlot<PanelCompare>; drift?: AnalysisSlot<PanelDrift>; streaming?: AnalysisSlot<PanelStream> } = {};
  private repeat = 5;
  private driftMetric: DriftMetric = 'divergence';

  constructor(private readonly root: HTMLElement, private readonly peer: PanelPeer, private readonly store?: StateStore) {
    this.kernelsUrl = root.dataset.wasm || undefined;
    const saved = (store?.get() ?? {}) as SavedState;
    this.selected = saved.selected;
    this.query = saved.query;
    this.metric = saved.metric ?? 'sink';
    this.tab = saved.tab ?? 'inspect';
    this.compareWith = saved.compareWith;
    peer.on('show', ({ inspection }) => this.show(inspection));
    peer.on('notice', ({ message }) => { this.screen = { kind: 'empty', message }; this.banner = undefined; this.render(); });
    peer.on('loading', ({ message }) => this.status('loading', message));
    peer.on('error', ({ message }) => this.status('error', message));
    peer.on('profile', ({ profile }) => this.showAnalysis('timings', { data: profile }));
    peer.on('compare', ({ compare }) => this.showAnalysis('compare', { data: compare }));
    peer.on('drift', ({ drift }) => this.showAnalysis('drift', { data: drift }));
    peer.on('stream', ({ stream }) => this.showAnalysis('streaming', { data: stream }));
    // Progress updates its tab without taking the user away from the tab they are on.
    peer.on('analysisState', ({ tab, state, message }) => this.showAnalysis(tab, state === 'loading' ? { loading: message } : { error: message }, state === 'error'));
    peer.on('exportView', (r) => this.exportView(r));
    this.render();
  }

  /** Loading or error: over the shown inspection as a banner (the head stays on screen), else as the whole screen. */
  private status(kind: 'loading' | 'error', message: string): void {
    if (this.screen.kind === 'ready') this.banner = { kind, message };
    else this.screen = { kind, message };
    this.render();
  }

  private show(inspection: PanelInspection): void {
    const prev = this.screen.kind === 'ready' ? this.screen.inspection : undefined;
    const sameShape = prev && prev.model.layers === inspection.model.layers && prev.model.heads === inspection.model.heads && prev.tokens.length === inspection.tokens.length;
    // The first inspection after a reload keeps the saved selection when it fits.
    const fits = !prev && (!this.selected || (this.selected.layer < inspection.model.layers && this.selected.head < inspection.model.heads)) && (this.query === undefined || this.query < inspection.tokens.length);
    if (!sameShape && !fits) { this.selected = undefined; this.query = undefined; this.metric = 'sink'; }
    if (this.metric === 'drift' && !inspection.drift) this.metric = 'sink';
    // The head on screen stays until the runtime's map for this inspection replaces it.
    if (!sameShape) this.head = undefined;
    this.banner = undefined;
    this.variantProblem = undefined;
    this.pending = undefined;
    this.screen = { kind: 'ready', inspection };
    this.render();
    if (this.selected) this.openHead(this.selected.layer, this.selected.head);
  }

  private save(): void {
    const s: SavedState = { selected: this.selected, query: this.query, metric: this.metric, tab: this.tab, compareWith: this.compareWith };
    this.store?.set(JSON.parse(JSON.stringify(s)) as SavedState); // without the unset keys
  }

  private showAnalysis(tab: AnalysisTab, slot: AnalysisSlot<PanelProfile | PanelCompare | PanelDrift | PanelStream>, focus = true): void {
    (this.analyses as Record<AnalysisTab, unknown>)[tab] = slot;
    if (focus) this.tab = tab;
    this.render();
  }

  /** A head picked in an analysis view: open it in the model view of the inspection. */
  private selectHead(layer: number, head: number): void {
    this.tab = 'inspect';
    if (this.screen.kind !== 'ready') { this.render(); return; }
    const { layers, heads } = this.screen.inspection.model;
    if (layer >= layers || head >= heads) {
      this.head = { error: `Layer ${layer} head ${head} is not in the inspected model (${layers} layers × ${heads} heads); inspect the profiled model.` };
      this.render();
      return;
    }
    this.openHead(layer, head);
  }

  private openHead(layer: number, head: number): void {
    this.selected = { layer, head };
    const showing = this.head && 'view' in this.head && this.head.map.layer === layer && this.head.map.head === head;
    if (!showing) this.head = { loading: `Loading layer ${layer} head ${head}…` };
    this.renderHead(true);
    this.peer.request('headMap', { layer, head }).then((map) => {
      if (this.selected?.layer !== layer || this.selected.head !== head || this.screen.kind !== 'ready') return;
      const [tq, tk] = headShape(map);
      const n = this.screen.inspection.tokens.length;
      if (tk !== n || tq > tk) { this.head = { error: `The head map is ${tq} × ${tk}, the prompt has ${n} tokens; run Inspect again.` }; this.render(); return; }
      const ins = this.screen.inspection;
      const variant = map.input?.variant ?? ins.variant;
      this.replaceHead({ map, view: this.headView(map, map.weights.data, variant, 'runtime'), variant, source: 'runtime' });
      if (this.compareWith) void this.compareHead(this.compareWith);
    }, (err: Error) => {
      if (this.selected?.layer === layer && this.selected.head === head) { this.head = { error: err.message }; this.render(); }
    });
  }

  /** Shows `head` (dropping the tile requests of the view it replaces). */
  private replaceHead(head: OpenHead): void {
    if (this.head && 'view' in this.head && this.head.view !== head.view) this.head.view.cancel();
    this.head = head;
    this.renderHead();
  }

  /** A view of `map` (pooled with its `lod`, fetching finer tiles from the extension) or of full `weights`. */
  private headView(map: HeadMap, weights: Float32Array, variant: string, source: OpenHead['source']): HeadView {
    const [tq, tk] = headShape(map);
    const lod = map.lod && weights === map.weights.data ? {
      level: map.lod.level,
      tiles: async (level: number, tiles: [number, number][], signal: AbortSignal) => (await this.peer.request('headTiles', { layer: map.layer, head: map.head, level, tiles, inspection: map.lod!.inspection }, { signal })).tiles,
    } : undefined;
    const size = Math.max(128, Math.min(768, this.root.clientWidth - 32));
    const tokens = this.screen.kind === 'ready' ? this.screen.inspection.tokens : [];
    const where = source === 'panel' ? ' · computed in the panel (WASM) while the model re-runs' : '';
    const view = new HeadView({ layer: map.layer, head: map.head, weights, lod, tq, tk, tokens, size, query: this.queryRow(tq, tk), title: `Layer ${map.layer} · head ${map.head} (${tq} × ${tk}) · ${variant}${where}` });
    view.canvas.dataset.source = source;
    view.canvas.dataset.variant = variant;
    return view;
  }

  /**
   * The variant control: validates the parameters (nothing is sent while they are wrong), asks the
   * extension to re-run the model, and re-renders the head on screen with the WASM kernels at once.
   */
  private chooseVariant(ins: PanelInspection, variant: string, params: string): void {
    const p = variant === 'model' ? '' : params.trim();
    const text = variant === 'model' ? undefined : p ? `${variant}:${p}` : variant;
    if (text) {
      try { parseVariant(text); } catch (e) { this.variantProblem = (e as Error).message; this.pending = { variant, params: p, sent: false }; this.render(); return; }
    }
    this.variantProblem = undefined;
    const same = this.pending ? this.pending.sent && this.pending.variant === variant && this.pending.params === p : variant === ins.variant && p === ins.variantParams;
    if (same) { this.render(); return; }
    this.pending = { variant, params: p, sent: true };
    this.peer.notify('setVariant', { variant, params: p });
    if (text) void this.recomputeHead(text);
  }

  /** The open head under `variant`, computed here from its Q, K, V (when the runtime sent them and the kernels load). */
  private async recomputeHead(variant: string): Promise<void> {
    const open = this.head;
    if (!open || !('view' in open) || !open.map.input || !this.kernelsUrl) return;
    const t0 = performance.now();
    let weights: Float32Array;
    try {
      weights = await headWeights(await panelKernels(this.kernelsUrl), open.map.input, open.map.head, variant);
    } catch (e) {
      console.warn(`AttnScope panel: cannot recompute layer ${open.map.layer} head ${open.map.head} as ${variant}: ${(e as Error).message}`);
      return;
    }
    if (this.head !== open) return; // another head, or the runtime's map, arrived meanwhile
    const map: HeadMap = { ...open.map, weights: tensor(weights, headShape(open.map)), lod: undefined };
    const view = this.headView(map, weights, variant, 'panel');
    view.canvas.dataset.computeMs = (performance.now() - t0).toFixed(1);
    this.replaceHead({ map, view, variant, source: 'panel' });
    if (this.compareWith) void this.compareHead(this.compareWith);
  }

  /** Compare mode: the open head under `variant` (B) beside its map (A), and B − A. */
  private async compareHead(variant: string | undefined): Promise<void> {
    this.compareWith = variant;
    const open = this.head;
    if (!open || !('view' in open)) { this.render(); return; }
    if (!variant) { open.compare = undefined; this.render(); return; }
    if (!open.map.input || !this.kernelsUrl) {
      open.compare = { variant, kind: 'error', note: 'Compare mode needs the head\'s Q, K, V from the runtime; inspect again.' };
      this.render();
      return;
    }
    open.compare = { variant, kind: 'loading', note: `Computing ${variant}…` };
    this.render();
    let a = open.map.weights.data;
    let b: Float32Array;
    try {
      const kernels = await panelKernels(this.kernelsUrl);
      // A pooled map (lod): A is computed here as well, at full resolution like B.
      if (open.map.lod) a = await headWeights(kernels, open.map.input, open.map.head, open.variant);
      b = await headWeights(kernels, open.map.input, open.map.head, variant);
    } catch (e) {
      if (this.head === open) { open.compare = { variant, kind: 'error', note: (e as Error).message }; this.render(); }
      return;
    }
    if (this.head !== open || this.compareWith !== variant) return;
    const [tq, tk] = headShape(open.map);
    const size = Math.max(128, Math.min(384, Math.floor((this.root.clientWidth - 48) / 2)));
    const tokens = this.screen.kind === 'ready' ? this.screen.inspection.tokens : [];
    const c = compareHead({ layer: open.map.layer, head: open.map.head, tq, tk, tokens, size, query: this.queryRow(tq, tk), a: { label: open.variant, weights: a }, b: { label: variant, weights: b } });
    open.compare = { variant, element: c.element, views: c.views };
    this.render();
  }

  /** Compare mode's control (a second variant for the open head) and its three maps. */
  private compareSection(ins: PanelInspection, open: OpenHead): HTMLElement {
    const s = document.createElement('section');
    s.className = 'compare-mode';
    const h = document.createElement('h3');
    h.textContent = 'Compare mode';
    const choices = [{ value: 'off', label: 'off' }, ...ins.variants.filter((v) => v.id !== 'model').map((v) => ({ value: v.id, label: v.id, title: v.description }))];
    const current = open.compare?.variant ?? this.compareWith ?? 'off';
    s.append(h, dropdown('compare-variant', `Compare ${open.variant} with`, choices.some((c) => c.value === current) ? choices : [...choices, { value: current, label: current }], current, (v) => void this.compareHead(v === 'off' ? undefined : v)));
    const c = open.compare;
    if (c && 'element' in c) s.append(c.element);
    else if (c) s.append(stateNote(c.kind, c.note));
    return s;
  }

  /** Exports a view as SVG (from the numbers) or PNG (the head view's canvas, or the figure painted) and posts it to the extension. */
  exportView(r: PanelExportRequest): void {
    let reply: PanelExport;
    try {
      const { data, name } = this.exportData(r.view, r.format);
      reply = { ...r, data, name };
    } catch (err) {
      reply = { ...r, problem: err instanceof Error ? err.message : String(err) };
    }
    this.peer.notify('export', reply);
  }

  private exportData(view: ExportView, format: ExportFormat): { data: string; name: string } {
    if (this.screen.kind !== 'ready') throw new Error(`Nothing to export: inspect a prompt first, then export the ${EXPORT_VIEW_LABELS[view]}.`);
    const ins = this.screen.inspection;
    const palette: FigurePalette = { lut: themeRamp(), background: themeColor('--vscode-editor-background'), foreground: themeColor('--vscode-editor-foreground') };
    const base = ins.model.name.replace(/\.onnx$/i, '').replace(/[^\w.-]+/g, '_');
    let figure: Figure;
    let name: string;
    if (view === 'head') {
      if (!this.head || !('view' in this.head)) throw new Error('No head is open: click a cell of the model grid, then export the head map.');
      const { map, view: hv } = this.head;
      name = `${base}.L${map.layer}h${map.head}.${format}`;
      if (format === 'png') return { data: canvasPngBase64(hv.canvas), name };
      const [tq, tk] = headShape(map);
      figure = headMapFigure({ layer: map.layer, head: map.head, weights: map.weights.data, tq, tk, level: map.lod?.level }, palette);
    } else if (view === 'grid') {
      name = `${base}.grid.${format}`;
      figure = gridFigure({ layers: ins.model.layers, heads: ins.model.heads, alpha: ins.alpha.data, tokens: ins.tokens.length }, palette);
    } else {
      name = `${base}.tokens.${format}`;
      figure = stripFigure({ tokens: ins.tokens, values: this.metricValues(ins), metricLabel: METRIC_LABELS[this.metric] }, palette);
    }
    return { data: format === 'svg' ? figureSvg(figure) : canvasPngBase64(paintFigure(figure, getComputedStyle(document.body).getPropertyValue('--vscode-editor-font-family') || 'monospace')), name };
  }

  private exportButtons(view: ExportView): HTMLElement {
    const bar = document.createElement('div');
    bar.className = 'export-buttons';
    bar.dataset.view = view;
    for (const format of ['svg', 'png'] as const) {
      const b = button(format.toUpperCase(), `Export the ${EXPORT_VIEW_LABELS[view]} as ${format.toUpperCase()}`, () => this.exportView({ view, format }));
      b.dataset.format = format;
      bar.append(b);
    }
    return bar;
  }

  private queryRow(tq: number, tk: number): number | undefined {
    return this.query === undefined ? undefined : this.query - (tk - tq) >= 0 ? this.query - (tk - tq) : undefined;
  }

  private metricValues(ins: PanelInspection): ArrayLike<number> {
    const n = ins.tokens.length;
    if (this.metric === 'alpha' && this.selected) {
      const o = (this.selected.layer * ins.model.heads + this.selected.head) * n;
      return ins.alpha.data.subarray(o, o + n);
    }
    if (this.metric === 'drift' && ins.drift) {
      const d = ins.drift.values.data;
      let max = 0;
      for (const v of d) max = Math.max(max, Math.abs(v));
      return Float32Array.from(d, (v) => (max > 0 ? Math.abs(v) / max : 0));
    }
    if (this.metric === 'query' && this.head && 'map' in this.head && this.query !== undefined) {
      const [tq, tk] = headShape(this.head.map);
      const row = this.queryRow(tq, tk);
      // A pooled map (lod): each key's block max on that row, exact where a full-resolution tile is held.
      if (row !== undefined && this.head.map.lod && 'view' in this.head) { const v = this.head.view; return Float32Array.from({ length: tk }, (_, k) => v.weightAt(row, k).value); }
      if (row !== undefined) return this.head.map.weights.data.subarray(row * tk, row * tk + tk);
    }
    return ins.sinkScore.data;
  }

  private render(): void {
    this.save();
    this.root.replaceChildren();
    this.root.append(analysisTabs({
      tab: this.tab, analyses: this.analyses, repeat: this.repeat, width: Math.max(200, Math.min(768, this.root.clientWidth - 32)),
      onTab: (tab) => { this.tab = tab; this.render(); },
      onProfile: (repeat) => { this.repeat = repeat; this.analyses.timings = { loading: `Profiling: ${repeat} measured round${repeat > 1 ? 's' : ''} per configuration…` }; this.peer.notify('profile', { repeat }); this.render(); },
      body: (tab) => this.analysisBody(tab),
    }));
    if (this.tab !== 'inspect') return;
    this.root.setAttribute('aria-busy', String(this.screen.kind === 'loading'));
    switch (this.screen.kind) {
      case 'empty':
        this.root.append(stateNote('empty', this.screen.message ?? 'No inspection yet. Open a model and run “AttnScope: Inspect Selection” on a prompt.'));
        return;
      case 'loading': {
        const n = stateNote('loading', this.screen.message);
        n.prepend(progressRing());
        this.root.append(n);
        return;
      }
      case 'error':
        this.root.append(stateNote('error', this.screen.message));
        return;
      case 'ready':
        this.renderReady(this.screen.inspection);
    }
  }

  private analysisBody(tab: AnalysisTab): HTMLElement | null {
    const width = Math.max(200, Math.min(768, this.root.clientWidth - 32));
    const onSelect = (layer: number, head: number): void => this.selectHead(layer, head);
    const slot = this.analyses[tab];
    if (!slot || !('data' in slot)) return null;
    if (tab === 'timings') return timingsView({ profile: (slot as { data: PanelProfile }).data, onSelect, onExport: (format) => this.peer.notify('exportProfile', { format }) });
    if (tab === 'compare') return compareView({ compare: (slot as { data: PanelCompare }).data, metric: this.driftMetric, onMetric: (m) => { this.driftMetric = m; this.render(); }, onSelect });
    if (tab === 'drift') return driftView({ drift: (slot as { data: PanelDrift }).data, metric: this.driftMetric, onMetric: (m) => { this.driftMetric = m; this.render(); }, onSelect });
    const s = (slot as { data: PanelStream }).data;
    const tokens = this.screen.kind === 'ready' && this.screen.inspection.tokens.length === s.tokens ? this.screen.inspection.tokens : null;
    return streamView(s, tokens, width);
  }

  /** Tells the extension what the strip shows, so the editor overlay shows the same (only on change). */
  private announceMetric(ins: PanelInspection): void {
    const n = ins.tokens.length;
    let m: PanelMetric = { metric: 'sink' };
    if (this.metric === 'alpha' && this.selected) m = { metric: 'alpha', ...this.selected };
    if (this.metric === 'query' && this.selected && this.query !== undefined && this.query < n) m = { metric: 'query', ...this.selected, query: this.query };
    if (this.metric === 'drift' && ins.drift) m = { metric: 'drift' };
    const key = JSON.stringify(m);
    if (key !== this.announced) { this.announced = key; this.peer.notify('setMetric', m); }
  }

  /** The variant, parameters and metric controls (the metric's choices follow the selected head). */
  private controls(ins: PanelInspection): HTMLElement {
    const controls = document.createElement('div');
    controls.className = 'controls';
    let chosen = this.pending?.variant ?? ins.variant;
    const chosenParams = this.pending?.params ?? ins.variantParams;
    const info = (id: string): PanelInspection['variants'][number] | undefined => ins.variants.find((v) => v.id === id);
    const paramsHint = (id: string): string => info(id)?.params.map((p) => `${p.name}=${p.default}`).join(',') ?? '';
    const paramsTitle = (id: string): string => info(id)?.params.map((p) => `${p.name} (default ${p.default}): ${p.doc}`).join('\n') || `${id} has no parameters`;
    const params = textField('variant-params', 'Parameters', chosenParams, paramsHint(chosen) || 'none', paramsTitle(chosen), (text) => this.chooseVariant(ins, chosen, text));
    const paramsInput = params.querySelector('#variant-params') as HTMLElement & { value: string; placeholder: string };
    controls.append(
      dropdown('variant', 'Variant', ins.variants.map((v) => ({ value: v.id, label: v.id, title: `${v.description}${v.params.length ? ` · params: ${v.params.map((p) => `${p.name}=${p.default}`).join(', ')}` : ''}` })), chosen, (variant) => {
        if (variant === chosen) return;
        chosen = variant;
        // Another variant starts from its defaults; its parameters are set in the field beside it.
        const keep = variant === ins.variant ? ins.variantParams : '';
        paramsInput.value = keep;
        paramsInput.placeholder = paramsHint(variant) || 'none';
        params.title = paramsTitle(variant);
        this.chooseVariant(ins, variant, keep);
      }),
      params,
      dropdown('metric', 'Colour by', (Object.keys(METRIC_LABELS) as Metric[]).filter((m) => m === 'sink' || (m === 'drift' ? ins.drift : this.selected)).map((m) => ({ value: m, label: METRIC_LABELS[m] })), this.metric, (m) => {
        this.metric = m as Metric;
        this.render();
      }),
    );
    return controls;
  }

  private renderReady(ins: PanelInspection): void {
    this.announceMetric(ins);
    const controls = this.controls(ins);
    const summary = document.createElement('p');
    summary.className = 'summary';
    summary.textContent = `${ins.model.name} · ${ins.model.layers} layers × ${ins.model.heads} heads · ${ins.tokens.length} tokens · ${ins.variant} on ${ins.backend} · ${ins.wallMs.toFixed(0)} ms · ε = ${ins.epsilon}`;
    const strip = tokenStrip({
      tokens: ins.tokens, values: this.metricValues(ins), metricLabel: METRIC_LABELS[this.metric], selected: this.query,
      onPick: (t) => {
        this.query = t;
        if (this.head && 'view' in this.head) {
          const [tq, tk] = headShape(this.head.map);
          this.head.view.setQuery(this.queryRow(tq, tk));
        }
        this.render();
      },
    });
    const grid = modelGrid({
      layers: ins.model.layers, heads: ins.model.heads, alpha: ins.alpha.data, tokens: ins.tokens.length, selected: this.selected,
      onPick: (l, h) => this.openHead(l, h),
    });
    this.root.append(controls);
    if (this.variantProblem) this.root.append(stateNote('error', this.variantProblem));
    if (this.banner) {
      const b = stateNote(this.banner.kind, this.banner.message);
      if (this.banner.kind === 'loading') b.prepend(progressRing());
      b.classList.add('banner');
      this.root.append(b);
    }
    this.root.append(summary);
    const kernel = kernelStatsView(ins.kernelStats);
    if (kernel) this.root.append(kernel);
    this.root.append(section('Tokens', strip, this.exportButtons('strip')), section('Model: α₁ per layer and head', grid, this.exportButtons('grid')));
    if (ins.outputs) this.root.append(section('Outputs', outputsView(ins.outputs, ins.tokens, Math.max(200, Math.min(768, this.root.clientWidth - 32)))));
    this.headSlot = document.createElement('div');
    this.headSlot.className = 'head-slot';
    this.fillHead(ins, this.headSlot);
    this.root.append(this.headSlot);
  }

  /** The head view (or its loading or error note) and compare mode, into `slot`. */
  private fillHead(ins: PanelInspection, slot: HTMLElement): void {
    slot.replaceChildren();
    if (!this.head) return;
    if ('view' in this.head) {
      const el = this.head.view.element;
      if (!el.querySelector('.export-buttons')) el.querySelector('h3')?.after(this.exportButtons('head'));
      slot.append(el, this.compareSection(ins, this.head));
    }
    else if ('loading' in this.head) slot.append(stateNote('loading', this.head.loading));
    else slot.append(stateNote('error', this.head.error));
  }

  /**
   * Redraws only the head (and, for a new selection, the controls and the grid's selection) when nothing else on screen depends on it:
   * re-rendering the whole panel at 4,096 tokens (token strip, grid) took ~180 ms per click. The
   * strip's α and query metrics follow the open head, so those take the full render.
   */
  private renderHead(selectionChanged = false): void {
    const slot = this.headSlot;
    if (this.tab !== 'inspect' || this.screen.kind !== 'ready' || !slot?.isConnected || this.metric === 'alpha' || this.metric === 'query') { this.render(); return; }
    this.save();
    // The metric's choices follow the selection; the controls stay otherwise (a parameter may be being typed).
    if (selectionChanged) this.root.querySelector('.controls')?.replaceWith(this.controls(this.screen.inspection));
    for (const c of this.root.querySelectorAll<HTMLElement>('.model-grid .cell')) {
      const sel = Number(c.dataset.layer) === this.selected?.layer && Number(c.dataset.head) === this.selected.head;
      c.classList.toggle('selected', sel);
      c.setAttribute('aria-selected', String(sel));
    }
    this.fillHead(this.screen.inspection, slot);
  }
}

function section(title: string, body: HTMLElement, actions?: HTMLElement): HTMLElement {
  const s = document.createElement('section');
  const h = document.createElement('h3');
  h.textContent = title;
  s.append(h);
  if (actions) s.append(actions);
  s.append(body);
  return s;
}

/** [tq, tk] of the head's full map (a pooled map's `lod` holds it). */
function headShape(map: HeadMap): [number, number] {
  return map.lod ? [map.lod.tq, map.lod.tk] : [map.weights.shape[0], map.weights.shape[1]];
}
