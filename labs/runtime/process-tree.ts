/**
 * What a container runtime gets from cgroups and PID namespaces, approximated for plain host
 * processes: every container (and every exec) runs in its own session, so "the container" is the
 * set of processes in that session; and a record per container on disk lets a later process reap
 * containers that outlived a crashed lab daemon.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';

interface ProcStat {
  pid: number;
  session: number;
  /** Start time in clock ticks since boot: with the pid, a process's identity. */
  start: string;
}

function readStat(pid: number | string): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is the state (field 3 of stat); session is field 6, starttime field 22.
    return { pid: Number(pid), session: Number(fields[3]), start: fields[19] };
  } catch {
    return undefined;
  }
}

/** Processes whose session id is `sid` (the session leader included while it lives). */
export function sessionMembers(sid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const st = readStat(e);
    if (st && st.session === sid) out.push(st.pid);
  }
  return out;
}

export function signalNumber(sig: NodeJS.Signals): number {
  return (constants.signals as Record<string, number>)[sig] ?? 15;
}

/** Signal every process of a session; returns how many were signalled. */
export function signalSession(sid: number, sig: NodeJS.Signals): number {
  let n = 0;
  for (const pid of sessionMembers(sid)) {
    try {
      process.kill(pid, sig);
      n++;
    } catch {
      /* already gone */
    }
  }
  return n;
}

/**
 * Whether `pid` would act on `sig` as a container's PID 1: the kernel drops signals with a default
 * action sent to a PID namespace's init, so only a handled (or ignored) signal reaches it.
 */
export function initWouldReceive(pid: number, sig: NodeJS.Signals): boolean {
  if (sig === 'SIGKILL' || sig === 'SIGSTOP') return true;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const caught = status.match(/^SigCgt:\s*([0-9a-f]+)/m)?.[1];
    if (!caught) return true;
    const bit = BigInt(signalNumber(sig) - 1);
    return ((BigInt(`0x${caught}`) >> bit) & 1n) === 1n;
  } catch {
    return true;
  }
}

// ---------- records for reaping after a crash ----------

function recordDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(tmpdir(), `svc-labs-containers-${uid}`);
}

interface ContainerRecord {
  pid: number;
  start: string;
  owner: number;
  ownerStart: string;
}

/** Note a container's init process so reapOrphanContainers can find it if this process dies. */
export function recordContainer(id: string, pid: number): void {
  const st = readStat(pid);
  const me = readStat(process.pid);
  if (!st || !me) return;
  const rec: ContainerRecord = { pid, start: st.start, owner: process.pid, ownerStart: me.start };
  try {
    mkdirSync(recordDir(), { recursive: true });
    writeFileSync(join(recordDir(), id), JSON.stringify(rec));
  } catch {
    /* best effort: reaping is a safety net */
  }
}

export function forgetContainer(id: string): void {
  rmSync(join(recordDir(), id), { force: true });
}

/**
 * Kill the sessions of containers whose owning process is gone (a lab daemon killed with -9).
 * Returns how many containers were reaped. Safe to call at any time: live owners are left alone,
 * and a recycled pid is recognised by its start time.
 */
export function reapOrphanContainers(): number {
  let reaped = 0;
  let names: string[];
  try {
    names = readdirSync(recordDir());
  } catch {
    return 0;
  }
  for (const name of names) {
    const path = join(recordDir(), name);
    let rec: ContainerRecord;
    try {
      rec = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      rmSync(path, { force: true });
      continue;
    }
    const owner = readStat(rec.owner);
    if (owner && owner.start === rec.ownerStart) continue;
    // With the leader gone, its session id cannot have been reused: any member is ours.
    const init = readStat(rec.pid);
    if (!init || init.start === rec.start) {
      if (signalSession(rec.pid, 'SIGKILL') > 0) reaped++;
    }
    rmSync(path, { force: true });
  }
  return reaped;
}
