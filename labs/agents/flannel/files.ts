/**
 * The files flannel leaves on a node, under the node's private file tree (`<labDir>/nodes/<node>`,
 * which node shells see at the real paths):
 * - /run/flannel/subnet.env, written by flanneld (subnet.WriteSubnetFile: temp file + rename), and
 *   read back at the next start to decide whether old masquerade rules need recycling;
 * - /etc/cni/net.d/10-flannel.conflist, copied from the ConfigMap by the `install-cni` init
 *   container - so a ConfigMap edit reaches the node only when the flannel pod (re)starts.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { firstAddress } from './vxlan.ts';

/** `path` inside the node, as a host path under `nodeRoot`. */
export function nodePath(nodeRoot: string, path: string): string {
  if (!path.startsWith('/') || path.split('/').includes('..'))
    throw new Error(`${path} is not an absolute path inside the node`);
  return join(nodeRoot, path);
}

export interface SubnetEnv {
  network: string;
  subnet: string;
  mtu: number;
  ipMasq: boolean;
}

export function renderSubnetEnv(e: SubnetEnv): string {
  return (
    `FLANNEL_NETWORK=${e.network}\n` +
    `FLANNEL_SUBNET=${firstAddress(e.subnet)}\n` +
    `FLANNEL_MTU=${e.mtu}\n` +
    `FLANNEL_IPMASQ=${e.ipMasq}\n`
  );
}

/** KEY=VALUE lines (godotenv's common subset: comments, `export `, quotes). */
export function parseEnvFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/^export\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    out.set(line.slice(0, eq).trim(), value);
  }
  return out;
}

/** The file's values, or an empty map when it does not exist. */
export async function readEnvFile(hostPath: string): Promise<Map<string, string>> {
  try {
    return parseEnvFile(await readFile(hostPath, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
}

/** Write through a dot-file and rename(2), so readers never see half a file. */
export async function writeAtomic(hostPath: string, text: string, mode = 0o644): Promise<void> {
  const dir = dirname(hostPath);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const temp = join(dir, `.${hostPath.slice(dir.length + 1)}`);
  await writeFile(temp, text, { mode });
  await rename(temp, hostPath);
}

export const CNI_CONFLIST_PATH = '/etc/cni/net.d/10-flannel.conflist';

/**
 * The `install-cni` init container: `cp -f /etc/kube-flannel/cni-conf.json
 * /etc/cni/net.d/10-flannel.conflist`, byte for byte. Call it each time the flannel pod starts.
 * Returns the host path written.
 */
export async function installCni(nodeRoot: string, cniConfJson: string): Promise<string> {
  const path = nodePath(nodeRoot, CNI_CONFLIST_PATH);
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  await writeFile(path, cniConfJson, { mode: 0o644 });
  return path;
}
