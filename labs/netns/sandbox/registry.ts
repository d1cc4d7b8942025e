/**
 * What a sandbox leaves on disk so that a later process can clean up after it when its owner died:
 * - `<stateDir>/sandboxes/<prefix>.json`: mode, owner and holder processes (pid + start time);
 * - for root mode also a claim in ROOT_CLAIMS_DIR: root-mode namespaces are visible machine-wide in
 *   /run/netns, and a collector working on a different state dir must be able to tell a live
 *   owner's namespaces from orphans.
 * Both are written before anything is created.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SandboxMode } from '../sandbox.ts';
import { isRunning, type ProcessRef, processStartTime } from './proc.ts';

export const ROOT_CLAIMS_DIR = '/run/svc-labs/sandboxes';
/** Every sandbox prefix: the family, one segment, a dash. The shape makes prefixes of different
 * sandboxes unable to be prefixes of each other's namespace names. */
export const PREFIX_RE = /^svcl-[a-z0-9]{1,32}-$/;
export const PREFIX_OF_NAME_RE = /^(svcl-[a-z0-9]{1,32}-)/;

export interface SandboxRecord {
  version: 1;
  prefix: string;
  mode: SandboxMode;
  owner: ProcessRef;
  /** userns mode: the process holding the namespaces, and the id (dev:ino) of its user namespace. */
  holder?: ProcessRef & { userns: string };
  createdAt: string;
}

export function recordDir(stateDir: string): string {
  return path.join(stateDir, 'sandboxes');
}

function recordFile(dir: string, prefix: string): string {
  if (!PREFIX_RE.test(prefix)) throw new Error(`invalid sandbox prefix '${prefix}'`);
  return path.join(dir, `${prefix}.json`);
}

function writeAtomic(file: string, rec: SandboxRecord): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(rec, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, file);
}

function readDir(dir: string): SandboxRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: SandboxRecord[] = [];
  for (const name of names) {
    if (!name.endsWith('.json') || !PREFIX_RE.test(name.slice(0, -5))) continue;
    try {
      const rec = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as SandboxRecord;
      if (rec?.prefix === name.slice(0, -5)) out.push(rec);
    } catch {
      // a torn or foreign file: the record is written atomically, so this is not ours
    }
  }
  return out;
}

export function writeRecord(stateDir: string, rec: SandboxRecord): void {
  writeAtomic(recordFile(recordDir(stateDir), rec.prefix), rec);
}

export function readRecords(stateDir: string): SandboxRecord[] {
  return readDir(recordDir(stateDir));
}

export function removeRecord(stateDir: string, prefix: string): void {
  rmSync(recordFile(recordDir(stateDir), prefix), { force: true });
}

export function writeClaim(rec: SandboxRecord): void {
  writeAtomic(recordFile(ROOT_CLAIMS_DIR, rec.prefix), rec);
}

export function readClaims(): SandboxRecord[] {
  return readDir(ROOT_CLAIMS_DIR);
}

export function removeClaim(prefix: string): void {
  rmSync(recordFile(ROOT_CLAIMS_DIR, prefix), { force: true });
}

const TEMP_RE = /^svcl-[a-z0-9]{1,32}-\.json\.(\d+)\.tmp$/;

/** Remove half-written records left by writers that died mid-write; returns what was removed. */
export function removeStaleTemps(stateDir?: string): string[] {
  const removed: string[] = [];
  for (const dir of stateDir === undefined ? [ROOT_CLAIMS_DIR] : [recordDir(stateDir)]) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = TEMP_RE.exec(name);
      if (!m || processStartTime(Number(m[1])) !== undefined) continue;
      rmSync(path.join(dir, name), { force: true });
      removed.push(path.join(dir, name));
    }
  }
  return removed;
}

/** Default liveness: the owning process itself (same pid and start time) still runs. */
export function ownerAlive(rec: SandboxRecord): boolean {
  return isRunning(rec.owner);
}
