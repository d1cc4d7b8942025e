/**
 * Commands and terminals on the host, for the process driver's "nodes" (which are the host). Every
 * process gets a parent-death signal, so a daemon killed with -9 takes its commands with it, and
 * runs in a session of its own, so a timeout ends the whole command and not only its first process.
 */
import { spawn } from 'node:child_process';
import { accessSync, existsSync, constants as fsConstants } from 'node:fs';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import pty from '@lydell/node-pty';
import type { ExecOptions, RunResult } from '../driver.ts';
import type { Terminal, TerminalOptions } from '../lab-driver.ts';

/** Output kept per stream; a command printing more is cut (the daemon answers in one JSON body). */
const MAX_OUTPUT = 16 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 5 * 60_000;
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

function withParentDeath(argv: string[]): string[] {
  return SETPRIV ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...argv] : argv;
}

/** Where a shell would find `name` on PATH (or the path itself when it has a slash). */
function findProgram(name: string, path: string | undefined, cwd: string): string | undefined {
  const candidates = name.includes('/')
    ? [resolve(cwd, name)]
    : (path ?? '')
        .split(':')
        .filter(Boolean)
        .map((d) => resolve(cwd, d, name));
  for (const c of candidates) {
    try {
      accessSync(c, fsConstants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

function signalCode(signal: NodeJS.Signals): number {
  return 128 + ((constants.signals as Record<string, number>)[signal] ?? 0);
}

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

export function runOnHost(
  argv: string[],
  opts: ExecOptions & { cwd: string; baseEnv: Record<string, string> },
): Promise<RunResult> {
  const started = performance.now();
  const env = { ...opts.baseEnv, ...opts.env };
  if (!findProgram(argv[0], env.PATH, opts.cwd)) {
    // As a shell says it (and with its exit code), rather than as setpriv would.
    return Promise.resolve({ code: 127, stdout: '', stderr: `${argv[0]}: command not found\n`, ms: 0 });
  }
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outSize = 0;
    let errSize = 0;
    let timedOut = false;
    let settled = false;
    const finish = (code: number, extraErr = '') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + extraErr,
        ms: Math.round(performance.now() - started),
      });
    };
    const [file, ...args] = withParentDeath(argv);
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      if (outSize < MAX_OUTPUT) out.push(d);
      outSize += d.length;
    });
    child.stderr.on('data', (d: Buffer) => {
      if (errSize < MAX_OUTPUT) err.push(d);
      errSize += d.length;
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
    child.once('error', (e: NodeJS.ErrnoException) => {
      // Without setpriv in front, a missing program is a spawn error; say it as a shell would.
      finish(
        e.code === 'ENOENT' ? 127 : 126,
        `${argv[0]}: ${e.code === 'ENOENT' ? 'command not found' : e.message}\n`,
      );
    });
    // Whatever the command left running in its session goes with it (and would otherwise hold the
    // pipes open): this driver's nodes have no lifetime of their own to keep it in.
    child.once('exit', () => killGroup(child.pid));
    child.once('close', (code, signal) => {
      if (timedOut) finish(124, `command timed out after ${timeoutMs} ms\n`);
      else if (signal) finish(signalCode(signal));
      else finish(code ?? 1);
    });
  });
}

/** A pty running `argv` on the host. */
export function hostTerminal(
  argv: string[],
  opts: TerminalOptions & { cwd: string; env: Record<string, string> },
): Terminal {
  const [file, ...args] = withParentDeath(argv);
  const term = pty.spawn(file, args, {
    name: 'xterm-256color',
    cols: Math.max(1, opts.cols),
    rows: Math.max(1, opts.rows),
    cwd: opts.cwd,
    env: opts.env,
    encoding: null,
  });
  const exited = new Promise<number>((resolve) => {
    term.onExit(({ exitCode, signal }) => {
      killGroup(term.pid);
      resolve(signal ? 128 + signal : exitCode);
    });
  });
  return {
    onData: (listener) => {
      term.onData((d) => listener(Buffer.isBuffer(d) ? d : Buffer.from(d)));
    },
    write: (data) => term.write(data as string),
    resize: (size) => {
      try {
        term.resize(Math.max(1, size.cols), Math.max(1, size.rows));
      } catch {
        /* exited */
      }
    },
    close: () => killGroup(term.pid),
    exited,
  };
}
