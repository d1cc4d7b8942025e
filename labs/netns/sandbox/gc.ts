/**
 * Garbage collection of sandboxes whose owner is gone (crash, kill -9 at any point).
 *
 * 1. Records in `<stateDir>/sandboxes/`: an owner judged dead has its sandbox removed (userns: every
 *    process of its user namespace; root: every namespace with its prefix and what runs inside).
 * 2. Root-mode namespaces in /run/netns whose prefix no live owner claims, found by name alone, so
 *    a crash before any record was written (or with another state dir) leaves nothing behind.
 */
import { readdirSync } from 'node:fs';
import { ensureNsutil } from '../../native/build.ts';
import type { SandboxMode } from '../sandbox.ts';
import { type CleanupResult, cleanupRootPrefix, cleanupUserns, ROOT_NETNS_DIR } from './cleanup.ts';
import {
  ownerAlive,
  PREFIX_OF_NAME_RE,
  readClaims,
  readRecords,
  removeClaim,
  removeRecord,
  removeStaleTemps,
  type SandboxRecord,
} from './registry.ts';

/** After a dead owner's processes are gone, how long to wait for one that was still starting. */
const SETTLE_MS = 30;

export interface GcOptions {
  /** Whether a recorded sandbox's owner is alive. Default: its owner process (pid + start time)
   * still runs. Applies to the records of this state dir; other owners' claims on root-mode
   * namespaces are always judged by their process. */
  isAlive?: (rec: SandboxRecord) => boolean;
  nsutilPath?: string;
}

export interface GcRemoved {
  prefix: string;
  mode: SandboxMode;
  /** Why it was collected: 'owner-gone' (recorded) or 'unclaimed' (found in /run/netns only). */
  reason: 'owner-gone' | 'unclaimed';
  netns: string[];
  killed: number;
}

export interface GcReport {
  removed: GcRemoved[];
  /** Prefixes left alone because their owner lives. */
  kept: string[];
  /** What could not be removed (processes that would not die, permission problems). */
  errors: string[];
}

export async function gcSandboxes(stateDir: string, opts: GcOptions = {}): Promise<GcReport> {
  const isAlive = opts.isAlive ?? ownerAlive;
  const report: GcReport = { removed: [], kept: [], errors: [] };
  const handled = new Set<string>();
  let nsutil = opts.nsutilPath;
  const tool = async () => (nsutil ??= await ensureNsutil());

  const note = (
    rec: Pick<SandboxRecord, 'prefix' | 'mode'>,
    reason: GcRemoved['reason'],
    res: CleanupResult,
  ) => {
    report.removed.push({ prefix: rec.prefix, mode: rec.mode, reason, netns: res.netns, killed: res.killed });
    if (res.survivors.length)
      report.errors.push(`${rec.prefix}: processes survived SIGKILL: ${res.survivors.join(', ')}`);
    report.errors.push(...res.errors.map((e) => `${rec.prefix}: ${e}`));
    return res.survivors.length === 0 && res.errors.length === 0;
  };

  for (const rec of readRecords(stateDir)) {
    handled.add(rec.prefix);
    if (isAlive(rec)) {
      report.kept.push(rec.prefix);
      continue;
    }
    let clean: boolean;
    if (rec.mode === 'userns') {
      const res = rec.holder
        ? await cleanupUserns(rec.prefix, rec.holder.userns, SETTLE_MS)
        : { netns: [], killed: 0, survivors: [], errors: [] };
      clean = note(rec, 'owner-gone', res);
    } else {
      clean = note(rec, 'owner-gone', await cleanupRootPrefix(rec.prefix, await tool(), SETTLE_MS));
      if (clean) removeClaim(rec.prefix);
    }
    if (clean) removeRecord(stateDir, rec.prefix);
  }

  removeStaleTemps(stateDir);
  if (process.getuid?.() === 0) {
    await collectUnclaimedRoot(report, handled, tool, note);
    removeStaleTemps();
  }
  return report;
}

async function collectUnclaimedRoot(
  report: GcReport,
  handled: Set<string>,
  tool: () => Promise<string>,
  note: (
    rec: Pick<SandboxRecord, 'prefix' | 'mode'>,
    reason: GcRemoved['reason'],
    res: CleanupResult,
  ) => boolean,
): Promise<void> {
  const claims = new Map(readClaims().map((c) => [c.prefix, c]));
  let names: string[] = [];
  try {
    names = readdirSync(ROOT_NETNS_DIR);
  } catch {
    // no /run/netns: nothing was ever created
  }
  const prefixes = new Set<string>();
  for (const n of names) {
    const m = PREFIX_OF_NAME_RE.exec(n);
    if (m) prefixes.add(m[1]);
  }
  for (const claim of claims.values()) if (claim.mode === 'root') prefixes.add(claim.prefix);
  for (const prefix of prefixes) {
    if (handled.has(prefix)) continue;
    const claim = claims.get(prefix);
    if (claim && ownerAlive(claim)) {
      report.kept.push(prefix);
      continue;
    }
    const res = await cleanupRootPrefix(prefix, await tool(), SETTLE_MS);
    if (res.netns.length > 0 || res.killed > 0) note({ prefix, mode: 'root' }, 'unclaimed', res);
    if (res.survivors.length === 0 && res.errors.length === 0) removeClaim(prefix);
  }
}
