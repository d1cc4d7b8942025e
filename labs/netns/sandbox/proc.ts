/**
 * Finding and killing processes by the namespaces they are in, through /proc. Namespaces are named
 * by `dev:ino` of their nsfs inode, which is unique while the namespace exists.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';

export type NsType = 'net' | 'user' | 'mnt' | 'uts';

/** Identity of a namespace file (/proc/<pid>/ns/<type>, /run/netns/<name>), or undefined. */
export function nsId(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** Is the path a namespace (an nsfs inode, as a bound /run/netns/<name> is), not a plain file? */
export function isNamespaceFile(path: string): boolean {
  try {
    return statSync(path).dev === statSync('/proc/self/ns/net').dev;
  } catch {
    return false;
  }
}

/** Namespace of a live process; undefined for zombies, vanished or inaccessible processes. */
export function processNsId(pid: number, type: NsType): string | undefined {
  return nsId(`/proc/${pid}/ns/${type}`);
}

export function listPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0) pids.push(pid);
  }
  return pids;
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat): with the pid,
 * it names one process and never a later one that reuses the pid. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** State letter of a process (R, S, Z ...), undefined if it is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

export interface ProcessRef {
  pid: number;
  start: string;
}

export function selfRef(): ProcessRef {
  return { pid: process.pid, start: processStartTime(process.pid) ?? '' };
}

export function refOf(pid: number): ProcessRef | undefined {
  const start = processStartTime(pid);
  return start === undefined ? undefined : { pid, start };
}

/** True while that very process exists and has not exited (zombies count as gone). */
export function isRunning(ref: ProcessRef): boolean {
  const start = processStartTime(ref.pid);
  if (start === undefined || start !== ref.start) return false;
  const state = processState(ref.pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** Does one of the process's mounts have this source (the tag of a sandbox's tmpfs)? */
export function hasMountSource(pid: number, source: string): boolean {
  try {
    const info = readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
    return info.includes(` - tmpfs ${source} `);
  } catch {
    return false;
  }
}

/** Live processes that match. Zombies are left out: they hold no namespace but their user
 * namespace (through their credentials) and vanish when their parent reaps them. */
/** Environment variable set on every command a sandbox runs; it names the sandbox's processes
 * even after their namespaces have been unmounted. */
export const SANDBOX_ENV = 'SVCL_SANDBOX';

/** Was the process started with SVCL_SANDBOX=<prefix> (its initial environment, as exec'd)? */
export function hasSandboxEnv(pid: number, prefix: string): boolean {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'latin1');
    const entry = `${SANDBOX_ENV}=${prefix}\0`;
    return env.startsWith(entry) || env.includes(`\0${entry}`);
  } catch {
    return false;
  }
}

export function findProcesses(match: (pid: number) => boolean): number[] {
  return listPids().filter((pid) => pid !== process.pid && match(pid) && !isDead(pid));
}

function isDead(pid: number): boolean {
  const state = processState(pid);
  return state === undefined || state === 'Z' || state === 'X';
}

export interface KillResult {
  killed: number[];
  survivors: number[];
}

/**
 * SIGKILL every process that matches, again and again until none is left (a process may fork
 * between the scan and the kill) or the time is up; with `settleMs`, once more after that pause. Killed processes that are our own children
 * stay as zombies until Node reaps them.
 */
export async function killMatching(
  match: (pid: number) => boolean,
  opts: { timeoutMs?: number; settleMs?: number } = {},
): Promise<KillResult> {
  const killed = new Set<number>();
  const deadline = Date.now() + (opts.timeoutMs ?? 3000);
  let settled = !opts.settleMs;
  for (;;) {
    const found = findProcesses(match);
    if (found.length === 0) {
      if (settled) return { killed: [...killed], survivors: [] };
      // A process spawned just before its owner died may still be on its way in: look once more.
      settled = true;
      await new Promise((r) => setTimeout(r, opts.settleMs));
      continue;
    }
    if (Date.now() > deadline) return { killed: [...killed], survivors: found };
    for (const pid of found) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        // already gone, or not ours to kill (reported as a survivor if it stays)
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
