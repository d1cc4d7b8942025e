/**
 * The vxlan backend's kernel objects as `ip`/`bridge` batch lines:
 * - the VTEP device `flannel.<VNI>` (device.go ensureLink): an existing device is kept when
 *   compatible and deleted and re-created otherwise, with the same incompatibility text flanneld
 *   logs (`vtep (external) interface: 2 vs 3` compares interface indexes);
 * - its /32 address from the node's pod subnet (EnsureV4AddressOnLink) and link up;
 * - per peer lease (vxlan_network.go handleSubnetEvents): permanent neighbour, fdb entry, onlink
 *   route - or, with DirectRouting and a peer on a directly connected network, a plain route.
 */
import { cidrContains, intToIp, parseCidr } from '../../kube/ipnet.ts';
import type { LinkInfo } from './linkstate.ts';

/** The Linux default when no dstport is given over netlink (flannel's Port=0). */
export const LINUX_VXLAN_PORT = 8472;
/** VXLAN over IPv4 costs 50 bytes (outer Ethernet is not counted against the inner MTU). */
export const ENCAP_OVERHEAD = 50;

export interface DeviceSpec {
  name: string;
  vni: number;
  mtu: number;
  vtepIndex: number;
  vtepDev: string;
  local: string;
  /** Configured Port (0: the kernel's default). */
  port: number;
  learning: boolean;
  gbp: boolean;
  mac: string;
}

/** device.go vxlanLinksIncompat: '' when `existing` can be kept for `want`. */
export function vxlanIncompat(want: DeviceSpec, existing: LinkInfo, links: readonly LinkInfo[]): string {
  if (existing.kind !== 'vxlan' || !existing.vxlan) return `link type: vxlan vs ${existing.kind ?? 'device'}`;
  const v = existing.vxlan;
  if (v.id !== want.vni) return `vni: ${want.vni} vs ${v.id}`;
  const existingIndex = v.link ? (links.find((l) => l.name === v.link)?.index ?? 0) : 0;
  if (want.vtepIndex > 0 && existingIndex > 0 && want.vtepIndex !== existingIndex)
    return `vtep (external) interface: ${want.vtepIndex} vs ${existingIndex}`;
  if (v.local && want.local !== v.local) return `vtep (external) IP: ${want.local} vs ${v.local}`;
  if (v.l2miss) return 'l2miss: false vs true';
  if (want.port > 0 && v.port > 0 && want.port !== v.port) return `port: ${want.port} vs ${v.port}`;
  if (want.gbp !== v.gbp) return `gbp: ${want.gbp} vs ${v.gbp}`;
  return '';
}

export function addDeviceLine(d: DeviceSpec): string {
  return (
    `link add ${d.name} address ${d.mac} mtu ${d.mtu} type vxlan id ${d.vni} local ${d.local} ` +
    `dev ${d.vtepDev} dstport ${d.port > 0 ? d.port : LINUX_VXLAN_PORT} ${d.learning ? 'learning' : 'nolearning'}` +
    (d.gbp ? ' gbp' : '')
  );
}

export interface DevicePlan {
  lines: string[];
  /** The MAC the device will have (an existing compatible device keeps its own). */
  mac: string;
  /** Set when an existing device is replaced: the text after "incompatible configuration: ". */
  incompat?: string;
  /** The device that stays, when kept. */
  kept?: LinkInfo;
}

export function planDevice(want: DeviceSpec, links: readonly LinkInfo[]): DevicePlan {
  const existing = links.find((l) => l.name === want.name);
  if (!existing) return { lines: [addDeviceLine(want)], mac: want.mac };
  const incompat = vxlanIncompat(want, existing, links);
  if (incompat === '') return { lines: [], mac: existing.mac ?? want.mac, kept: existing };
  return { lines: [`link del ${want.name}`, addDeviceLine(want)], mac: want.mac, incompat };
}

export interface AddressPlan {
  lines: string[];
  /** Addresses removed from the device (flanneld logs each). */
  removed: string[];
}

/** Exactly one address of `network` on the device: `<subnet base>/32`, then link up. */
export function planAddress(
  device: string,
  subnet: string,
  network: string,
  kept: LinkInfo | undefined,
): AddressPlan {
  const want = `${subnet.split('/')[0]}/32`;
  const lines: string[] = [];
  const removed: string[] = [];
  let has = false;
  for (const a of kept?.addrs ?? []) {
    const cidr = `${a.ip}/${a.prefixLen}`;
    if (cidr === want) {
      has = true;
      continue;
    }
    if (cidrContains(network, a.ip)) {
      lines.push(`addr del ${cidr} dev ${device}`);
      removed.push(cidr);
    }
  }
  if (!has) lines.push(`addr add ${want} dev ${device}`);
  lines.push(`link set ${device} up`);
  return { lines, removed };
}

/** The gateway of a peer's route: the first address of its subnet, which is its flannel.1 address. */
export function peerGateway(subnet: string): string {
  return subnet.split('/')[0]!;
}

export interface PeerOp {
  tool: 'ip' | 'bridge';
  line: string;
  /** flanneld's error log text for a failure of this line (the kernel's answer is appended). */
  failure: string;
}

export interface PeerLease {
  subnet: string;
  publicIP: string;
  vtepMac: string;
}

/** EventAdded: neighbour, fdb, then the route last (so the kernel never ARPs for the gateway). */
export function peerAddOps(device: string, p: PeerLease, direct: boolean): PeerOp[] {
  const gw = peerGateway(p.subnet);
  if (direct) {
    return [
      {
        tool: 'ip',
        line: `route replace ${p.subnet} via ${p.publicIP}`,
        failure: `Error adding route to ${p.subnet} via ${p.publicIP}: `,
      },
    ];
  }
  return [
    {
      tool: 'ip',
      line: `neigh replace ${gw} lladdr ${p.vtepMac} dev ${device} nud permanent`,
      failure: 'AddARP failed: ',
    },
    {
      tool: 'bridge',
      line: `fdb replace ${p.vtepMac} dev ${device} dst ${p.publicIP} self permanent`,
      failure: 'AddFDB failed: ',
    },
    {
      tool: 'ip',
      line: `route replace ${p.subnet} via ${gw} dev ${device} onlink`,
      failure: `failed to add vxlanRoute (${p.subnet} -> ${gw}): `,
    },
  ];
}

/** EventRemoved: try all three, whatever fails. */
export function peerRemoveOps(device: string, p: PeerLease, direct: boolean): PeerOp[] {
  const gw = peerGateway(p.subnet);
  if (direct) {
    return [
      {
        tool: 'ip',
        line: `route del ${p.subnet} via ${p.publicIP}`,
        failure: `Error deleting route to ${p.subnet} via ${p.publicIP}: `,
      },
    ];
  }
  return [
    { tool: 'ip', line: `neigh del ${gw} dev ${device}`, failure: 'DelARP failed: ' },
    {
      tool: 'bridge',
      line: `fdb del ${p.vtepMac} dev ${device} dst ${p.publicIP} self`,
      failure: 'DelFDB failed: ',
    },
    {
      tool: 'ip',
      line: `route del ${p.subnet} via ${gw} dev ${device} onlink`,
      failure: `failed to delete vxlanRoute (${p.subnet} -> ${gw}): `,
    },
  ];
}

/** A random locally administered unicast MAC, as flannel's mac.NewHardwareAddr makes. */
export function randomMac(random: (n: number) => Uint8Array): string {
  const b = random(6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Whether the node's pod subnet lies inside the flannel network (kube.go containsCIDR). */
export function subnetInNetwork(network: string, subnet: string): boolean {
  const n = parseCidr(network);
  const s = parseCidr(subnet);
  return n.bits <= s.bits && cidrContains(n, intToIp(s.base));
}

/** First usable address of a subnet with its prefix: 10.244.1.0/24 -> 10.244.1.1/24 (FLANNEL_SUBNET). */
export function firstAddress(subnet: string): string {
  const s = parseCidr(subnet);
  return `${intToIp(s.base + 1)}/${s.bits}`;
}
