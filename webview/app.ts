/**
 * The panel: controls, token strip, layer × head grid and head view, with clear empty, loading
 * and error states. Holds the view state; everything it shows comes from the extension.
 */
import type { HeadMap, PanelHostEvents, PanelHostMethods, PanelInspection, PanelMetric, PanelViewEvents, PanelViewMethods } from '../extension/protocol/panel';
import type { RpcPeer } from '../runtime/protocol/rpc';
import { dropdown, progressRing } from './ui';
import { HeadView } from './views/headView';
import { modelGrid } from './views/modelGrid';
import { outputsView } from './views/outputs';
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

  constructor(private readonly root: HTMLElement, private readonly peer: PanelPeer) {
    peer.on('show', ({ inspection }) => this.show(inspection));
    peer.on('notice', ({ message }) => { this.screen = { kind: 'empty', message }; this.render(); });
    peer.on('loading', ({ message }) => { this.screen = { kind: 'loading', message }; this.render(); });
    peer.on('error', ({ message }) => { this.screen = { kind: 'error', message }; this.render(); });
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
    this.root.setAttribute('aria-busy', String(this.screen.kind === 'loading'));
    switch (this.screen.kind) {
      case 'empty':
        this.root.append(note('empty', this.screen.message ?? 'No inspection yet. Open a model and run “AttnScope: Inspect Selection” on a prompt.'));
        return;
      case 'loading': {
        const n = note('loading', this.screen.message);
        n.prepend(progressRing());
        this.root.append(n);
        return;
      }
      case 'error':
        this.root.append(note('error', this.screen.message));
        return;
      case 'ready':
        this.renderReady(this.screen.inspection);
    }
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
    this.root.append(controls, summary, section('Tokens', strip), section('Model: α₁ per layer and head', grid));
    if (ins.outputs) this.root.append(section('Outputs', outputsView(ins.outputs, ins.tokens, Math.max(200, Math.min(768, this.root.clientWidth - 32)))));
    if (this.head) {
      if ('view' in this.head) this.root.append(this.head.view.element);
      else if ('loading' in this.head) this.root.append(note('loading', this.head.loading));
      else this.root.append(note('error', this.head.error));
    }
  }
}

function note(kind: 'empty' | 'loading' | 'error', text: string): HTMLElement {
  const d = document.createElement('div');
  d.className = `state state-${kind}`;
  d.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  const p = document.createElement('p');
  p.textContent = text;
  d.append(p);
  return d;
}

function section(title: string, body: HTMLElement): HTMLElement {
  const s = document.createElement('section');
  const h = document.createElement('h3');
  h.textContent = title;
  s.append(h, body);
  return s;
}
