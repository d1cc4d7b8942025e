/**
 * Boot-time sysctls of a node: the kernel's defaults, then /etc/sysctl.d/*.conf in lexicographic
 * order (later files win, as systemd-sysctl applies them), then per-interface values copied from
 * `default` as the kernel does when a device registers. Rebooting a node therefore undoes a learner's
 * `sysctl -w net.ipv4.conf.all.rp_filter=0` unless they also wrote it to a file.
 *
 * Only per-network-namespace keys are applied: a node's `kernel.*` or `vm.*` line would change the
 * host, so it is reported and skipped.
 */
import { isNetnsSysctl } from '../../topology/validate.ts';

export interface SysctlFile {
  name: string;
  text: string;
}

/** Values a freshly booted kernel has for the keys the labs care about (before any sysctl.d file). */
export const KERNEL_BOOT_DEFAULTS: Readonly<Record<string, string>> = {
  'net.ipv4.ip_forward': '0',
  'net.ipv4.conf.all.rp_filter': '0',
  'net.ipv4.conf.default.rp_filter': '0',
  'net.ipv4.conf.all.log_martians': '0',
  'net.ipv4.conf.default.log_martians': '0',
  'net.ipv4.conf.all.accept_local': '0',
  'net.ipv4.conf.default.accept_local': '0',
  'net.ipv4.conf.all.route_localnet': '0',
  'net.ipv4.conf.default.route_localnet': '0',
  'net.ipv4.conf.all.arp_ignore': '0',
  'net.ipv4.conf.default.arp_ignore': '0',
  'net.ipv4.conf.all.arp_announce': '0',
  'net.ipv4.conf.default.arp_announce': '0',
  'net.ipv4.conf.all.proxy_arp': '0',
  'net.ipv4.conf.default.proxy_arp': '0',
  'net.bridge.bridge-nf-call-iptables': '1',
  'net.bridge.bridge-nf-call-ip6tables': '1',
  'net.bridge.bridge-nf-call-arptables': '1',
};

/** net.ipv4.conf.<dev>.<key> values a device copies from `default` when it appears. */
const PER_INTERFACE_KEYS = [
  'rp_filter',
  'log_martians',
  'accept_local',
  'route_localnet',
  'arp_ignore',
  'arp_announce',
  'proxy_arp',
];

export function renderSysctlConf(sysctls: Record<string, string>, comment?: string): string {
  const lines = comment ? comment.split('\n').map((l) => `# ${l}`) : [];
  for (const [key, value] of Object.entries(sysctls)) lines.push(`${key} = ${value}`);
  return `${lines.join('\n')}\n`;
}

export interface SysctlEntry {
  key: string;
  value: string;
  /** A leading '-' in the file: failure to apply is not an error. */
  optional: boolean;
  source: string;
}

/** sysctl.d syntax: `key = value`, `#`/`;` comments, '/' or '.' separators, optional '-' prefix. */
export function parseSysctlConf(file: SysctlFile): { entries: SysctlEntry[]; problems: string[] } {
  const entries: SysctlEntry[] = [];
  const problems: string[] = [];
  file.text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const eq = line.indexOf('=');
    const where = `${file.name}:${i + 1}`;
    if (eq < 0) {
      problems.push(`${where}: "${line}" is not "key = value"`);
      return;
    }
    let key = line.slice(0, eq).trim();
    const optional = key.startsWith('-');
    if (optional) key = key.slice(1).trim();
    if (key.includes('/')) key = key.replaceAll('/', '.');
    const value = line.slice(eq + 1).trim();
    if (key === '') problems.push(`${where}: empty key`);
    else entries.push({ key, value, optional, source: where });
  });
  return { entries, problems };
}

export interface SysctlPlan {
  /** Ordered assignments for one `sysctl -w` call. */
  assignments: [string, string][];
  /** Keys whose failure should only be reported (from '-' lines). */
  optional: Set<string>;
  warnings: string[];
}

/**
 * What the node's kernel is set to at boot: defaults, then the files, then per-interface values for
 * the NICs that exist (`interfaces`), each taken from the file if it names the device, else from
 * the final `default` value.
 */
export function planNodeSysctls(files: SysctlFile[], interfaces: string[]): SysctlPlan {
  const values = new Map<string, string>(Object.entries(KERNEL_BOOT_DEFAULTS));
  const optional = new Set<string>();
  const warnings: string[] = [];
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const file of sorted) {
    const { entries, problems } = parseSysctlConf(file);
    warnings.push(...problems);
    for (const e of entries) {
      if (!isNetnsSysctl(e.key)) {
        warnings.push(
          `${e.source}: ${e.key} is not a per-network-namespace setting; skipped (it would change the host)`,
        );
        continue;
      }
      values.delete(e.key); // re-insert so the later assignment is also applied later
      values.set(e.key, e.value);
      if (e.optional) optional.add(e.key);
      else optional.delete(e.key);
    }
  }
  for (const dev of interfaces) {
    for (const k of PER_INTERFACE_KEYS) {
      const key = `net.ipv4.conf.${dev}.${k}`;
      if (values.has(key)) continue;
      const inherited = values.get(`net.ipv4.conf.default.${k}`);
      if (inherited !== undefined) values.set(key, inherited);
    }
  }
  return { assignments: [...values.entries()], optional, warnings };
}
