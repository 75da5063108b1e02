/** How a value exactly halfway between two integers is rounded (spec §2.2: torch rounds half to even). */
export type HalfRounding = 'half-even' | 'half-up';

/** Round a real to the nearest integer, ties by `mode`. */
export function roundHalf(x: number, mode: HalfRounding): number {
  const f = Math.floor(x);
  const r = x - f;
  if (r > 0.5) return f + 1;
  if (r < 0.5) return f;
  return mode === 'half-up' ? f + 1 : f % 2 === 0 ? f : f + 1;
}
