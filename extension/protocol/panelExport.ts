/**
 * Exporting a panel view as an image: the extension asks (`exportView`, from Export…) or the
 * panel's own buttons start it; either way the panel answers with an `export` event carrying the
 * file's content (SVG text, or PNG bytes as base64) or why it cannot. Validators for both.
 */

export const EXPORT_VIEWS = ['strip', 'grid', 'head'] as const;
export type ExportView = (typeof EXPORT_VIEWS)[number];
export const EXPORT_FORMATS = ['svg', 'png'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_VIEW_LABELS: Record<ExportView, string> = { strip: 'token strip', grid: 'model grid', head: 'head map' };

export interface PanelExportRequest {
  view: ExportView;
  format: ExportFormat;
}

/** The exported file (`data`: SVG text, or base64 PNG bytes) or a one-line `problem`. */
export type PanelExport = PanelExportRequest & ({ data: string; name: string } | { problem: string });

/** The 8 bytes every PNG file starts with. */
export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function obj(x: unknown): Record<string, unknown> | null {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : null;
}

export function exportRequestProblem(x: unknown): string | null {
  const r = obj(x);
  if (!r || !(EXPORT_VIEWS as readonly unknown[]).includes(r.view)) return `export needs a view (${EXPORT_VIEWS.join(', ')})`;
  return (EXPORT_FORMATS as readonly unknown[]).includes(r.format) ? null : `export needs a format (${EXPORT_FORMATS.join(', ')})`;
}

/** 64 MiB of base64 or SVG text is far beyond any view; more is refused. */
const MAX_EXPORT_CHARS = 64 * 1024 * 1024;

export function panelExportProblem(x: unknown): string | null {
  const req = exportRequestProblem(x);
  if (req) return req;
  const e = obj(x)!;
  if (typeof e.problem === 'string') return null;
  if (typeof e.data !== 'string' || typeof e.name !== 'string') return 'export needs data and a name, or a problem';
  if (e.data.length > MAX_EXPORT_CHARS) return `export data is ${e.data.length} characters, more than ${MAX_EXPORT_CHARS}`;
  if (!/^[\w. -]{1,100}$/.test(e.name)) return 'export name must be a plain file name';
  if (e.format === 'svg') return e.data.startsWith('<svg') ? null : 'SVG export must start with <svg';
  return /^[A-Za-z0-9+/]+=*$/.test(e.data) && e.data.startsWith('iVBORw0KGgo') ? null : 'PNG export must be base64 PNG bytes';
}
