/** Shared by the netns integration tests: what a sandbox may have left behind, seen from outside. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { findProcesses, nsId, processNsId } from '../../../labs/netns/sandbox/proc.ts';
import type { NativeSandbox } from '../../../labs/netns/sandbox/types.ts';
import { UsernsSandbox } from '../../../labs/netns/sandbox/userns.ts';

export const isRoot = process.getuid?.() === 0;

/** Identities of every namespace the sandbox holds, taken while it is alive. */
export function namespaceIds(sb: NativeSandbox): Set<string> {
  const ids = new Set<string>();
  for (const name of sb.netnsNames()) {
    const id = nsId(sb.netnsPath(name));
    if (id) ids.add(id);
  }
  if (sb instanceof UsernsSandbox) {
    ids.add(sb.usernsId);
    for (const t of ['mnt', 'net'] as const) {
      const id = processNsId(sb.holderPid, t);
      if (id) ids.add(id);
    }
  }
  return ids;
}

export interface Leftovers {
  runNetns: string[];
  ipNetnsList: string[];
  processes: number[];
  mounts: string[];
  files: string[];
}

/** Everything with the prefix (or in one of the namespaces) that still exists. */
export function leftovers(prefix: string, ids: Set<string>, stateDir: string): Leftovers {
  let runNetns: string[] = [];
  try {
    runNetns = readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
  } catch {
    // no /run/netns
  }
  let ipNetnsList: string[] = [];
  try {
    ipNetnsList = execFileSync('ip', ['netns', 'list'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .split('\n')
      .filter((l) => l.startsWith(prefix));
  } catch {
    // ip missing: covered by the /run/netns check
  }
  // live processes only: a zombie keeps nothing but a reference to its user namespace
  const processes = findProcesses((pid) =>
    (['net', 'user', 'mnt'] as const).some((t) => {
      const id = processNsId(pid, t);
      return id !== undefined && ids.has(id);
    }),
  );
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(prefix));
  const files: string[] = [];
  for (const dir of [path.join(stateDir, 'sandboxes'), '/run/svc-labs/sandboxes']) {
    try {
      files.push(
        ...readdirSync(dir)
          .filter((f) => f.startsWith(prefix))
          .map((f) => path.join(dir, f)),
      );
    } catch {
      // none
    }
  }
  return { runNetns, ipNetnsList, processes, mounts, files };
}

export const NOTHING: Leftovers = { runNetns: [], ipNetnsList: [], processes: [], mounts: [], files: [] };

/** Connect two namespaces of the sandbox with a veth pair made directly in them (moving a link
 * between namespaces costs the kernel ~20 ms; creating it in place costs ~1 ms). */
export async function vethPair(
  sb: NativeSandbox,
  a: { ns: string; dev: string; cidr: string },
  b: { ns: string; dev: string; cidr: string },
): Promise<void> {
  await sb.ipBatch([
    `link add name ${a.dev} netns ${sb.netnsPath(a.ns)} type veth peer name ${b.dev} netns ${sb.netnsPath(b.ns)}`,
  ]);
  await sb.ipBatch([`addr add ${a.cidr} dev ${a.dev}`, `link set ${a.dev} up`], a.ns);
  await sb.ipBatch([`addr add ${b.cidr} dev ${b.dev}`, `link set ${b.dev} up`], b.ns);
}
