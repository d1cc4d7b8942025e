/**
 * Shared by the daemon and labctl suites: a private state directory per suite, labctl run as a
 * real child process on the project's Node, and stopping the daemons a suite started.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DaemonInfo } from '../../../labs/daemon/types.ts';

export const REPO = resolve(import.meta.dirname, '..', '..', '..');
export const NODE = join(REPO, 'node_modules', '.bin', 'node');
const LABCTL = join(REPO, 'scripts', 'labctl.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh state directory, short enough for a unix socket path. */
export function makeState(tag: string): string {
  return mkdtempSync(join(tmpdir(), `svcl-${tag}-`));
}

export function labctl(
  state: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(NODE, [LABCTL, ...args], {
      cwd: REPO,
      env: { ...process.env, SVC_LABS_STATE: state, LABCTL_DEBUG: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export function kubectl(kubeconfig: string, args: string[], cacheDir: string): Promise<Run> {
  return new Promise((done) => {
    execFile(
      'kubectl',
      args,
      {
        env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cacheDir, HOME: cacheDir },
        timeout: 30_000,
      },
      (error, stdout, stderr) => {
        const code = error
          ? typeof (error as { code?: unknown }).code === 'number'
            ? (error as { code: number }).code
            : 1
          : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

export function daemonInfo(state: string): DaemonInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(state, 'daemon.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Gone, or a zombie waiting for a parent to reap it (it runs nothing any more). */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

export async function waitFor(
  what: string,
  fn: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Stop the daemon serving `state` (SIGTERM, then SIGKILL) and remove the directory. */
export async function stopDaemonAndClean(state: string): Promise<void> {
  const info = daemonInfo(state);
  if (info && !processGone(info.pid)) {
    try {
      process.kill(info.pid, 'SIGTERM');
      await waitFor(`daemon ${info.pid} to exit`, () => processGone(info.pid), 15_000);
    } catch {
      try {
        process.kill(info.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  if (existsSync(state)) await labctl(state, ['gc']);
  rmSync(state, { recursive: true, force: true });
}
