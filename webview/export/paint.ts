/** Draws a Figure on a canvas (the PNG export of views that are not canvases themselves). */
import { type Figure, FONT_PX, hex } from './figure';

export function paintFigure(f: Figure, fontFamily = 'monospace'): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(f.width);
  canvas.height = Math.ceil(f.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas context in this webview');
  ctx.fillStyle = hex(f.background);
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.font = `${FONT_PX}px ${fontFamily}`;
  ctx.textBaseline = 'alphabetic';
  const fg = hex(f.foreground);
  for (const c of f.cells) {
    ctx.fillStyle = hex(c.fill);
    ctx.fillRect(c.x, c.y, c.w, c.h);
    if (c.label !== undefined) {
      ctx.fillStyle = fg;
      ctx.textAlign = 'start';
      ctx.fillText(c.label, c.x + 4, c.y + c.h / 2 + FONT_PX / 3);
    }
  }
  ctx.fillStyle = fg;
  for (const l of f.labels) {
    ctx.textAlign = l.anchor === 'middle' ? 'center' : l.anchor;
    ctx.fillText(l.text, l.x, l.y);
  }
  return canvas;
}

/** The canvas as PNG bytes, base64 (no data: prefix). */
export function canvasPngBase64(canvas: HTMLCanvasElement): string {
  const url = canvas.toDataURL('image/png');
  const comma = url.indexOf(',');
  if (!url.startsWith('data:image/png;base64,') || comma < 0) throw new Error('this webview cannot encode PNG from a canvas');
  return url.slice(comma + 1);
}
