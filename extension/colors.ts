/**
 * The overlay's theme colours, contributed in package.json (checked by the manifest test) and used
 * through ThemeColor: one per strength level, the chart orange at rising opacity, with an outline
 * colour in high contrast where backgrounds alone do not read.
 */
import { OVERLAY_LEVELS } from './overlay/tokenSpans';

export interface ColorContribution {
  id: string;
  description: string;
  defaults: { dark: string; light: string; highContrast: string; highContrastLight: string };
}

const ALPHA = ['26', '40', '66', '99', 'cc'];

export function overlayColors(): ColorContribution[] {
  return Array.from({ length: OVERLAY_LEVELS }, (_, i) => ({
    id: `attnscope.overlay.level${i + 1}`,
    description: `AttnScope overlay background of tokens in strength band ${i + 1} of ${OVERLAY_LEVELS} (sink score ${(i / OVERLAY_LEVELS).toFixed(1)}–${((i + 1) / OVERLAY_LEVELS).toFixed(1)}).`,
    defaults: { dark: `#d18616${ALPHA[i]}`, light: `#d18616${ALPHA[i]}`, highContrast: `#f38518${ALPHA[i]}`, highContrastLight: `#b5200d${ALPHA[i]}` },
  }));
}
