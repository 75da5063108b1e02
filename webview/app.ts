/**
 * The panel: controls, token strip, layer × head grid and head view, with clear empty, loading
 * and error states. Holds the view state; everything it shows comes from the extension.
 */
import type { PanelCompare, PanelDrift, PanelProfile, PanelStream } from '../extension/protocol/analyses';
import type { AnalysisTab, HeadMap, PanelHostEvents, PanelHostMethods, PanelInspection, PanelMetric, PanelViewEvents, PanelViewMethods } from '../extension/protocol/panel';
import { EXPORT_VIEW_LABELS, type ExportFormat, type ExportView, type PanelExport, type PanelExportRequest } from '../extension/protocol/panelExport';
import type { RpcPeer } from '../runtime/protocol/rpc';
import { themeColor, themeRamp } from './color';
import { type Figure, figureSvg, type FigurePalette, gridFigure, headMapFigure, stripFigure } from './export/figure';
import { canvasPngBase64, paintFigure } from './export/paint';
import { button, dropdown, progressRing, stateNote } from './ui';
import { analysisTabs, type AnalysisSlot, type Tab } from './views/analysisTabs';
import { compareView } from './views/compareView';
import { driftView, type DriftMetric } from './views/driftView';
import { HeadView } from './views/headView';
import { modelGrid } from './views/modelGrid';
import { outputsView } from './views/outputs';
import { streamView } from './views/streamView';
import { timingsView } from './views/timingsView';
import { tokenStrip } from './views/tokenStrip';

export type PanelPeer = RpcPeer<PanelViewMethods, PanelHostMethods, PanelViewEvents, PanelHostEvents>;

type Metric = 'sink' | 'alpha' | 'query';
const METRIC_LABELS: Record<Metric, string> = { sink: 'sink score', alpha: 'α of the selected head', query: 'attention from the query token' };

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
  private head?: { map: HeadMap; view: HeadView } | { loading: string } | { error: string };
  private tab: Tab = 'inspect';
  private readonly analyses: { timings?: AnalysisSlot<PanelProfile>; compare?: AnalysisSlot<PanelCompare>; drift?: AnalysisSlot<PanelDrift>; streaming?: AnalysisSlot<PanelStream> } = {};
  private repeat = 5;
  private driftMetric: DriftMetric = 'divergence';

  constructor(private readonly root: HTMLElement, private readonly peer: PanelPeer) {
    peer.on('show', ({ inspection }) => this.show(inspection));
    peer.on('notice', ({ message }) => { this.screen = { kind: 'empty', message }; this.render(); });
    peer.on('loading', ({ message }) => { this.screen = { kind: 'loading', message }; this.render(); });
    peer.on('error', ({ message }) => { this.screen = { kind: 'error', message }; this.render(); });
    peer.on('profile', ({ profile }) => this.showAnalysis('timings', { data: profile }));
    peer.on('compare', ({ compare }) => this.showAnalysis('compare', { data: compare }));
    peer.on('drift', ({ drift }) => this.showAnalysis('drift', { data: drift }));
    peer.on('stream', ({ stream }) => this.showAnalysis('streaming', { data: stream }));
    // Progress updates its tab without taking the user away from the tab they are on.
    peer.on('analysisState', ({ tab, state, message }) => this.showAnalysis(tab, state === 'loading' ? { loading: message } : { error: message }, state === 'error'));
    peer.on('exportView', (r) => this.exportView(r));
    this.render();
  }

  private show(inspection: PanelInspection): void {
    const prev = this.screen.kind === 'ready' ? this.screen.inspection : undefined;
    const sameShape = prev && prev.model.layers === inspection.model.layers && prev.model.heads === inspection.model.heads && prev.tokens.length === inspection.tokens.length;
    if (!sameShape) { this.selected = undefined; this.query = undefined; this.metric = 'sink'; }
    this.head = undefined;
    this.screen = { kind: 'ready', inspection };
    this.render();
    if (this.selected) this.openHead(this.selected.layer, this.selected.head);
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
    this.head = { loading: `Loading layer ${layer} head ${head}…` };
    this.render();
    this.peer.request('headMap', { layer, head }).then((map) => {
      if (this.selected?.layer !== layer || this.selected.head !== head || this.screen.kind !== 'ready') return;
      const [tq, tk] = map.weights.shape;
      const n = this.screen.inspection.tokens.length;
      if (tk !== n || tq > tk) { this.head = { error: `The head map is ${tq} × ${tk}, the prompt has ${n} tokens; run Inspect again.` }; this.render(); return; }
      const size = Math.max(128, Math.min(768, this.root.clientWidth - 32));
      const view = new HeadView({ layer, head, weights: map.weights.data, tq, tk, tokens: this.screen.inspection.tokens, size, query: this.queryRow(tq, tk) });
      this.head = { map, view };
      this.render();
    }, (err: Error) => {
      if (this.selected?.layer === layer && this.selected.head === head) { this.head = { error: err.message }; this.render(); }
    });
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
      figure = headMapFigure({ layer: map.layer, head: map.head, weights: map.weights.data, tq: map.weights.shape[0], tk: map.weights.shape[1] }, palette);
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
    if (this.metric === 'query' && this.head && 'map' in this.head && this.query !== undefined) {
      const [tq, tk] = this.head.map.weights.shape;
      const row = this.queryRow(tq, tk);
      if (row !== undefined) return this.head.map.weights.data.subarray(row * tk, row * tk + tk);
    }
    return ins.sinkScore.data;
  }

  private render(): void {
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
    const key = JSON.stringify(m);
    if (key !== this.announced) { this.announced = key; this.peer.notify('setMetric', m); }
  }

  private renderReady(ins: PanelInspection): void {
    this.announceMetric(ins);
    const controls = document.createElement('div');
    controls.className = 'controls';
    controls.append(
      dropdown('variant', 'Variant', ins.variants.map((v) => ({ value: v.id, label: v.id, title: v.description })), ins.variant, (variant) => {
        if (variant !== ins.variant) this.peer.notify('setVariant', { variant });
      }),
      dropdown('metric', 'Colour by', (Object.keys(METRIC_LABELS) as Metric[]).filter((m) => m === 'sink' || this.selected).map((m) => ({ value: m, label: METRIC_LABELS[m] })), this.metric, (m) => {
        this.metric = m as Metric;
        this.render();
      }),
    );
    const summary = document.createElement('p');
    summary.className = 'summary';
    summary.textContent = `${ins.model.name} · ${ins.model.layers} layers × ${ins.model.heads} heads · ${ins.tokens.length} tokens · ${ins.variant} on ${ins.backend} · ${ins.wallMs.toFixed(0)} ms · ε = ${ins.epsilon}`;
    const strip = tokenStrip({
      tokens: ins.tokens, values: this.metricValues(ins), metricLabel: METRIC_LABELS[this.metric], selected: this.query,
      onPick: (t) => {
        this.query = t;
        if (this.head && 'view' in this.head) {
          const [tq, tk] = this.head.map.weights.shape;
          this.head.view.setQuery(this.queryRow(tq, tk));
        }
        this.render();
      },
    });
    const grid = modelGrid({
      layers: ins.model.layers, heads: ins.model.heads, alpha: ins.alpha.data, tokens: ins.tokens.length, selected: this.selected,
      onPick: (l, h) => this.openHead(l, h),
    });
    this.root.append(controls, summary, section('Tokens', strip, this.exportButtons('strip')), section('Model: α₁ per layer and head', grid, this.exportButtons('grid')));
    if (ins.outputs) this.root.append(section('Outputs', outputsView(ins.outputs, ins.tokens, Math.max(200, Math.min(768, this.root.clientWidth - 32)))));
    if (this.head) {
      if ('view' in this.head) {
        const el = this.head.view.element;
        if (!el.querySelector('.export-buttons')) el.querySelector('h3')?.after(this.exportButtons('head'));
        this.root.append(el);
      }
      else if ('loading' in this.head) this.root.append(stateNote('loading', this.head.loading));
      else this.root.append(stateNote('error', this.head.error));
    }
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
