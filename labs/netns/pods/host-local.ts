/**
 * The host-local IPAM plugin's disk store, kept where the plugin keeps it inside the node
 * (`/var/lib/cni/networks/<network>/`): one file per allocated address holding `<containerID>\r\n<ifname>`,
 * `last_reserved_ip.0` for its round-robin cursor, and a `lock` file. Learners can `ls` it on the
 * node and see which pod holds which address - and a leaked file is a leaked address, as on a node.
 *
 * Synchronous on purpose: an allocation is a handful of tiny file operations, and doing them in one
 * uninterrupted step keeps parallel sandbox creations on the same node from picking the same address
 * (the plugin itself takes a file lock for the same reason).
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { intToIp, ipToInt } from '../../kube/ipnet.ts';
import { CniError, type HostLocalConf } from './cni-config.ts';

const LAST_RESERVED = 'last_reserved_ip.0';
const LINE_BREAK = '\r\n';

export interface Allocation {
  ip: string;
  /** Prefix length of the range's subnet. */
  prefix: number;
  gateway: string;
}

/** Host directory of a network's store: `<nodeRoot><dataDir>/<network>`. */
export function storeDir(nodeRoot: string, network: string, dataDir: string): string {
  return join(nodeRoot, dataDir, network);
}

function ensureStore(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  closeSync(openSync(join(dir, 'lock'), 'a', 0o644));
}

/** Reserve the next free address after the last one handed out, as host-local's range iterator does. */
export function reserve(dir: string, ipam: HostLocalConf, containerId: string, ifname: string): Allocation {
  ensureStore(dir);
  const start = ipToInt(ipam.rangeStart);
  const end = ipToInt(ipam.rangeEnd);
  const gateway = ipToInt(ipam.gateway);
  const prefix = Number(ipam.subnet.split('/')[1]);
  let last: number | undefined;
  try {
    last = ipToInt(readFileSync(join(dir, LAST_RESERVED), 'utf8').trim());
  } catch {
    last = undefined;
  }
  const count = end - start + 1;
  const first = last !== undefined && last >= start && last <= end ? last + 1 : start;
  for (let i = 0; i < count; i++) {
    const n = start + ((first - start + i) % count);
    if (n === gateway) continue;
    const ip = intToIp(n);
    let fd: number;
    try {
      fd = openSync(join(dir, ip), 'wx', 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
    try {
      writeSync(fd, `${containerId}${LINE_BREAK}${ifname}`);
    } finally {
      closeSync(fd);
    }
    writeFileSync(join(dir, LAST_RESERVED), ip, { mode: 0o644 });
    return { ip, prefix, gateway: ipam.gateway };
  }
  throw new CniError(
    `failed to allocate for range 0: no IP addresses available in range set: ${ipam.rangeStart}-${ipam.rangeEnd}`,
  );
}

/** Release whatever the container holds (host-local's DEL: by id, tolerant of missing files). */
export function releaseById(dir: string, containerId: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const released: string[] = [];
  for (const name of names) {
    if (name === 'lock' || name.startsWith('last_reserved_ip.')) continue;
    try {
      const owner = readFileSync(join(dir, name), 'utf8').split(LINE_BREAK)[0].trim();
      if (owner !== containerId) continue;
      rmSync(join(dir, name), { force: true });
      released.push(name);
    } catch {
      // vanished meanwhile
    }
  }
  return released;
}

/** Addresses currently reserved, with their holders (for tools and tests). */
export function reservations(dir: string): { ip: string; containerId: string; ifname: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n !== 'lock' && !n.startsWith('last_reserved_ip.'))
    .map((ip) => {
      const [containerId = '', ifname = ''] = readFileSync(join(dir, ip), 'utf8').split(LINE_BREAK);
      return { ip, containerId, ifname };
    });
}
