/** Running one program to completion with its output collected, bounded in time and size. */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export interface ProcessOutcome {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface CollectOptions {
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
  /** Bytes kept per stream; the rest is dropped (a runaway command must not exhaust memory). */
  maxOutput?: number;
}

/** Exit code reported for a command killed at its time limit (as timeout(1) does). */
export const TIMEOUT_CODE = 124;

export function collect(file: string, args: string[], opts: CollectOptions = {}): Promise<ProcessOutcome> {
  const max = opts.maxOutput ?? 16 << 20;
  return new Promise((resolve, reject) => {
    // Own process group, so a time-out kills what the command started too.
    const child = spawn(file, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: opts.env,
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    child.stdout!.on('data', (d: Buffer) => {
      if (outLen < max) out.push(d);
      outLen += d.length;
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (errLen < max) err.push(d);
      errLen += d.length;
    });
    let timedOut = false;
    const timer =
      opts.timeoutMs && opts.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            try {
              if (child.pid) process.kill(-child.pid, 'SIGKILL');
            } catch {
              child.kill('SIGKILL');
            }
          }, opts.timeoutMs)
        : undefined;
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: timedOut ? TIMEOUT_CODE : (code ?? 128 + signalNumber(signal)),
        signal,
        stdout: Buffer.concat(out).toString('utf8').slice(0, max),
        stderr: Buffer.concat(err).toString('utf8').slice(0, max),
        timedOut,
      });
    });
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => {}); // the command may exit without reading all of it
      child.stdin.end(opts.input);
    }
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? ((constants.signals as Record<string, number>)[signal] ?? 0) : 0;
}
