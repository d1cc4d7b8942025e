/**
 * labctl entry point. Each command is a module in labs/cli/commands/ with its usage text; exit codes
 * follow DESIGN.md: 0 success, 1 a check or command failed, 2 bad usage or a missing prerequisite.
 */
import { parseArgs, UsageError } from './args.ts';
import { commands } from './commands/index.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

function usage(): string {
  const width = Math.max(...commands.map((c) => c.usage.length));
  const lines = commands.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`);
  return [
    'labctl - build, break, grade and tear down svc-labs Kubernetes networking labs',
    '',
    'Usage: labctl <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Read commands accept --json. Exit codes: 0 ok, 1 failed, 2 bad usage or missing prerequisite.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? EXIT_OK : argv.length === 0 ? EXIT_USAGE : EXIT_OK;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`labctl: unknown command "${name}"\n\n${usage()}`);
    return EXIT_USAGE;
  }
  try {
    const args = parseArgs(rest, command.valueFlags ?? new Set());
    if (args.flags.has('help')) {
      console.log(`Usage: labctl ${command.usage}\n\n${command.help ?? command.summary}`);
      return EXIT_OK;
    }
    return await command.run(args);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`labctl ${name}: ${e.message}\nUsage: labctl ${command.usage}`);
      return EXIT_USAGE;
    }
    const message = e instanceof Error ? e.message : String(e);
    console.error(`labctl ${name}: ${message}`);
    if (process.env.LABCTL_DEBUG && e instanceof Error) console.error(e.stack);
    return EXIT_FAILED;
  }
}
