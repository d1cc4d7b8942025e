/** A small argument parser: flags with values, boolean flags, `--` passthrough. */
export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
  /** Everything after `--`, untouched. */
  rest: string[];
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], valueFlags: ReadonlySet<string>): ParsedArgs {
  const out: ParsedArgs = { positional: [], flags: new Map(), rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.rest = argv.slice(i + 1);
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) out.flags.set(name, a.slice(eq + 1));
      else if (valueFlags.has(name)) {
        const v = argv[i + 1];
        if (v === undefined || v.startsWith('--')) throw new UsageError(`--${name} needs a value`);
        out.flags.set(name, v);
        i++;
      } else out.flags.set(name, true);
    } else if (a === '-h') out.flags.set('help', true);
    else out.positional.push(a);
  }
  return out;
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function boolFlag(args: ParsedArgs, name: string): boolean {
  return args.flags.get(name) === true || args.flags.get(name) === 'true';
}
