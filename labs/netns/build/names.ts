/**
 * Names the builder gives kernel objects. They are what a learner sees in `ip link` inside a switch
 * or in `ip netns`, so they stay readable: the node side of a cable carries the NIC's own name
 * (enp0s3), the switch side `s-<owner>-<n>` (s-ubuntu02-3), shortened only when Linux's 15-character
 * limit forces it.
 */
import { createHash } from 'node:crypto';
import type { Topology } from '../../topology/types.ts';
import { MAX_IFNAME } from '../../topology/validate.ts';

export type EntityKind = 'node' | 'router' | 'host' | 'segment';

/** The bridge inside every switch namespace. */
export const BRIDGE = 'br0';

/** Sandbox-local namespace name of a node, router, host or switch. */
export function netnsName(kind: EntityKind, name: string): string {
  return kind === 'segment' ? `sw-${name}` : name;
}

/** Kernel ifindex of a machine's i-th declared interface: 2, 3, ... as on a VM where lo is 1. */
export function interfaceIndex(position: number): number {
  return position + 2;
}

/** `s-<owner>-<suffix>`: the suffix is the NIC name's trailing digits (enp0s3 -> 3) or the name. */
export function portName(owner: string, iface: string, taken: Set<string>): string {
  const digits = /[0-9]+$/.exec(iface)?.[0];
  const suffix = digits ?? iface;
  const candidates = [`s-${owner}-${suffix}`, `s-${owner.replaceAll('-', '')}-${suffix}`];
  for (const c of candidates) {
    if (c.length <= MAX_IFNAME && !taken.has(c)) return c;
  }
  const hash = createHash('sha256').update(`${owner}/${iface}`).digest('hex').slice(0, 3);
  const room = MAX_IFNAME - 2 - 1 - suffix.length - hash.length;
  const short = `s-${owner.replaceAll('-', '').slice(0, Math.max(1, room))}${hash}-${suffix}`;
  return short.slice(0, MAX_IFNAME);
}

/** Switch-side port name of every interface cabled to a switch, keyed `owner/iface`. */
export function switchPorts(t: Topology): Map<string, string> {
  const ports = new Map<string, string>();
  const taken = new Map<string, Set<string>>();
  const attach = (owner: string, iface: string, segment: string) => {
    const seg = t.segments.find((s) => s.name === segment);
    if (seg?.kind !== 'switch') return;
    const used = taken.get(segment) ?? new Set<string>();
    taken.set(segment, used);
    const name = portName(owner, iface, used);
    used.add(name);
    ports.set(`${owner}/${iface}`, name);
  };
  for (const n of t.nodes) for (const nic of n.nics) attach(n.name, nic.name, nic.segment);
  for (const m of [...t.routers, ...t.hosts]) for (const i of m.interfaces) attach(m.name, i.name, i.segment);
  return ports;
}
