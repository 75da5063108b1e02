/**
 * How a number is shown, shared by the CLI's tables and the panel's views so that both print the
 * same figure for the same measurement (the Timings view is checked against the CLI's text).
 */
/** Numbers as a person reads them: 4 significant digits, no exponent for ordinary magnitudes. */
export function fmt(x: number): string {
  if (Number.isNaN(x)) return 'n/a';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(3);
  return x.toPrecision(4);
}
