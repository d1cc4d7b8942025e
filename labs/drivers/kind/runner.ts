/**
 * Runs commands (commands.ts) through execa: resolves the plan's queries first (each once per
 * runner), feeds the input, and on failure throws a CommandError that carries the command as a
 * line you can paste, its exit code and the end of its output - as kind's own exec errors do.
 */
import { constants } from 'node:os';
import { execa } from 'execa';
import type { RunResult } from '../driver.ts';
import { type Cmd, markersIn, type Query, renderCmd, substitute } from './commands.ts';

const DEFAULT_TIMEOUT_MS = 5 * 60_000;
const MAX_BUFFER = 64 * 1024 * 1024;

export class CommandError extends Error {
  override readonly name = 'CommandError';
  readonly command: string;
  readonly code: number;
  readonly stderr: string;
  constructor(command: string, code: number, stdout: string, stderr: string) {
    const tail = (stderr.trim() || stdout.trim()).split('\n').slice(-8).join('\n');
    super(`command failed (exit ${code}): ${command.split('\n')[0]}${tail ? `\n${tail}` : ''}`);
    this.command = command;
    this.code = code;
    this.stderr = stderr;
  }
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
  signal?: AbortSignal;
}

/** One process, never rejecting: exit 124 on timeout, 127 when the program is missing. */
export async function runArgv(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const r = await execa(argv[0], argv.slice(1), {
    reject: false,
    input: opts.input ?? '',
    timeout: timeoutMs,
    maxBuffer: MAX_BUFFER,
    stripFinalNewline: false,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
  });
  const ms = Math.round(performance.now() - started);
  const stdout = typeof r.stdout === 'string' ? r.stdout : '';
  let stderr = typeof r.stderr === 'string' ? r.stderr : '';
  let code = r.exitCode ?? 1;
  if (r.timedOut) {
    code = 124;
    stderr += `command timed out after ${timeoutMs} ms\n`;
  } else if (r.isCanceled) {
    code = 130;
    stderr += 'command canceled\n';
  } else if (r.exitCode === undefined && (r as { code?: string }).code === 'ENOENT') {
    code = 127;
    stderr = `${argv[0]}: command not found\n`;
  } else if (r.exitCode === undefined && r.signal)
    code = 128 + ((constants.signals as Record<string, number>)[r.signal] ?? 0);
  return { code, stdout, stderr, ms };
}

export class Runner {
  private readonly values = new Map<number, string>();
  private readonly queries: readonly Query[];
  private readonly signal?: AbortSignal;

  constructor(queries: readonly Query[] = [], signal?: AbortSignal) {
    this.queries = queries;
    this.signal = signal;
  }

  private async value(i: number): Promise<string> {
    const known = this.values.get(i);
    if (known !== undefined) return known;
    const q = this.queries[i];
    if (!q) throw new Error(`plan refers to unknown query ${i}`);
    const r = await runArgv(q.argv, { timeoutMs: 30_000, signal: this.signal });
    const v = r.stdout.trim();
    if (r.code !== 0) throw new CommandError(renderCmd({ argv: q.argv }), r.code, r.stdout, r.stderr);
    if (v === '' || v === '<no value>')
      throw new CommandError(renderCmd({ argv: q.argv }), 0, '', `no value for ${q.key}`);
    this.values.set(i, v);
    return v;
  }

  /** The command with every query answered. */
  async resolve(cmd: Cmd): Promise<Cmd> {
    const used = new Set([...cmd.argv.flatMap(markersIn), ...(cmd.input ? markersIn(cmd.input) : [])]);
    const values = new Map<number, string>();
    for (const i of used) values.set(i, await this.value(i));
    const sub = (s: string) => substitute(s, (i) => values.get(i) ?? '');
    return { ...cmd, argv: cmd.argv.map(sub), ...(cmd.input !== undefined ? { input: sub(cmd.input) } : {}) };
  }

  /** Run one command; throws CommandError unless it succeeds (or fails in a tolerated way). */
  async run(cmd: Cmd): Promise<RunResult> {
    this.signal?.throwIfAborted();
    const ready = await this.resolve(cmd);
    const r = await runArgv(ready.argv, {
      input: ready.input,
      timeoutMs: cmd.timeoutMs,
      signal: this.signal,
    });
    if (r.code === 0) return r;
    if (cmd.tolerate?.test(`${r.stderr}\n${r.stdout}`)) return r;
    this.signal?.throwIfAborted();
    throw new CommandError(renderCmd({ argv: ready.argv }), r.code, r.stdout, r.stderr);
  }
}
