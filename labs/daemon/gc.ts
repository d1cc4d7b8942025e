/**
 * Garbage collection of a state directory: what crashed labs and crashed daemons left behind.
 * Runs inside the daemon (`POST /gc`, and once at start-up) and in labctl when no daemon runs.
 *
 * 1. Each driver's own gc (containers, namespaces and records whose owner is dead).
 * 2. Lab directories whose owner (pid + start time in lab.json) is dead and that the calling
 *    daemon does not hold.
 * 3. Without a live daemon: daemon.json of a dead daemon and a socket nobody answers on.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { getDriver, listDrivers } from '../drivers/registry.ts';
import { LAB_RECORD, type LabRecord } from './labs.ts';
import type { DaemonPaths } from './paths.ts';
import { isAlive, type ProcessRef } from './proc.ts';
import type { DaemonInfo, StateGcReport } from './types.ts';

export interface GcOptions {
  /** Labs the calling daemon holds: never collected. */
  held?: Set<string>;
  /** Also collect the daemon's own files (only when no daemon is running). */
  daemonFiles?: boolean;
}

export async function collectGarbage(paths: DaemonPaths, opts: GcOptions = {}): Promise<StateGcReport> {
  const report: StateGcReport = { labs: [], daemonFiles: [], drivers: {}, errors: [] };
  for (const reg of await listDrivers({ includeHidden: true })) {
    try {
      const driver = await getDriver(reg.name);
      if (driver.gc) report.drivers[reg.name] = await driver.gc(paths.state);
    } catch (e) {
      report.errors.push(`${reg.name} driver gc: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  collectLabDirs(paths, opts.held ?? new Set(), report);
  if (opts.daemonFiles) await collectDaemonFiles(paths, report);
  return report;
}

function collectLabDirs(paths: DaemonPaths, held: Set<string>, report: StateGcReport): void {
  let names: string[];
  try {
    names = readdirSync(paths.labs);
  } catch {
    return;
  }
  for (const name of names) {
    if (held.has(name)) continue;
    const dir = join(paths.labs, name);
    let owner: ProcessRef | undefined;
    try {
      owner = (JSON.parse(readFileSync(join(dir, LAB_RECORD), 'utf8')) as LabRecord).owner;
    } catch {
      // No record: the daemon died between making the directory and writing it.
      owner = undefined;
    }
    if (isAlive(owner)) continue;
    try {
      rmSync(dir, { recursive: true, force: true });
      report.labs.push(name);
    } catch (e) {
      report.errors.push(`lab directory ${dir}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

export function readDaemonInfo(paths: DaemonPaths): DaemonInfo | undefined {
  try {
    return JSON.parse(readFileSync(paths.info, 'utf8')) as DaemonInfo;
  } catch {
    return undefined;
  }
}

/** Whether something accepts connections on the unix socket. */
export function socketAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

async function collectDaemonFiles(paths: DaemonPaths, report: StateGcReport): Promise<void> {
  const info = readDaemonInfo(paths);
  if (info && isAlive({ pid: info.pid, start: info.pidStart })) return;
  if (existsSync(paths.socket) && !(await socketAnswers(paths.socket))) {
    rmSync(paths.socket, { force: true });
    report.daemonFiles.push(paths.socket);
  }
  // Re-read: a daemon starting meanwhile writes its own daemon.json, which must stay.
  const again = readDaemonInfo(paths);
  if (
    existsSync(paths.info) &&
    (!again || (info && again.pid === info.pid && again.pidStart === info.pidStart))
  ) {
    rmSync(paths.info, { force: true });
    report.daemonFiles.push(paths.info);
  }
}
