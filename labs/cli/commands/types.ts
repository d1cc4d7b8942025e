import type { ParsedArgs } from '../args.ts';

export interface Command {
  name: string;
  /** One line, e.g. `up <scenario> [--driver netns|kind] [--name N]`. */
  usage: string;
  summary: string;
  help?: string;
  /** Flags that take a value (the rest are booleans). */
  valueFlags?: ReadonlySet<string>;
  run(args: ParsedArgs): Promise<number>;
}
