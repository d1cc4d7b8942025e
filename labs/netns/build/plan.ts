/**
 * The topology as kernel commands, computed without touching the kernel: one `ip -batch` for every
 * cable (veth pairs are created straight into their namespaces), then per namespace one batch, one
 * `sysctl -w` and, for NAT routers, one `iptables-restore`. Nodes are planned separately (see
 * node-network.ts) because they are configured from their persistent files.
 */
import type { HostSpec, InterfaceSpec, RouterSpec, SegmentSpec, Topology } from '../../topology/types.ts';
import { BRIDGE, type EntityKind, interfaceIndex, netnsName, switchPorts } from './names.ts';

export type NetnsPath = (netns: string) => string;

export interface NamespacePlan {
  kind: EntityKind;
  /** Node, router, host or segment name. */
  name: string;
  /** Sandbox-local network namespace name. */
  netns: string;
}

export interface ConfigPlan extends NamespacePlan {
  lines: string[];
  sysctls: [string, string][];
  /** iptables-restore input, when the namespace needs rules. */
  iptables?: string;
}

export interface TopologyPlan {
  namespaces: NamespacePlan[];
  /** Run once in the sandbox's own context. */
  cables: string[];
  switches: ConfigPlan[];
  machines: ConfigPlan[];
}

interface Endpoint {
  kind: 'node' | 'router' | 'host';
  owner: string;
  iface: string;
  mac?: string;
  index: number;
  segment: string;
}

/** Every interface of every machine with its kernel ifindex, in declaration order. */
export function endpoints(t: Topology): Endpoint[] {
  const out: Endpoint[] = [];
  for (const n of t.nodes) {
    for (const [i, nic] of n.nics.entries()) {
      out.push({
        kind: 'node',
        owner: n.name,
        iface: nic.name,
        mac: nic.mac,
        index: interfaceIndex(i),
        segment: nic.segment,
      });
    }
  }
  const machines: ['router' | 'host', RouterSpec | HostSpec][] = [
    ...t.routers.map((r) => ['router', r] as ['router', RouterSpec]),
    ...t.hosts.map((h) => ['host', h] as ['host', HostSpec]),
  ];
  for (const [kind, m] of machines) {
    for (const [i, iface] of m.interfaces.entries()) {
      out.push({
        kind,
        owner: m.name,
        iface: iface.name,
        ...(iface.mac ? { mac: iface.mac } : {}),
        index: interfaceIndex(i),
        segment: iface.segment,
      });
    }
  }
  return out;
}

export function planNamespaces(t: Topology): NamespacePlan[] {
  const all: NamespacePlan[] = [
    ...t.segments.filter((s) => s.kind === 'switch').map((s) => ns('segment', s.name)),
    ...t.routers.map((r) => ns('router', r.name)),
    ...t.hosts.map((h) => ns('host', h.name)),
    ...t.nodes.map((n) => ns('node', n.name)),
  ];
  const seen = new Map<string, string>();
  for (const p of all) {
    const other = seen.get(p.netns);
    if (other) throw new Error(`${p.kind} ${p.name} and ${other} would share network namespace ${p.netns}`);
    seen.set(p.netns, `${p.kind} ${p.name}`);
  }
  return all;
}

function ns(kind: EntityKind, name: string): NamespacePlan {
  return { kind, name, netns: netnsName(kind, name) };
}

/**
 * `ip link add` lines for the cables, each creating both ends directly in their namespaces.
 * `only` restricts the plan to some interfaces (`owner/iface`), e.g. a NIC a learner deleted.
 */
export function planCables(t: Topology, path: NetnsPath, only?: Set<string>): string[] {
  const lines: string[] = [];
  const ports = switchPorts(t);
  const eps = endpoints(t);
  const want = (e: Endpoint) => !only || only.has(`${e.owner}/${e.iface}`);
  if (!only) {
    for (const s of t.segments.filter((x) => x.kind === 'switch')) {
      lines.push(
        `link add name ${BRIDGE} netns ${path(netnsName('segment', s.name))} type bridge stp_state 0`,
      );
    }
  }
  for (const s of t.segments) {
    const ends = eps.filter((e) => e.segment === s.name);
    if (s.kind === 'switch') {
      for (const e of ends.filter(want)) {
        // The switch side takes any frame size; the node's own MTU decides what fits, as on a real NIC.
        lines.push(
          `${endSpec('link add', e, path)} type veth peer name ${ports.get(`${e.owner}/${e.iface}`)} netns ${path(netnsName('segment', s.name))} mtu 65535`,
        );
      }
    } else if (ends.length === 2 && (want(ends[0]) || want(ends[1]))) {
      lines.push(`${endSpec('link add', ends[0], path)} type veth ${endSpec('peer', ends[1], path)}`);
    }
  }
  return lines;
}

function endSpec(prefix: string, e: Endpoint, path: NetnsPath): string {
  const mac = e.mac ? ` address ${e.mac}` : '';
  return `${prefix} name ${e.iface} netns ${path(netnsName(e.kind, e.owner))} index ${e.index}${mac}`;
}

export function planSwitch(t: Topology, s: SegmentSpec): ConfigPlan {
  const ports = switchPorts(t);
  const lines = [`link set dev ${BRIDGE} up`];
  for (const e of endpoints(t).filter((x) => x.segment === s.name)) {
    lines.push(`link set dev ${ports.get(`${e.owner}/${e.iface}`)} master ${BRIDGE} up`);
  }
  return {
    ...ns('segment', s.name),
    lines,
    // A switch is a dumb L2 device: no IP, no forwarding, and frames crossing it must not be
    // seen by iptables (br_netfilter off here; nodes keep it on for their own cni0).
    sysctls: [
      ['net.ipv4.ip_forward', '0'],
      ['net.bridge.bridge-nf-call-iptables', '0'],
      ['net.bridge.bridge-nf-call-ip6tables', '0'],
      ['net.bridge.bridge-nf-call-arptables', '0'],
      ['net.ipv6.conf.all.disable_ipv6', '1'],
      ['net.ipv6.conf.default.disable_ipv6', '1'],
    ],
  };
}

/** Port lines of one switch for a subset of interfaces (re-cabling a deleted NIC). */
export function planSwitchPorts(t: Topology, segment: string, only: Set<string>): string[] {
  const ports = switchPorts(t);
  return endpoints(t)
    .filter((e) => e.segment === segment && only.has(`${e.owner}/${e.iface}`))
    .map((e) => `link set dev ${ports.get(`${e.owner}/${e.iface}`)} master ${BRIDGE} up`);
}

export function planRouter(r: RouterSpec): ConfigPlan {
  const plan = planMachine('router', r.name, r.interfaces, r.routes, true);
  if (r.nat.length > 0) {
    const rules = r.nat.map(
      (n) => `-A POSTROUTING${n.source ? ` -s ${n.source}` : ''} -o ${n.outInterface} -j MASQUERADE`,
    );
    plan.iptables = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      ...rules,
      'COMMIT',
      '',
    ].join('\n');
  }
  return plan;
}

export function planHost(h: HostSpec): ConfigPlan {
  return planMachine('host', h.name, h.interfaces, h.routes, false);
}

/** Interface lines of a router or host (also used to re-address one interface after re-cabling). */
export function interfaceLines(iface: InterfaceSpec): string[] {
  const lines = [`link set dev ${iface.name}${iface.mtu ? ` mtu ${iface.mtu}` : ''} up`];
  for (const a of iface.addresses) lines.push(`addr add ${a} brd + dev ${iface.name}`);
  return lines;
}

function planMachine(
  kind: 'router' | 'host',
  name: string,
  interfaces: InterfaceSpec[],
  routes: RouterSpec['routes'],
  forward: boolean,
): ConfigPlan {
  const lines = ['link set dev lo up'];
  for (const iface of interfaces) lines.push(...interfaceLines(iface));
  for (const r of routes) {
    const parts = ['route add', r.to];
    if (r.via) parts.push('via', r.via);
    if (r.dev) parts.push('dev', r.dev);
    parts.push('proto static');
    if (r.from) parts.push('src', r.from);
    if (r.metric !== undefined) parts.push('metric', String(r.metric));
    if (r.onLink) parts.push('onlink');
    if (r.table !== undefined) parts.push('table', String(r.table));
    lines.push(parts.join(' '));
  }
  // Namespaces inherit IPv4 settings from the host's initial namespace; state every one that matters.
  const sysctls: [string, string][] = [
    ['net.ipv4.ip_forward', forward ? '1' : '0'],
    ['net.ipv4.conf.all.rp_filter', '0'],
    ['net.ipv4.conf.default.rp_filter', '0'],
    ...interfaces.map((i): [string, string] => [`net.ipv4.conf.${i.name}.rp_filter`, '0']),
  ];
  if (kind === 'router') {
    sysctls.push(['net.ipv6.conf.all.disable_ipv6', '1'], ['net.ipv6.conf.default.disable_ipv6', '1']);
  }
  return { ...ns(kind, name), lines, sysctls };
}

export function planTopology(t: Topology, path: NetnsPath): TopologyPlan {
  return {
    namespaces: planNamespaces(t),
    cables: planCables(t, path),
    switches: t.segments.filter((s) => s.kind === 'switch').map((s) => planSwitch(t, s)),
    machines: [...t.routers.map(planRouter), ...t.hosts.map(planHost)],
  };
}
