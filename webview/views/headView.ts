/**
 * One head's attention map on a canvas: rows are queries, columns keys. Wheel or +/- zooms about
 * the pointer, drag or the arrow keys pan, 0 fits; the readout names the query, the key and the
 * weight under the pointer. Colour is √weight on the theme ramp (so small weights stay visible);
 * maps larger than the canvas are drawn from a max-pool pyramid (every peak survives). A map the
 * runtime sent max-pooled (`lod`, over LOD_MAX_SIDE a side) is painted from that level at once;
 * zooming in past it asks for the tiles in view of the finer level (one request, debounced,
 * cancelled when the view moves on; tiles cached) and draws the pooled level where they have not
 * arrived. The readout says when a weight is a block's max rather than the exact weight. A
 * difference map (mode 'diff') uses a diverging ramp scaled to its largest |value|, the pyramid
 * keeping the value of largest magnitude.
 */
import type { PanelToken } from '../../extension/protocol/panel';
import { TILE, tileShape, type TileResult } from '../../runtime/protocol/lod';
import { rampIndex, themeColor, themeDivergingRamp, themeRamp } from '../color';
import { buildPyramid, levelFor, type MapLevel } from './mipmap';
import { visible } from './tokenStrip';

export interface HeadViewOptions {
  layer: number;
  head: number;
  /** [tq, tk], or with `lod` the map max-pooled at lod.level: [ceil(tq / 2^level), ceil(tk / 2^level)]. */
  weights: Float32Array;
  /** The map came pooled at `level`; `tiles` fetches tiles of a finer level (rejects when cancelled). */
  lod?: { level: number; tiles: (level: number, tiles: [number, number][], signal: AbortSignal) => Promise<TileResult['tiles']> };
  tq: number;
  tk: number;
  tokens: PanelToken[];
  /** Highlighted query row. */
  query?: number;
  /** Size of the canvas in pixels (square). */
  size: number;
  /** 'weights' (default): √weight on the heat ramp; 'diff': signed values on the diverging ramp. */
  mode?: 'weights' | 'diff';
  /** Title (default: `Layer L · head H (tq × tk)`). */
  title?: string;
  /** The readout text for cell (q, k) (default: query, key and weight). */
  readout?: (q: number, k: number) => string;
}

/** Tiles kept per view (64 × 256 KB). */
const MAX_TILES = 64;

export class HeadView {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly readout: HTMLElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly pyramid: MapLevel[];
  private readonly lut: Uint8ClampedArray;
  /** Diff mode: 1 / max |value| (so the largest difference takes the end of the ramp). */
  private readonly diffScale: number = 1;
  private x0 = 0;
  private y0 = 0;
  private scale = 1;
  private drag?: { x: number; y: number; x0: number; y0: number };
  /** Level of the pooled map the view was given (0: the full map). */
  private readonly base: number;
  /** Fetched tiles by `level/i/j`, oldest first (at most MAX_TILES kept). */
  private readonly tiles = new Map<string, { cols: number; data: Float32Array }>();
  /** The tile request in flight (its keys) or waiting to be sent. */
  private pending?: { keys: string; ac: AbortController };
  private timer?: ReturnType<typeof setTimeout>;
  /** Milliseconds the last draw took (shown for profiling, never asserted). */
  lastDrawMs = 0;

  constructor(private readonly o: HeadViewOptions) {
    this.element = document.createElement('section');
    this.element.className = 'head-view';
    const title = document.createElement('h3');
    title.textContent = o.title ?? `Layer ${o.layer} · head ${o.head} (${o.tq} × ${o.tk})`;
    this.lut = o.mode === 'diff' ? themeDivergingRamp() : themeRamp();
    if (o.mode === 'diff') {
      let max = 0;
      for (const v of o.weights) if (Math.abs(v) > max) max = Math.abs(v);
      this.diffScale = max > 0 ? 1 / max : 1;
    }
    this.canvas = document.createElement('canvas');
    this.canvas.width = o.size;
    this.canvas.height = o.size;
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', `attention map of layer ${o.layer} head ${o.head}: wheel or +/- zoom, drag or arrows pan, 0 fits`);
    this.readout = document.createElement('div');
    this.readout.className = 'readout';
    this.readout.setAttribute('aria-live', 'polite');
    this.readout.textContent = 'Point at the map to read a weight.';
    this.element.append(title, this.canvas, this.readout);
    const ctx = this.canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas context in this webview');
    this.ctx = ctx;
    const t0 = performance.now();
    this.base = o.lod?.level ?? 0;
    const b = 2 ** this.base;
    this.pyramid = buildPyramid(o.weights, Math.ceil(o.tq / b), Math.ceil(o.tk / b), 64, o.mode === 'diff');
    this.fit();
    this.lastDrawMs = performance.now() - t0;
    this.canvas.dataset.drawMs = this.lastDrawMs.toFixed(1);
    this.listen();
  }

  /** Map coordinates (query row, key column) under canvas pixel (px, py), or null outside. */
  cellAt(px: number, py: number): { q: number; k: number } | null {
    const q = Math.floor(this.y0 + py / this.scale);
    const k = Math.floor(this.x0 + px / this.scale);
    return q >= 0 && q < this.o.tq && k >= 0 && k < this.o.tk ? { q, k } : null;
  }

  /** Canvas pixel at the centre of cell (q, k) in the current view. */
  pixelOf(q: number, k: number): { x: number; y: number } {
    return { x: (k + 0.5 - this.x0) * this.scale, y: (q + 0.5 - this.y0) * this.scale };
  }

  fit(): void {
    this.scale = Math.min(this.canvas.width / this.o.tk, this.canvas.height / this.o.tq);
    this.x0 = 0;
    this.y0 = 0;
    this.draw();
  }

  zoom(factor: number, px = this.canvas.width / 2, py = this.canvas.height / 2): void {
    const min = Math.min(this.canvas.width / this.o.tk, this.canvas.height / this.o.tq);
    const next = Math.max(min, Math.min(64, this.scale * factor));
    this.x0 += px / this.scale - px / next;
    this.y0 += py / this.scale - py / next;
    this.scale = next;
    this.clamp();
    this.draw();
  }

  pan(dxCells: number, dyCells: number): void {
    this.x0 += dxCells;
    this.y0 += dyCells;
    this.clamp();
    this.draw();
  }

  draw(): void {
    const t0 = performance.now();
    const { width: w, height: h } = this.canvas;
    const img = this.ctx.createImageData(w, h);
    const px = img.data;
    const lut = this.lut;
    const level = levelFor(1 / this.scale, this.base + this.pyramid.length);
    this.canvas.dataset.level = String(level);
    if (level < this.base) { this.drawTiles(level, img); return; }
    if (this.pending) this.cancel();
    delete this.canvas.dataset.tiles;
    const lv = this.pyramid[level - this.base];
    const shift = level;
    const diff = this.o.mode === 'diff';
    // 0 → entry 128 (the background), ±max → entries 1 and 255; rounding keeps tiny differences at 128.
    const ds = this.diffScale * 127;
    // Column index per pixel, computed once per draw.
    const colOf = new Int32Array(w);
    for (let x = 0; x < w; x++) {
      const k = Math.floor(this.x0 + x / this.scale);
      colOf[x] = k >= 0 && k < this.o.tk ? k >> shift : -1;
    }
    for (let y = 0; y < h; y++) {
      const q = Math.floor(this.y0 + y / this.scale);
      const row = q >= 0 && q < this.o.tq ? (q >> shift) * lv.cols : -1;
      let o = y * w * 4;
      for (let x = 0; x < w; x++, o += 4) {
        const c = colOf[x];
        const li = row < 0 || c < 0 ? (diff ? 128 * 3 : 0)
          : diff ? Math.max(1, Math.min(255, 128 + Math.round(lv.data[row + c] * ds))) * 3
          : rampIndex(Math.sqrt(lv.data[row + c])) * 3;
        px[o] = lut[li];
        px[o + 1] = lut[li + 1];
        px[o + 2] = lut[li + 2];
        px[o + 3] = 255;
      }
    }
    this.finish(img, t0);
  }

  /** Level `level` (finer than the pooled map): cached tiles where present, the pooled map elsewhere; asks for the missing tiles. */
  private drawTiles(level: number, img: ImageData): void {
    const t0 = performance.now();
    const { width: w, height: h } = this.canvas;
    const px = img.data;
    const lut = this.lut;
    const lv = this.pyramid[0];
    const base = this.base;
    const { tq, tk } = this.o;
    const qTop = Math.max(0, Math.floor(this.y0)) >> level;
    const qBottom = Math.min(tq - 1, Math.floor(this.y0 + h / this.scale)) >> level;
    const kLeft = Math.max(0, Math.floor(this.x0)) >> level;
    const kRight = Math.min(tk - 1, Math.floor(this.x0 + w / this.scale)) >> level;
    const i0 = Math.floor(qTop / TILE);
    const i1 = Math.floor(qBottom / TILE);
    const j0 = Math.floor(kLeft / TILE);
    const j1 = Math.floor(kRight / TILE);
    const nj = j1 - j0 + 1;
    const grid: ({ cols: number; data: Float32Array } | undefined)[] = [];
    const missing: [number, number][] = [];
    for (let i = i0; i <= i1; i++) {
      for (let j = j0; j <= j1; j++) {
        const t = this.tileAt(level, i, j);
        grid.push(t);
        if (!t) missing.push([i, j]);
      }
    }
    const colTile = new Int32Array(w);
    const colOff = new Int32Array(w);
    const colBase = new Int32Array(w);
    for (let x = 0; x < w; x++) {
      const k = Math.floor(this.x0 + x / this.scale);
      if (k < 0 || k >= tk) { colTile[x] = -1; continue; }
      const kl = k >> level;
      colTile[x] = Math.floor(kl / TILE) - j0;
      colOff[x] = kl % TILE;
      colBase[x] = k >> base;
    }
    for (let y = 0; y < h; y++) {
      const q = Math.floor(this.y0 + y / this.scale);
      const inside = q >= 0 && q < tq;
      const ql = q >> level;
      const rowT = (Math.floor(ql / TILE) - i0) * nj;
      const rowOff = ql % TILE;
      const rowBase = (q >> base) * lv.cols;
      let o = y * w * 4;
      for (let x = 0; x < w; x++, o += 4) {
        let li = 0;
        if (inside && colTile[x] >= 0) {
          const t = grid[rowT + colTile[x]];
          const v = t ? t.data[rowOff * t.cols + colOff[x]] : lv.data[rowBase + colBase[x]];
          li = rampIndex(Math.sqrt(v)) * 3;
        }
        px[o] = lut[li];
        px[o + 1] = lut[li + 1];
        px[o + 2] = lut[li + 2];
        px[o + 3] = 255;
      }
    }
    this.canvas.dataset.tiles = missing.length ? 'pending' : 'complete';
    this.finish(img, t0);
    if (missing.length) this.request(level, missing);
    else this.cancel();
  }

  private tileAt(level: number, i: number, j: number): { cols: number; data: Float32Array } | undefined {
    const key = `${level}/${i}/${j}`;
    const t = this.tiles.get(key);
    if (t) { this.tiles.delete(key); this.tiles.set(key, t); } // most recently used last
    return t;
  }

  /** Asks for `missing` tiles of `level` after the view has settled (80 ms), superseding a request for other tiles. */
  private request(level: number, missing: [number, number][]): void {
    const keys = missing.map(([i, j]) => `${level}/${i}/${j}`).join(' ');
    if (this.pending?.keys === keys) return;
    this.cancel();
    const ac = new AbortController();
    const p = { keys, ac };
    this.pending = p;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.o.lod || ac.signal.aborted) return;
      this.o.lod.tiles(level, missing.slice(0, MAX_TILES), ac.signal).then((tiles) => {
        if (this.pending === p) this.pending = undefined;
        for (const t of tiles) {
          const s = tileShape(this.o.tq, this.o.tk, level, t.i, t.j);
          if (t.weights.shape[0] !== s.rows || t.weights.shape[1] !== s.cols) continue; // not this map's tile
          this.tiles.set(`${level}/${t.i}/${t.j}`, { cols: s.cols, data: t.weights.data });
        }
        while (this.tiles.size > MAX_TILES) this.tiles.delete(this.tiles.keys().next().value!);
        this.canvas.dataset.tilesLoaded = String(this.tiles.size);
        this.draw();
      }, (e: Error) => {
        if (ac.signal.aborted) return; // superseded
        if (this.pending === p) this.pending = undefined;
        this.canvas.dataset.tiles = 'error';
        this.readout.textContent = `Cannot load the full-resolution tiles: ${e.message}`;
      });
    }, 80);
  }

  /** Drops the tile request in flight or waiting (the view moved on, or was closed). */
  cancel(): void {
    if (this.timer !== undefined) { clearTimeout(this.timer); this.timer = undefined; }
    this.pending?.ac.abort();
    this.pending = undefined;
  }

  /**
   * The weight of cell (q, k) as far as the view knows it: exact from the full map or a
   * full-resolution tile, else the max of the smallest block held (`block` > 1).
   */
  weightAt(q: number, k: number): { value: number; block: number } {
    if (!this.base) return { value: this.o.weights[q * this.o.tk + k], block: 1 };
    for (let l = 0; l < this.base; l++) {
      const t = this.tiles.get(`${l}/${Math.floor((q >> l) / TILE)}/${Math.floor((k >> l) / TILE)}`);
      if (t) return { value: t.data[((q >> l) % TILE) * t.cols + ((k >> l) % TILE)], block: 2 ** l };
    }
    return { value: this.pyramid[0].data[(q >> this.base) * this.pyramid[0].cols + (k >> this.base)], block: 2 ** this.base };
  }

  private finish(img: ImageData, t0: number): void {
    const w = this.canvas.width;
    this.ctx.putImageData(img, 0, 0);
    if (this.o.query !== undefined) {
      const [r, g, b] = themeColor('--vscode-focusBorder');
      this.ctx.strokeStyle = `rgb(${r}, ${g}, ${b})`;
      this.ctx.lineWidth = 1;
      const top = (this.o.query - this.y0) * this.scale;
      this.ctx.strokeRect(0.5, top - 0.5, w - 1, Math.max(1, this.scale) + 1);
    }
    this.canvas.dataset.view = `${this.x0} ${this.y0} ${this.scale}`; // top-left cell and pixels per cell, for tests
    this.lastDrawMs = performance.now() - t0;
  }

  /** Highlights another query row (or none) without rebuilding the pyramid. */
  setQuery(query: number | undefined): void {
    this.o.query = query;
    this.draw();
  }

  private clamp(): void {
    const maxX = Math.max(0, this.o.tk - this.canvas.width / this.scale);
    const maxY = Math.max(0, this.o.tq - this.canvas.height / this.scale);
    this.x0 = Math.max(0, Math.min(maxX, this.x0));
    this.y0 = Math.max(0, Math.min(maxY, this.y0));
  }

  private hover(px: number, py: number): void {
    const cell = this.cellAt(px, py);
    if (!cell) { this.readout.textContent = 'Point at the map to read a weight.'; return; }
    if (this.o.readout) { this.readout.textContent = this.o.readout(cell.q, cell.k); return; }
    const tq = this.o.tokens[cell.q + (this.o.tk - this.o.tq)];
    const tk = this.o.tokens[cell.k];
    const { value, block } = this.weightAt(cell.q, cell.k);
    const w = block === 1 ? value.toFixed(4) : `max of its ${block}×${block} block ${value.toFixed(4)} (zoom in for the exact weight)`;
    this.readout.textContent = `query #${cell.q} “${visible(tq?.text ?? '?')}” → key #${cell.k} “${visible(tk?.text ?? '?')}”: ${w}`;
  }

  private listen(): void {
    const c = this.canvas;
    const at = (e: MouseEvent): [number, number] => {
      const r = c.getBoundingClientRect();
      return [((e.clientX - r.left) * c.width) / r.width, ((e.clientY - r.top) * c.height) / r.height];
    };
    c.addEventListener('wheel', (e) => { e.preventDefault(); const [x, y] = at(e); this.zoom(e.deltaY < 0 ? 1.25 : 0.8, x, y); }, { passive: false });
    c.addEventListener('mousedown', (e) => { this.drag = { x: e.clientX, y: e.clientY, x0: this.x0, y0: this.y0 }; });
    window.addEventListener('mouseup', () => { this.drag = undefined; });
    c.addEventListener('mousemove', (e) => {
      if (this.drag) {
        const r = c.getBoundingClientRect();
        const k = c.width / r.width / this.scale;
        this.x0 = this.drag.x0 - (e.clientX - this.drag.x) * k;
        this.y0 = this.drag.y0 - (e.clientY - this.drag.y) * k;
        this.clamp();
        this.draw();
      }
      const [x, y] = at(e);
      this.hover(x, y);
    });
    c.addEventListener('keydown', (e) => {
      const stepCells = (c.width / this.scale) * 0.1;
      const keys: Record<string, () => void> = {
        '+': () => this.zoom(1.25), '=': () => this.zoom(1.25), '-': () => this.zoom(0.8), '0': () => this.fit(),
        ArrowLeft: () => this.pan(-stepCells, 0), ArrowRight: () => this.pan(stepCells, 0),
        ArrowUp: () => this.pan(0, -stepCells), ArrowDown: () => this.pan(0, stepCells),
      };
      const f = keys[e.key];
      if (f) { e.preventDefault(); f(); }
    });
  }
}
