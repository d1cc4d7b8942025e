/**
 * What the lab commands share: flag checking, reaching the daemon, and turning daemon answers into
 * labctl's exit codes (0 ok, 1 failed, 2 bad usage or missing prerequisite).
 */
import {
  DaemonApiError,
  type DaemonClient,
  DaemonUnavailableError,
  findDaemon,
} from '../../daemon/client.ts';
import { daemonPaths } from '../../daemon/paths.ts';
import { type ParsedArgs, UsageError } from '../args.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Refuse flags the command does not know (`--json` and `--help` are always allowed). */
export function checkFlags(args: ParsedArgs, allowed: readonly string[]): void {
  for (const name of args.flags.keys()) {
    if (name === 'help' || name === 'json' || allowed.includes(name)) continue;
    throw new UsageError(`unknown flag --${name}`);
  }
  const dashed = args.positional.find((p) => p.startsWith('-') && p !== '-');
  if (dashed) throw new UsageError(`unknown flag ${dashed}`);
}

export function positionals(args: ParsedArgs, min: number, max: number, what: string): string[] {
  if (args.positional.length < min) throw new UsageError(`missing ${what}`);
  if (args.positional.length > max) throw new UsageError(`unexpected argument "${args.positional[max]}"`);
  return args.positional;
}

/** The running daemon, or undefined (read commands do not start one). */
export function runningDaemon(): Promise<DaemonClient | undefined> {
  return findDaemon(daemonPaths());
}

export function noDaemonLab(name: string): DaemonApiError {
  return new DaemonApiError(404, {
    error: `no lab named "${name}" (no lab daemon is running)`,
    reason: 'NotFound',
  });
}

/** Print what went wrong and choose the exit code; errors that are not the daemon's are rethrown. */
export function reportFailure(command: string, e: unknown): number {
  if (e instanceof DaemonApiError) {
    console.error(`labctl ${command}: ${e.message}`);
    // Input the daemon refused (unknown lab, name taken, driver missing here) is the caller's to fix.
    return e.status < 500 && e.status !== 501 ? EXIT_USAGE : EXIT_FAILED;
  }
  if (e instanceof DaemonUnavailableError) {
    console.error(`labctl ${command}: ${e.message}`);
    return EXIT_FAILED;
  }
  throw e;
}

export async function guarded(command: string, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    return reportFailure(command, e);
  }
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** `42s`, `5m`, `3h`, `2d`, as kubectl shows ages. */
export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 2 * 3600) return `${Math.floor(s / 60)}m`;
  if (s < 2 * 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function table(rows: string[][]): string {
  const widths = rows[0].map((_c, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('   '))
    .join('\n');
}
