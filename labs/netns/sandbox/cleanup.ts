/** Removing what a sandbox left in the kernel, shared by destroy() and the garbage collector. */
import { readdirSync } from 'node:fs';
import { nsutilEnv } from '../../native/build.ts';
import { collect } from './command.ts';
import { hasMountSource, hasSandboxEnv, killMatching, nsId, processNsId } from './proc.ts';

export const ROOT_NETNS_DIR = '/run/netns';

/** Source name of a rootless sandbox's /run/netns tmpfs: marks every process of that sandbox. */
export function holderTag(prefix: string): string {
  return `svcl-sandbox:${prefix}`;
}

export interface CleanupResult {
  netns: string[];
  killed: number;
  survivors: number[];
  errors: string[];
}

export function rootNetnsWithPrefix(prefix: string): string[] {
  try {
    return readdirSync(ROOT_NETNS_DIR).filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

/** Root mode: unmount and remove the prefix's namespaces, then kill the sandbox's processes: those
 * inside the namespaces and those carrying its SVCL_SANDBOX mark (which also finds processes whose
 * namespaces were already unmounted when an earlier teardown was cut short). Unmounting first
 * means no new process can enter by name while the killing goes on. */
export async function cleanupRootPrefix(
  prefix: string,
  nsutil: string,
  settleMs = 0,
): Promise<CleanupResult> {
  const names = rootNetnsWithPrefix(prefix);
  const result: CleanupResult = { netns: names, killed: 0, survivors: [], errors: [] };
  const ids = new Set(names.map((n) => nsId(`${ROOT_NETNS_DIR}/${n}`)).filter((id) => id !== undefined));
  if (names.length > 0) {
    const out = await collect(nsutil, ['netns-del', ...names.map((n) => `${ROOT_NETNS_DIR}/${n}`)], {
      timeoutMs: 10_000,
      env: nsutilEnv(),
    });
    if (out.code !== 0) result.errors.push(out.stderr.trim() || `nsutil netns-del exited ${out.code}`);
  }
  const kill = await killMatching(
    (pid) => {
      const id = processNsId(pid, 'net');
      return (id !== undefined && ids.has(id)) || hasSandboxEnv(pid, prefix);
    },
    { settleMs },
  );
  result.killed = kill.killed.length;
  result.survivors = kill.survivors;
  return result;
}

/** Rootless mode: kill every process of the sandbox's user namespace; the kernel frees the rest.
 * The mount tag guards against a user namespace id reused after the sandbox's one was freed. */
export async function cleanupUserns(prefix: string, userns: string, settleMs = 0): Promise<CleanupResult> {
  const tag = holderTag(prefix);
  const kill = await killMatching((pid) => processNsId(pid, 'user') === userns && hasMountSource(pid, tag), {
    settleMs,
  });
  return { netns: [], killed: kill.killed.length, survivors: kill.survivors, errors: [] };
}
