/** A command-line usage error: printed in one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  command: string;
  flags: Map<string, string | true>;
}

/**
 * Parses `attnscope COMMAND --flag value --switch ...` against the flags a command accepts:
 * `valued` flags take the next argument (or `--flag=value`), `switches` take none.
 */
export function parseArgs(argv: string[], commands: Record<string, { valued: string[]; switches: string[] }>): ParsedArgs {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') throw new UsageError(usage(commands));
  const spec = commands[command];
  if (!spec) throw new UsageError(`unknown command "${command}"; commands: ${Object.keys(commands).join(', ')}`);
  const flags = new Map<string, string | true>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}" for ${command}; flags start with --`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (spec.switches.includes(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
    } else if (spec.valued.includes(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : rest[++i];
      if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else {
      const known = [...spec.valued, ...spec.switches].map((f) => `--${f}`).join(', ');
      throw new UsageError(`unknown flag --${name} for ${command}; it accepts ${known}`);
    }
  }
  return { command, flags };
}

export function usage(commands: Record<string, { valued: string[]; switches: string[] }>): string {
  const lines = Object.entries(commands).map(([c, s]) => `attnscope ${c} ${[...s.valued.map((f) => `[--${f} X]`), ...s.switches.map((f) => `[--${f}]`)].join(' ')}`);
  return `usage: ${lines.join(' | ')}`;
}

/** A string flag, or undefined. */
export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}
