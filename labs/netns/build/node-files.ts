/**
 * Node-private files on the host: `<labDir>/nodes/<node>/<path inside the node>`. Node shells see
 * them at their real paths (`nsutil exec --bind` mounts the directories over /etc/...), and every
 * boot of the node reads them back, so the file is the single source of a node's network.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { NodeSpec } from '../../topology/types.ts';
import {
  type NetplanFile,
  type NetworkConfig,
  parseNetplanFiles,
  renderPersistentConfig,
} from './netplan.ts';
import { renderSysctlConf, type SysctlFile } from './sysctl-conf.ts';

export const NETPLAN_DIR = '/etc/netplan';
export const SYSCTL_DIR = '/etc/sysctl.d';

export function nodeRoot(labDir: string, node: string): string {
  return join(labDir, 'nodes', node);
}

/** Host path of a file inside a node (`/etc/netplan/50-cloud-init.yaml` -> `<labDir>/nodes/<node>/etc/...`). */
export function nodeFilePath(labDir: string, node: string, pathInNode: string): string {
  if (!pathInNode.startsWith('/') || pathInNode.split('/').includes('..'))
    throw new Error(`${pathInNode} is not an absolute path inside the node`);
  return join(nodeRoot(labDir, node), pathInNode);
}

/** Write the files a node boots from, replacing any netplan or sysctl.d files left from an earlier lab. */
export async function writeNodeFiles(labDir: string, node: NodeSpec): Promise<void> {
  for (const dir of [NETPLAN_DIR, SYSCTL_DIR]) {
    await rm(nodeFilePath(labDir, node.name, dir), { recursive: true, force: true });
  }
  const sysctlNote = 'Kernel settings this node applies at boot (systemd-sysctl reads /etc/sysctl.d/*.conf).';
  await Promise.all([
    // netplan warns about world-readable configuration files; real ones are 0600.
    put(nodeFilePath(labDir, node.name, node.persistent.netplan), renderPersistentConfig(node), 0o600),
    put(
      nodeFilePath(labDir, node.name, node.persistent.sysctl),
      renderSysctlConf(node.sysctls, sysctlNote),
      0o644,
    ),
    put(nodeFilePath(labDir, node.name, '/etc/hostname'), `${node.hostname}\n`, 0o644),
  ]);
}

async function put(path: string, text: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text, { mode });
}

async function readDir(dir: string, suffix: string): Promise<{ name: string; text: string }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const wanted = names.filter((n) => n.endsWith(suffix)).sort();
  return Promise.all(wanted.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })));
}

export async function readNetplanFiles(labDir: string, node: string): Promise<NetplanFile[]> {
  return readDir(nodeFilePath(labDir, node, NETPLAN_DIR), '.yaml');
}

/** The merged netplan configuration of a node (throws PersistentConfigError). */
export async function readPersistentConfig(labDir: string, node: string): Promise<NetworkConfig> {
  return parseNetplanFiles(await readNetplanFiles(labDir, node));
}

export async function readSysctlFiles(labDir: string, node: string): Promise<SysctlFile[]> {
  return readDir(nodeFilePath(labDir, node, SYSCTL_DIR), '.conf');
}
