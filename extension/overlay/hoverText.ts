/** The hover of an inspected token: id and text, sink score, α per layer, the heads where it is a sink. */
import type { InspectResult } from '../../runtime/protocol/runtime';

export function hoverLines(r: InspectResult, index: number, epsilon: number): string[] {
  const t = r.tokens[index];
  const n = r.tokens.length;
  const alphaPerLayer: string[] = [];
  const sinkHeads: string[] = [];
  for (let l = 0; l < r.layers; l++) {
    let sum = 0;
    for (let h = 0; h < r.heads; h++) {
      const a = r.alpha.data[(l * r.heads + h) * n + index];
      sum += a;
      if (a > epsilon) sinkHeads.push(`L${l}h${h}`);
    }
    alphaPerLayer.push(`L${l} ${(sum / r.heads).toFixed(3)}`);
  }
  return [
    `token #${index} · id ${t.id} · ${JSON.stringify(t.text)}`,
    `sink score ${r.sinkScore.data[index].toFixed(3)} (share of heads with α > ${epsilon})`,
    `α per layer (mean over heads): ${alphaPerLayer.join(' · ')}`,
    sinkHeads.length ? `sink in ${sinkHeads.length} head${sinkHeads.length > 1 ? 's' : ''}: ${sinkHeads.join(', ')}` : 'a sink in no head',
  ];
}
