import type { Divergence } from '../analysis/drift/rowDivergence';

/**
 * Command-line options of the analysis commands (sinks, drift, compare, stream): `--name value`,
 * `--name=value`, repeatable options, and boolean flags. Unknown options are errors that list the
 * known ones, so a typo never silently runs something else.
 */
export interface OptionSpec {
  /** Options that take a value (the last one wins unless listed in `repeat`). */
  values: string[];
  /** Options that take a value and may be given more than once. */
  repeat?: string[];
  /** Boolean flags. */
  flags?: string[];
}

export class ParsedArgs {
  constructor(private readonly command: string, private readonly map: Map<string, string[]>) {}

  has(name: string): boolean {
    return this.map.has(name);
  }

  get(name: string): string | undefined {
    const v = this.map.get(name);
    return v?.[v.length - 1];
  }

  all(name: string): string[] {
    return this.map.get(name) ?? [];
  }

  require(name: string, hint: string): string {
    const v = this.get(name);
    if (v === undefined) throw new Error(`attnscope ${this.command}: --${name} is required (${hint})`);
    return v;
  }

  number(name: string, fallback: number, check: { integer?: boolean; min?: number; max?: number } = {}): number {
    const text = this.get(name);
    if (text === undefined) return fallback;
    const x = Number(text);
    const bad = !Number.isFinite(x) || (check.integer && !Number.isInteger(x)) || (check.min !== undefined && x < check.min) || (check.max !== undefined && x > check.max);
    if (bad) {
      const range = [check.integer ? 'an integer' : 'a number', check.min !== undefined ? `≥ ${check.min}` : '', check.max !== undefined ? `≤ ${check.max}` : ''].filter(Boolean).join(' ');
      throw new Error(`attnscope ${this.command}: --${name} must be ${range}, got "${text}"`);
    }
    return x;
  }
}

export function parseArgs(command: string, argv: string[], spec: OptionSpec): ParsedArgs {
  const repeat = new Set(spec.repeat ?? []);
  const values = new Set([...spec.values, ...repeat]);
  const flags = new Set(spec.flags ?? []);
  const map = new Map<string, string[]>();
  const known = (): string => [...values, ...flags].map((n) => `--${n}`).join(', ');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`attnscope ${command}: unexpected argument "${arg}"; options are ${known()}`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (flags.has(name)) {
      if (eq >= 0) throw new Error(`attnscope ${command}: --${name} is a flag and takes no value`);
      map.set(name, ['true']);
      continue;
    }
    if (!values.has(name)) throw new Error(`attnscope ${command}: unknown option --${name}; options are ${known()}`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new Error(`attnscope ${command}: --${name} needs a value`);
      value = argv[++i];
    }
    map.set(name, repeat.has(name) ? [...(map.get(name) ?? []), value] : [value]);
  }
  return new ParsedArgs(command, map);
}

/** --divergence kl|js: how attention rows are compared (KL floors zero weights at 1e-10; JS needs no floor). */
export function parseDivergence(args: ParsedArgs, fallback: Divergence): Divergence {
  const v = args.get('divergence') ?? fallback;
  if (v !== 'kl' && v !== 'js') throw new Error(`--divergence must be kl or js, got "${v}"`);
  return v;
}
