/**
 * A node's network as systemd-networkd would bring it up from netplan: which NIC each `ethernets`
 * entry applies to, renames and MACs, addresses, the DHCP lease the segment's server hands out, and
 * routes with the protocol and metric a real node shows (`proto dhcp ... metric 100`,
 * `proto static`). Also the reset that precedes a reboot's bring-up. Pure functions: the builder
 * runs what they return.
 */
import { dhcpLease } from '../../topology/dhcp.ts';
import { addressOf } from '../../topology/ipv4.ts';
import type { NodeSpec, RouteSpec, Topology } from '../../topology/types.ts';
import { interfaceIndex } from './names.ts';
import type { EthernetConfig, NetworkConfig } from './netplan.ts';

/** netplan's default metric for DHCP routes. */
export const DHCP_ROUTE_METRIC = 100;

export interface HardwareNic {
  /** Name the NIC has before netplan renames it. */
  name: string;
  /** Permanent MAC. */
  mac: string;
  segment: string;
  /** Fixed kernel ifindex: how the NIC is recognised again after renames. */
  ifindex: number;
}

export function hardwareNics(node: NodeSpec): HardwareNic[] {
  return node.nics.map((nic, i) => ({
    name: nic.name,
    mac: nic.mac,
    segment: nic.segment,
    ifindex: interfaceIndex(i),
  }));
}

export interface ConfiguredNic {
  hardware: HardwareNic;
  /** Name after `set-name`. */
  name: string;
  config: EthernetConfig;
  /** Addresses the NIC ends up with (static, or the DHCP lease). */
  addresses: string[];
}

export interface NodeBringUp {
  lines: string[];
  nics: ConfiguredNic[];
  /** Final names of all hardware NICs (configured or not). */
  interfaceNames: string[];
  warnings: string[];
}

export function planNodeBringUp(t: Topology, node: NodeSpec, config: NetworkConfig): NodeBringUp {
  const hardware = hardwareNics(node);
  const warnings: string[] = [];
  const claimed = new Map<number, string>();
  const configured: ConfiguredNic[] = [];
  const finalNames = new Map<number, string>(hardware.map((h) => [h.ifindex, h.name]));

  for (const [id, e] of Object.entries(config.ethernets)) {
    const matches = hardware.filter((h) =>
      e.match
        ? (!e.match.macaddress || e.match.macaddress === h.mac) &&
          (!e.match.name || glob(e.match.name, h.name))
        : h.name === id,
    );
    if (matches.length === 0) {
      warnings.push(
        `netplan: ethernets.${id} matches no interface on this node (NICs: ${hardware.map((h) => `${h.name} ${h.mac}`).join(', ')})`,
      );
      continue;
    }
    if (e.setName && matches.length > 1) {
      warnings.push(
        `netplan: ethernets.${id} matches ${matches.length} interfaces but set-name can rename only one; skipped`,
      );
      continue;
    }
    for (const h of matches) {
      const first = claimed.get(h.ifindex);
      if (first) {
        warnings.push(
          `netplan: ${h.name} is matched by both ethernets.${first} and ethernets.${id}; using ${first}`,
        );
        continue;
      }
      claimed.set(h.ifindex, id);
      let name = e.setName ?? h.name;
      if ([...finalNames.entries()].some(([idx, n]) => idx !== h.ifindex && n === name)) {
        warnings.push(`netplan: ethernets.${id} set-name ${name} is already taken; keeping ${h.name}`);
        name = h.name;
      }
      finalNames.set(h.ifindex, name);
      configured.push({ hardware: h, name, config: e, addresses: [] });
    }
  }
  configured.sort((a, b) => a.hardware.ifindex - b.hardware.ifindex);

  const lines = ['link set dev lo up'];
  const routeLines: string[] = [];
  for (const c of configured) {
    const e = c.config;
    if (c.name !== c.hardware.name) lines.push(`link set dev ${c.hardware.name} name ${c.name}`);
    const attrs = [
      e.macaddress ? ` address ${e.macaddress}` : '',
      e.mtu !== undefined ? ` mtu ${e.mtu}` : '',
    ].join('');
    lines.push(`link set dev ${c.name}${attrs} up`);
    for (const a of e.addresses) {
      lines.push(`addr add ${a} brd + dev ${c.name}`);
      c.addresses.push(a);
    }
    if (e.dhcp4) {
      const lease = dhcpLease(t, c.hardware.segment, e.macaddress ?? c.hardware.mac);
      if (!lease) {
        warnings.push(
          `dhcp4 on ${c.name}: no DHCP server answers on its network (segment ${c.hardware.segment})`,
        );
      } else {
        const metric = e.dhcp4Overrides?.routeMetric ?? DHCP_ROUTE_METRIC;
        const src = addressOf(lease.address);
        lines.push(`addr add ${lease.address} brd + dev ${c.name} metric ${metric}`);
        c.addresses.push(lease.address);
        if (e.dhcp4Overrides?.useRoutes !== false && lease.gateway) {
          routeLines.push(
            `route add default via ${lease.gateway} dev ${c.name} proto dhcp src ${src} metric ${metric}`,
          );
          // networkd also installs host routes to the gateway and the DNS servers it was given
          for (const host of [lease.gateway, ...lease.dns]) {
            routeLines.push(
              `route add ${host} dev ${c.name} proto dhcp scope link src ${src} metric ${metric}`,
            );
          }
        }
      }
    }
    for (const r of e.routes) routeLines.push(routeLine(r, c.name));
  }
  // Host routes first so that a default route via a host-routed gateway finds its nexthop.
  routeLines.sort(
    (a, b) => Number(a.startsWith('route add default')) - Number(b.startsWith('route add default')),
  );
  return {
    lines: [...lines, ...routeLines],
    nics: configured,
    interfaceNames: hardware.map((h) => finalNames.get(h.ifindex)!),
    warnings,
  };
}

export function routeLine(r: RouteSpec, dev: string): string {
  const parts = ['route add', r.to];
  if (r.via) parts.push('via', r.via);
  parts.push('dev', dev, 'proto static');
  if (r.scope) parts.push('scope', r.scope);
  if (r.from) parts.push('src', r.from);
  if (r.metric !== undefined) parts.push('metric', String(r.metric));
  if (r.onLink) parts.push('onlink');
  if (r.table !== undefined) parts.push('table', String(r.table));
  return parts.join(' ');
}

function glob(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
  );
  return re.test(name);
}

/** What `ip -j link show` / `route show table all` / `rule show` / `addr show dev lo` report. */
export interface LiveLink {
  ifindex: number;
  ifname: string;
  link_index?: number;
  link_netnsid?: number;
  address?: string;
  mtu?: number;
  flags?: string[];
}

export interface LiveState {
  links: LiveLink[];
  routes: { table?: string | number; dst?: string; type?: string }[];
  rules: { priority?: number; table?: string }[];
  loAddresses: { local?: string; prefixlen?: number }[];
}

/** Lines for `ip -j -batch -` whose four JSON outputs parseLiveState reads. */
export const LIVE_STATE_QUERY = ['link show', 'route show table all', 'rule show', 'addr show dev lo'];

export function parseLiveState(output: string): LiveState {
  const arrays = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('['))
    .map((l) => JSON.parse(l) as unknown[]);
  if (arrays.length !== 4) throw new Error(`unexpected ip -j -batch output (${arrays.length} JSON lists)`);
  const lo = (arrays[3] as { addr_info?: LiveState['loAddresses'] }[])[0]?.addr_info ?? [];
  return {
    links: arrays[0] as LiveLink[],
    routes: arrays[1] as LiveState['routes'],
    rules: arrays[2] as LiveState['rules'],
    loAddresses: lo,
  };
}

export interface NodeReset {
  lines: string[];
  /** Hardware NICs that no longer exist (a learner deleted them): they must be re-cabled. */
  missing: HardwareNic[];
}

/**
 * Undo everything live on a node, as a power cycle would: links that are not hardware go (bridges,
 * vxlan, pod veths, anything a learner added), hardware NICs come back down with their original
 * name, MAC and MTU and no addresses, routes and policy rules are back to an empty main table.
 */
export function planNodeReset(node: NodeSpec, live: LiveState): NodeReset {
  const hardware = hardwareNics(node);
  const hwByIndex = new Map(hardware.map((h) => [h.ifindex, h]));
  const lines: string[] = [];
  const deleted = new Set<number>();
  for (const link of live.links) {
    if (link.ifname === 'lo' || hwByIndex.has(link.ifindex)) continue;
    // Deleting one end of a veth pair inside this namespace removes the other end too.
    if (link.link_index !== undefined && link.link_netnsid === undefined && deleted.has(link.link_index))
      continue;
    lines.push(`link del dev ${link.ifname}`);
    deleted.add(link.ifindex);
  }
  const present = new Map(live.links.map((l) => [l.ifindex, l]));
  const missing: HardwareNic[] = [];
  const current = new Map<number, string>();
  for (const h of hardware) {
    const link = present.get(h.ifindex);
    if (!link) {
      missing.push(h);
      continue;
    }
    lines.push(`link set dev ${link.ifname} down`, `addr flush dev ${link.ifname}`);
    current.set(h.ifindex, link.ifname);
  }
  // Renamed NICs may hold each other's names: park them on unique names first.
  for (const h of hardware) {
    const name = current.get(h.ifindex);
    if (name === undefined || name === h.name) continue;
    lines.push(`link set dev ${name} name hwnic${h.ifindex}`);
    current.set(h.ifindex, `hwnic${h.ifindex}`);
  }
  for (const h of hardware) {
    const name = current.get(h.ifindex);
    if (name === undefined) continue;
    const rename = name !== h.name ? ` name ${h.name}` : '';
    lines.push(`link set dev ${name}${rename} address ${h.mac} mtu 1500 arp on promisc off allmulticast off`);
  }
  const extraLo = live.loAddresses.some(
    (a) => !(a.local === '127.0.0.1' && a.prefixlen === 8) && !(a.local === '::1' && a.prefixlen === 128),
  );
  if (extraLo) {
    // The kernel puts 127.0.0.1/8 and ::1 back when lo comes up again.
    lines.push('link set dev lo down', 'addr flush dev lo', 'link set dev lo up');
  }
  const tables = new Set<string>();
  for (const r of live.routes) {
    const table = String(r.table ?? 'main');
    if (table !== 'local') tables.add(table);
  }
  for (const table of tables) lines.push(`route flush table ${table}`);
  const defaultRules =
    live.rules.length === 3 &&
    live.rules.some((r) => r.priority === 0 && r.table === 'local') &&
    live.rules.some((r) => r.priority === 32766 && r.table === 'main') &&
    live.rules.some((r) => r.priority === 32767 && r.table === 'default');
  if (!defaultRules) {
    lines.push('rule flush', 'rule add priority 32766 table main', 'rule add priority 32767 table default');
  }
  return { lines, missing };
}

/** iptables-restore input that leaves every IPv4 table empty with ACCEPT policies, as after boot. */
export const EMPTY_IPTABLES = [
  '*raw',
  ':PREROUTING ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  'COMMIT',
  '*mangle',
  ':PREROUTING ACCEPT [0:0]',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':POSTROUTING ACCEPT [0:0]',
  'COMMIT',
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  ':INPUT ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':POSTROUTING ACCEPT [0:0]',
  'COMMIT',
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  'COMMIT',
  '',
].join('\n');
