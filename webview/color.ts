/**
 * Colours from the VS Code theme (CSS variables VS Code sets on the webview), never hard-coded:
 * a ramp from the editor background to the chart accent, as a 256-entry lookup table.
 */

export type Rgb = [number, number, number];

/** Parses `#rgb`, `#rrggbb(aa)` or `rgb(a)(r, g, b…)`. */
export function parseColor(text: string): Rgb | null {
  const t = text.trim();
  let m = /^#([0-9a-f]{3})$/i.exec(t);
  if (m) return [...m[1]].map((c) => parseInt(c + c, 16)) as Rgb;
  m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(t);
  if (m) return [0, 2, 4].map((i) => parseInt(m![1].slice(i, i + 2), 16)) as Rgb;
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(t);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  return null;
}

export function themeColor(name: string, el: Element = document.body): Rgb {
  const c = parseColor(getComputedStyle(el).getPropertyValue(name));
  if (!c) throw new Error(`theme colour ${name} is not set; the panel must run inside a VS Code webview`);
  return c;
}

/** 256 RGB entries from `low` (value 0) to `high` (value 1). */
export function ramp(low: Rgb, high: Rgb): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(low[c] + ((high[c] - low[c]) * i) / 255);
  return lut;
}

/** The ramp of the current theme: editor background → the heat accent. */
export function themeRamp(): Uint8ClampedArray {
  return ramp(themeColor('--vscode-editor-background'), themeColor('--vscode-charts-orange'));
}

/**
 * A diverging ramp for differences, 256 entries: index 0 is −1 (the blue accent), 128 is 0 (the
 * editor background), 255 is +1 (the heat accent).
 */
export function themeDivergingRamp(): Uint8ClampedArray {
  return divergingRamp(themeColor('--vscode-editor-background'), themeColor('--vscode-charts-blue'), themeColor('--vscode-charts-orange'));
}

/** 256 RGB entries: `low` at 0, `mid` at 128, `high` at 255. */
export function divergingRamp(mid: Rgb, low: Rgb, high: Rgb): Uint8ClampedArray {
  const neg = ramp(mid, low);
  const pos = ramp(mid, high);
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = Math.round((Math.abs(i - 128) / 128) * 255);
    const src = i < 128 ? neg : pos;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = src[Math.min(255, t) * 3 + c];
  }
  return lut;
}

/** LUT index of a value in [0, 1] (clamped; NaN → 0). */
export function rampIndex(v: number): number {
  return v > 0 ? Math.min(255, Math.round(v * 255)) : 0;
}

export function cssColor(lut: Uint8ClampedArray, v: number): string {
  const i = rampIndex(v) * 3;
  return `rgb(${lut[i]}, ${lut[i + 1]}, ${lut[i + 2]})`;
}
