/**
 * Panel payloads on disk (test/webview/*.payload.json): the panel messages with every typed array
 * stored as base64 of its bytes, so the webview test replays exactly what the extension sent.
 */
import type { HeadMap, PanelInspection } from '../../extension/protocol/panel';

export interface PanelPayload {
  source: string;
  inspection: PanelInspection;
  headMaps: HeadMap[];
  /** The variant the recorded run used and one other, for the variant-change check. */
  otherVariant: string;
}

type Stored = { shape: number[]; f32: string };

export function encodePayload(p: PanelPayload): string {
  return JSON.stringify(p, (_k, v: unknown) => (v instanceof Float32Array ? { f32: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') } : v), 1);
}

export function decodePayload(text: string): PanelPayload {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v && typeof v === 'object' && typeof (v as Partial<Stored>).f32 === 'string') {
      const b = Buffer.from((v as Stored).f32, 'base64');
      return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    }
    return v;
  }) as PanelPayload;
}
