// Export of views and the HTML report, from the numbers of a recorded engine run: SVG cells and
// colours against α₁ and the theme ramp, the max-pooled head map, the report's numbers and CSP,
// and the validators of the panel's export messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectionHtml, REPORT_PALETTE, reportNumber } from '../../extension/export/htmlReport';
import { exportRequestProblem, panelExportProblem } from '../../extension/protocol/panelExport';
import type { InspectResult } from '../../runtime/protocol/runtime';
import { decodePayload } from '../../scripts/e2e/payload';
import { figureSvg, gridFigure, headMapFigure, hex, rampColor, stripFigure } from '../../webview/export/figure';
import { maxPool } from '../../runtime/protocol/lod';

const payload = decodePayload(readFileSync(join(import.meta.dirname, '..', 'webview', 'gqa-decoder-contrib.payload.json'), 'utf8'));
const ins = payload.inspection;
const n = ins.tokens.length;
const result: InspectResult = {
  tokens: ins.tokens.map((t) => ({ ...t, start: null, end: null })), layers: ins.model.layers, heads: ins.model.heads, alpha: ins.alpha, sinkScore: ins.sinkScore,
  variants: ['softmax', 'softmax'], outputs: ins.outputs, kernelStats: ins.kernelStats, totalMs: 12.5, kernelMs: 3.25, ortMs: 7.75,
};

/** [fill, title] of every cell rect of an SVG, in document order. */
function svgCells(svg: string): { fill: string; title: string; x: number; y: number; w: number }[] {
  return [...svg.matchAll(/<rect class="cell" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="[\d.]+" fill="(#[0-9a-f]{6})"><title>([^<]*)<\/title><\/rect>/g)]
    .map((m) => ({ x: Number(m[1]), y: Number(m[2]), w: Number(m[3]), fill: m[4], title: m[5] }));
}

test('grid SVG: one cell per layer and head, coloured by α₁ on the ramp, in layer-major order', () => {
  const svg = figureSvg(gridFigure({ layers: ins.model.layers, heads: ins.model.heads, alpha: ins.alpha.data, tokens: n }, REPORT_PALETTE));
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="\d+"/);
  const cells = svgCells(svg);
  assert.equal(cells.length, ins.model.layers * ins.model.heads);
  const fills = new Set<string>();
  for (let l = 0; l < ins.model.layers; l++) {
    for (let h = 0; h < ins.model.heads; h++) {
      const a1 = ins.alpha.data[(l * ins.model.heads + h) * n];
      const c = cells[l * ins.model.heads + h];
      assert.equal(c.fill, hex(rampColor(REPORT_PALETTE.lut, a1)), `L${l}h${h}`);
      assert.equal(c.title, `layer ${l} head ${h}: α₁ = ${a1.toFixed(4)}`);
      fills.add(c.fill);
    }
  }
  assert.ok(fills.size > 1, 'the recorded run has heads of different α₁, so the cells differ');
  for (const label of ['L0', `L${ins.model.layers - 1}`, 'h0', `h${ins.model.heads - 1}`]) assert.ok(svg.includes(`>${label}</text>`), label);
});

test('ramp colours: 0 is the background end, 1 the accent, clamped outside', () => {
  assert.deepEqual(rampColor(REPORT_PALETTE.lut, 0), [255, 255, 255]);
  assert.deepEqual(rampColor(REPORT_PALETTE.lut, 1), [0xd1, 0x86, 0x16]);
  assert.deepEqual(rampColor(REPORT_PALETTE.lut, 7), [0xd1, 0x86, 0x16]);
  assert.deepEqual(rampColor(REPORT_PALETTE.lut, Number.NaN), [255, 255, 255]);
  assert.equal(hex([1, 171, 255]), '#01abff');
});

test('token strip SVG: every token, its text and its value, wrapped within the width', () => {
  const fig = stripFigure({ tokens: ins.tokens, values: ins.sinkScore.data, metricLabel: 'sink score', maxWidth: 200 }, REPORT_PALETTE);
  const svg = figureSvg(fig);
  const cells = svgCells(svg);
  assert.equal(cells.length, n);
  ins.tokens.forEach((t, k) => {
    assert.equal(cells[k].fill, hex(rampColor(REPORT_PALETTE.lut, ins.sinkScore.data[k])));
    assert.ok(cells[k].title.startsWith(`#${k} id ${t.id} `), cells[k].title);
    assert.ok(cells[k].x + cells[k].w <= 200, 'inside the width');
  });
  assert.ok(new Set(cells.map((c) => c.y)).size > 1, 'wraps onto several lines');
  assert.ok(svg.includes(`>${ins.tokens[0].text}</text>`));
});

test('head map SVG: small maps cell by cell with √weight colours; large maps max-pooled (every peak kept)', () => {
  const map = payload.headMaps[0];
  const [tq, tk] = map.weights.shape;
  const cells = svgCells(figureSvg(headMapFigure({ layer: map.layer, head: map.head, weights: map.weights.data, tq, tk }, REPORT_PALETTE)));
  const nonzero = Array.from(map.weights.data).filter((w) => w > 0).length;
  assert.equal(cells.length, nonzero, 'one cell per visible weight');
  const first = map.weights.data.findIndex((w) => w > 0);
  assert.equal(cells[0].fill, hex(rampColor(REPORT_PALETTE.lut, Math.sqrt(map.weights.data[first]))));
  assert.match(cells[0].title, new RegExp(`^query ${Math.floor(first / tk)} → key ${first % tk}: `));

  const T = 300;
  const w = new Float32Array(T * T);
  w[299 * T + 257] = 1; // one peak deep inside
  const pooled = headMapFigure({ layer: 0, head: 0, weights: w, tq: T, tk: T, maxCells: 128 }, REPORT_PALETTE);
  assert.match(pooled.title, /4×4 max-pooled/);
  assert.equal(pooled.cells.length, 1);
  assert.equal(pooled.cells[0].title, 'queries 296–299, keys 256–259: max 1.0000');
  assert.deepEqual(pooled.cells[0].fill, [0xd1, 0x86, 0x16]);
  // A map the runtime sent max-pooled (level 1) exports as the same figure as the whole map.
  const sent = headMapFigure({ layer: 0, head: 0, weights: maxPool(w, T, T, 1), tq: T, tk: T, maxCells: 128, level: 1 }, REPORT_PALETTE);
  assert.deepEqual(sent, pooled);
});

test('HTML report: the numbers, the figures, a CSP that allows only its own stylesheet, nothing loaded', () => {
  const html = inspectionHtml(result, { model: '/models/demo/model.onnx', variant: 'softmax', backend: 'native', epsilon: 0.3 }, new Date('2026-01-02T03:04:05Z'));
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1];
  assert.ok(style);
  const hash = createHash('sha256').update(style).digest('base64');
  assert.ok(html.includes(`content="default-src 'none'; style-src 'sha256-${hash}'"`), 'CSP pins the stylesheet by hash');
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|\son\w+=|\ssrc=|\shref=|url\(/i, 'loads and runs nothing');
  assert.equal(html.match(/https?:\/\//g)?.length, 2, 'only the SVG namespace of the two figures');
  for (let k = 0; k < n; k++) assert.ok(html.includes(`<td>${k}</td><td>${ins.tokens[k].id}</td>`), `token row ${k}`);
  for (const s of ins.sinkScore.data) assert.ok(html.includes(`<td>${reportNumber(s)}</td>`), `sink score ${s}`);
  for (let lh = 0; lh < ins.model.layers * ins.model.heads; lh++) assert.ok(html.includes(`<td>${reportNumber(ins.alpha.data[lh * n])}</td>`), `α₁ of head ${lh}`);
  if (ins.outputs) {
    assert.ok(html.includes(`loss ${reportNumber(ins.outputs.loss)}`));
    for (const t of ins.outputs.topK) assert.ok(html.includes(`<td>${reportNumber(t.prob)}</td>`));
  }
  assert.equal(svgCells(html).length, n + ins.model.layers * ins.model.heads, 'strip and grid inline');
  assert.ok(html.includes('<dd>2026-01-02T03:04:05.000Z</dd>'));
  assert.ok(html.includes('kernels 3.25 ms'));
  assert.equal(reportNumber(0.123456789), '0.123457');
});

test('export messages: views, formats, PNG bytes and SVG text are checked', () => {
  assert.equal(exportRequestProblem({ view: 'grid', format: 'svg' }), null);
  assert.match(exportRequestProblem({ view: 'table', format: 'svg' }) ?? '', /needs a view/);
  assert.match(exportRequestProblem({ view: 'grid', format: 'gif' }) ?? '', /needs a format/);
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).toString('base64');
  assert.equal(panelExportProblem({ view: 'head', format: 'png', data: png, name: 'model.L0h1.png' }), null);
  assert.match(panelExportProblem({ view: 'head', format: 'png', data: 'PHN2Zz4=', name: 'a.png' }) ?? '', /base64 PNG/);
  assert.equal(panelExportProblem({ view: 'grid', format: 'svg', data: '<svg/>', name: 'a.svg' }), null);
  assert.match(panelExportProblem({ view: 'grid', format: 'svg', data: '<html>', name: 'a.svg' }) ?? '', /start with <svg/);
  assert.match(panelExportProblem({ view: 'grid', format: 'svg', data: '<svg/>', name: '../x.svg' }) ?? '', /plain file name/);
  assert.equal(panelExportProblem({ view: 'head', format: 'png', problem: 'No head is open' }), null);
});
