/**
 * Topology validation. Every problem is reported at once, each with a path into the data
 * (`nodes.ubuntu02.nics.enp0s3.addresses[0]`), what is wrong, and what was expected, so a lesson
 * author fixes a topology in one pass instead of meeting the kernel's `RTNETLINK answers: File exists`
 * half-way through a build.
 */
import { dhcpLease } from './dhcp.ts';
import {
  addressOf,
  contains,
  containsNetwork,
  isCidr,
  isIPv4,
  isNetworkAddress,
  isUsableHostAddress,
  networkCidr,
  nthAddress,
  overlaps,
  parseCidr,
} from './ipv4.ts';
import type {
  InterfaceSpec,
  NicSpec,
  NodeSpec,
  RouteSpec,
  SegmentSpec,
  StaticRouteSpec,
  Topology,
} from './types.ts';

export interface TopologyIssue {
  path: string;
  problem: string;
  expected?: string;
}

export function formatIssue(issue: TopologyIssue): string {
  return `${issue.path}: ${issue.problem}${issue.expected ? ` (expected ${issue.expected})` : ''}`;
}

export class TopologyError extends Error {
  readonly issues: TopologyIssue[];
  constructor(topologyName: string, issues: TopologyIssue[]) {
    const lines = issues.map((i) => `  ${formatIssue(i)}`);
    super(
      `topology ${topologyName || '(unnamed)'} is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    );
    this.name = 'TopologyError';
    this.issues = issues;
  }
}

/** Linux rejects interface names longer than IFNAMSIZ-1 (15) or containing '/', ':' or whitespace. */
export const MAX_IFNAME = 15;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
/** sysctls that live in a network namespace; anything else written from a node would change the host. */
const NETNS_SYSCTL = /^net\.(ipv4|ipv6|bridge|netfilter)\.[A-Za-z0-9_.-]+$|^net\.core\.somaxconn$/;

export function ifnameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'is empty';
  if (name.length > MAX_IFNAME)
    return `${name} is ${name.length} characters long; Linux allows at most ${MAX_IFNAME}`;
  if (name === '.' || name === '..' || /[/:\s]/.test(name))
    return `${name} is not a valid Linux interface name`;
  if (name === 'lo') return 'lo is the loopback device';
  return undefined;
}

export function isNetnsSysctl(key: string): boolean {
  return NETNS_SYSCTL.test(key);
}

export function validateTopology(topology: Topology): TopologyIssue[] {
  return new Checker(topology).run();
}

export function assertValidTopology(topology: Topology): void {
  const issues = validateTopology(topology);
  if (issues.length > 0) throw new TopologyError(topology?.name, issues);
}

interface Attachment {
  path: string;
  owner: string;
  iface: string;
  mac: string | undefined;
  addresses: string[];
}

class Checker {
  private readonly t: Topology;
  private readonly issues: TopologyIssue[] = [];
  private readonly segments = new Map<string, SegmentSpec>();
  private readonly attachments = new Map<string, Attachment[]>();
  private readonly macs = new Map<string, string>();

  constructor(t: Topology) {
    this.t = t;
  }

  run(): TopologyIssue[] {
    const t = this.t;
    if (!t || typeof t !== 'object') {
      this.add(
        '',
        'topology is not an object',
        'an object with name, segments, nodes, routers, hosts, cluster',
      );
      return this.issues;
    }
    this.label('name', t.name, 'a lowercase name such as virtualbox-3node');
    for (const key of ['segments', 'nodes', 'routers', 'hosts'] as const) {
      if (!Array.isArray(t[key])) this.add(key, `${key} is missing or not a list`, 'a list (may be empty)');
    }
    if (this.issues.length > 0) return this.issues;
    this.uniqueNames();
    for (const s of t.segments) this.segment(s);
    for (const n of t.nodes) this.node(n);
    for (const r of t.routers) this.machine(`routers.${r.name}`, r.interfaces, r.routes);
    for (const h of t.hosts) this.machine(`hosts.${h.name}`, h.interfaces, h.routes);
    for (const r of t.routers) {
      (r.nat ?? []).forEach((nat, i) => {
        const path = `routers.${r.name}.nat[${i}]`;
        if (!r.interfaces.some((x) => x.name === nat.outInterface))
          this.add(
            `${path}.outInterface`,
            `${nat.outInterface} is not an interface of ${r.name}`,
            `one of ${names(r.interfaces)}`,
          );
        if (nat.source !== undefined) this.network(`${path}.source`, nat.source);
      });
    }
    this.segmentUse();
    this.cluster();
    if (!t.nodes.some((n) => n.role === 'control-plane'))
      this.add('nodes', 'no node has role control-plane', 'at least one control-plane node');
    return this.issues;
  }

  private add(path: string, problem: string, expected?: string): void {
    this.issues.push(expected ? { path, problem, expected } : { path, problem });
  }

  private label(path: string, value: unknown, expected: string): boolean {
    if (typeof value !== 'string' || !LABEL.test(value) || value.length > 63) {
      this.add(
        path,
        `${JSON.stringify(value)} is not a valid name`,
        `${expected} (a-z, 0-9, '-', at most 63)`,
      );
      return false;
    }
    return true;
  }

  private uniqueNames(): void {
    const seen = new Map<string, string>();
    const groups: [string, { name: string }[]][] = [
      ['segments', this.t.segments],
      ['nodes', this.t.nodes],
      ['routers', this.t.routers],
      ['hosts', this.t.hosts],
    ];
    for (const [group, items] of groups) {
      items.forEach((item, i) => {
        if (!this.label(`${group}[${i}].name`, item?.name, 'a lowercase name')) return;
        const first = seen.get(item.name);
        if (first)
          this.add(
            `${group}.${item.name}`,
            `name ${item.name} is already used by ${first}`,
            'names unique across segments, nodes, routers and hosts (each becomes a network namespace)',
          );
        else seen.set(item.name, `${group}.${item.name}`);
      });
    }
  }

  private segment(s: SegmentSpec): void {
    const path = `segments.${s.name}`;
    if (s.kind !== 'switch' && s.kind !== 'wire')
      this.add(`${path}.kind`, `${JSON.stringify(s.kind)} is not a segment kind`, 'switch or wire');
    const good: string[] = [];
    (s.subnets ?? []).forEach((subnet, i) => {
      if (!this.network(`${path}.subnets[${i}]`, subnet)) return;
      for (const other of good) {
        if (overlaps(subnet, other))
          this.add(
            `${path}.subnets[${i}]`,
            `${subnet} overlaps ${other} on the same segment`,
            'disjoint subnets',
          );
      }
      good.push(subnet);
    });
    this.segments.set(s.name, s);
    this.attachments.set(s.name, []);
  }

  /** A CIDR that names a network (host bits zero). */
  private network(path: string, value: unknown): value is string {
    if (!isCidr(value)) {
      this.add(path, `${JSON.stringify(value)} is not an IPv4 CIDR`, 'a network such as 10.244.0.0/16');
      return false;
    }
    if (!isNetworkAddress(value)) {
      this.add(path, `${value} has host bits set`, `the network address ${networkCidr(value)}`);
      return false;
    }
    return true;
  }

  private node(n: NodeSpec): void {
    const path = `nodes.${n.name}`;
    if (n.role !== 'control-plane' && n.role !== 'worker')
      this.add(`${path}.role`, `${JSON.stringify(n.role)} is not a node role`, 'control-plane or worker');
    this.label(`${path}.hostname`, n.hostname, 'a hostname such as ubuntu01');
    if (!Array.isArray(n.nics) || n.nics.length === 0) {
      this.add(`${path}.nics`, 'the node has no NICs', 'at least one NIC');
      return;
    }
    const nicNames = new Set<string>();
    for (const nic of n.nics) {
      const nicPath = `${path}.nics.${nic.name}`;
      const bad = ifnameProblem(nic.name);
      if (bad) this.add(`${nicPath}.name`, bad, `a Linux interface name of at most ${MAX_IFNAME} characters`);
      if (nicNames.has(nic.name)) this.add(nicPath, `NIC ${nic.name} is declared twice`, 'unique NIC names');
      nicNames.add(nic.name);
      this.mac(`${nicPath}.mac`, nic.mac, true);
      this.mtu(`${nicPath}.mtu`, nic.mtu);
      this.attach(nicPath, n.name, nic.name, nic.mac, nic.segment, nic.addresses);
      if (nic.dhcp4 && nic.addresses.length > 0)
        this.add(`${nicPath}.dhcp4`, 'dhcp4 is on and static addresses are set', 'one or the other');
      (nic.nameservers?.addresses ?? []).forEach((a, i) => {
        if (!isIPv4(a))
          this.add(`${nicPath}.nameservers.addresses[${i}]`, `${JSON.stringify(a)} is not an IPv4 address`);
      });
    }
    const allAddresses = n.nics.flatMap((nic) => nic.addresses ?? []);
    const routeKeys = new Map<string, string>();
    for (const nic of n.nics) {
      (nic.routes ?? []).forEach((r, i) => {
        const routePath = `${path}.nics.${nic.name}.routes[${i}]`;
        this.route(routePath, r, this.nicSubnets(nic), allAddresses, true);
        const key = `${r.to === 'default' ? '0.0.0.0/0' : r.to} metric ${r.metric ?? 0} table ${r.table ?? 254}`;
        const first = routeKeys.get(key);
        if (first)
          this.add(
            routePath,
            `route to ${r.to} duplicates ${first} (same metric and table)`,
            'distinct metrics',
          );
        else routeKeys.set(key, routePath);
      });
    }
    for (const [key, value] of Object.entries(n.sysctls ?? {})) {
      if (!isNetnsSysctl(key))
        this.add(
          `${path}.sysctls.${key}`,
          `${key} is not a per-network-namespace sysctl`,
          'a key under net.ipv4, net.ipv6, net.bridge or net.netfilter',
        );
      else if (typeof value !== 'string' || value.trim() === '' || /\n/.test(value))
        this.add(
          `${path}.sysctls.${key}`,
          `${JSON.stringify(value)} is not a sysctl value`,
          'a string such as "1"',
        );
    }
    if (!n.persistent || !/^\/etc\/netplan\/[^/]+\.yaml$/.test(n.persistent.netplan ?? ''))
      this.add(
        `${path}.persistent.netplan`,
        `${n.persistent?.netplan} is not a netplan file`,
        '/etc/netplan/<name>.yaml',
      );
    if (!n.persistent || !/^\/etc\/sysctl\.d\/[^/]+\.conf$/.test(n.persistent.sysctl ?? ''))
      this.add(
        `${path}.persistent.sysctl`,
        `${n.persistent?.sysctl} is not a sysctl.d file`,
        '/etc/sysctl.d/<name>.conf',
      );
  }

  /** Networks a NIC is directly connected to: its static addresses, or the address DHCP will offer. */
  private nicSubnets(nic: NicSpec): string[] {
    const addresses = nic.dhcp4 ? dhcpOfferFor(this.t, nic) : nic.addresses;
    return (addresses ?? []).filter(isCidr).map(networkCidr);
  }

  private machine(path: string, interfaces: InterfaceSpec[], routes: StaticRouteSpec[]): void {
    if (!Array.isArray(interfaces) || interfaces.length === 0) {
      this.add(`${path}.interfaces`, 'no interfaces', 'at least one interface');
      return;
    }
    const seen = new Set<string>();
    for (const iface of interfaces) {
      const ifPath = `${path}.interfaces.${iface.name}`;
      const bad = ifnameProblem(iface.name);
      if (bad) this.add(`${ifPath}.name`, bad, `a Linux interface name of at most ${MAX_IFNAME} characters`);
      if (seen.has(iface.name)) this.add(ifPath, `interface ${iface.name} is declared twice`, 'unique names');
      seen.add(iface.name);
      if (iface.mac !== undefined) this.mac(`${ifPath}.mac`, iface.mac, true);
      this.mtu(`${ifPath}.mtu`, iface.mtu);
      const owner = path.slice(path.indexOf('.') + 1);
      this.attach(ifPath, owner, iface.name, iface.mac, iface.segment, iface.addresses);
      if (iface.dhcpServer) this.dhcpServer(`${ifPath}.dhcpServer`, iface);
    }
    const all = interfaces.flatMap((i) => i.addresses ?? []);
    (routes ?? []).forEach((r, i) => {
      const routePath = `${path}.routes[${i}]`;
      let subnets = interfaces.flatMap((x) => x.addresses ?? []);
      if (r.dev !== undefined) {
        const dev = interfaces.find((x) => x.name === r.dev);
        if (!dev) {
          this.add(`${routePath}.dev`, `${r.dev} is not an interface here`, `one of ${names(interfaces)}`);
          return;
        }
        subnets = dev.addresses;
      }
      this.route(routePath, r, subnets.filter(isCidr).map(networkCidr), all, false);
    });
  }

  private dhcpServer(path: string, iface: InterfaceSpec): void {
    const server = iface.dhcpServer!;
    const own = iface.addresses.filter(isCidr);
    if (!Array.isArray(server.offers) || server.offers.length === 0)
      this.add(`${path}.offers`, 'the DHCP server offers nothing', 'at least one offer');
    (server.offers ?? []).forEach((offer, i) => {
      const p = `${path}.offers[${i}]`;
      if (offer.mac !== undefined) this.mac(`${p}.mac`, offer.mac, false);
      if (!this.hostAddress(`${p}.address`, offer.address)) return;
      if (!own.some((a) => contains(networkCidr(a), offer.address)))
        this.add(`${p}.address`, `${offer.address} is outside ${iface.name}'s subnets`, own.join(', '));
      if (own.some((a) => addressOf(a) === addressOf(offer.address)))
        this.add(`${p}.address`, `${offer.address} is the server's own address`, 'a free address');
    });
    if (server.gateway !== undefined && !isIPv4(server.gateway))
      this.add(`${path}.gateway`, `${JSON.stringify(server.gateway)} is not an IPv4 address`);
    (server.dns ?? []).forEach((d, i) => {
      if (!isIPv4(d)) this.add(`${path}.dns[${i}]`, `${JSON.stringify(d)} is not an IPv4 address`);
    });
  }

  private mac(path: string, mac: unknown, unique: boolean): void {
    if (typeof mac !== 'string' || !MAC.test(mac)) {
      this.add(
        path,
        `${JSON.stringify(mac)} is not a MAC address`,
        'six lowercase hex pairs such as 08:00:27:5a:1b:02',
      );
      return;
    }
    if (Number.parseInt(mac.slice(0, 2), 16) & 1) {
      this.add(path, `${mac} is a multicast address`, 'a unicast MAC (first octet even)');
      return;
    }
    if (!unique) return;
    // Per machine: netplan matches NICs by MAC. Across machines only per segment (checked in
    // segmentUse): every VirtualBox NAT gateway really is 52:54:00:12:35:02 on its own network.
    const machine = path.slice(0, path.indexOf('.', path.indexOf('.') + 1));
    const key = `${machine} ${mac}`;
    const first = this.macs.get(key);
    if (first) this.add(path, `${mac} is already used by ${first}`, 'unique MAC addresses per machine');
    else this.macs.set(key, path.slice(0, path.lastIndexOf('.')));
  }

  private mtu(path: string, mtu: unknown): void {
    if (mtu === undefined) return;
    if (!Number.isInteger(mtu) || (mtu as number) < 68 || (mtu as number) > 65535)
      this.add(path, `${JSON.stringify(mtu)} is not a valid MTU`, 'an integer from 68 to 65535');
  }

  private hostAddress(path: string, value: unknown): value is string {
    if (!isCidr(value)) {
      this.add(
        path,
        `${JSON.stringify(value)} is not an IPv4 CIDR`,
        'an address with prefix, e.g. 192.168.56.12/24',
      );
      return false;
    }
    if (!isUsableHostAddress(value)) {
      this.add(path, `${value} is the network or broadcast address of its subnet`, 'a host address');
      return false;
    }
    return true;
  }

  private attach(
    path: string,
    owner: string,
    iface: string,
    mac: string | undefined,
    segment: string,
    addresses: string[],
  ): void {
    const seg = this.segments.get(segment);
    if (!seg) {
      this.add(
        `${path}.segment`,
        `segment ${JSON.stringify(segment)} does not exist`,
        `one of ${names(this.t.segments)}`,
      );
    }
    const good: string[] = [];
    (addresses ?? []).forEach((a, i) => {
      const p = `${path}.addresses[${i}]`;
      if (!this.hostAddress(p, a)) return;
      if (seg && seg.subnets.length > 0 && !seg.subnets.some((s) => isCidr(s) && contains(s, a)))
        this.add(p, `${a} is outside segment ${seg.name}`, `an address in ${seg.subnets.join(' or ')}`);
      good.push(a);
    });
    if (seg) this.attachments.get(segment)!.push({ path, owner, iface, mac, addresses: good });
  }

  /** Per-segment checks that need every attachment: wire ends, duplicate addresses, DHCP servers. */
  private segmentUse(): void {
    for (const seg of this.t.segments) {
      const ends = this.attachments.get(seg.name) ?? [];
      if (seg.kind === 'wire' && ends.length !== 2)
        this.add(`segments.${seg.name}`, `wire has ${ends.length} end(s)`, 'exactly 2 attached interfaces');
      if (seg.kind === 'switch' && ends.length === 0)
        this.add(
          `segments.${seg.name}`,
          'nothing is attached to this switch',
          'at least one attached interface',
        );
      const macs = new Map<string, string>();
      for (const end of ends) {
        if (!end.mac) continue;
        const first = macs.get(end.mac);
        if (first)
          this.add(
            `${end.path}.mac`,
            `${end.mac} is already used on segment ${seg.name} by ${first}`,
            'unique MAC addresses per segment',
          );
        else macs.set(end.mac, end.path);
      }
      const seen = new Map<string, string>();
      for (const end of ends) {
        end.addresses.forEach((a, i) => {
          const ip = addressOf(a);
          const first = seen.get(ip);
          if (first)
            this.add(
              `${end.path}.addresses[${i}]`,
              `${ip} is already used on segment ${seg.name} by ${first}`,
              'unique addresses per segment',
            );
          else seen.set(ip, end.path);
        });
      }
    }
    for (const n of this.t.nodes) {
      for (const nic of n.nics ?? []) {
        if (!nic.dhcp4) continue;
        const offer = dhcpOfferFor(this.t, nic);
        if (offer.length === 0)
          this.add(
            `nodes.${n.name}.nics.${nic.name}.dhcp4`,
            `no DHCP server on segment ${nic.segment} offers an address to ${nic.mac}`,
            'a router or host interface with dhcpServer on that segment, or static addresses',
          );
      }
    }
  }

  private route(
    path: string,
    r: RouteSpec,
    connected: string[],
    ownAddresses: string[],
    netplan: boolean,
  ): void {
    if (r.to !== 'default') this.network(`${path}.to`, r.to);
    if (r.via !== undefined) {
      if (!isIPv4(r.via)) this.add(`${path}.via`, `${JSON.stringify(r.via)} is not an IPv4 address`);
      else if (!r.onLink && !connected.some((net) => contains(net, r.via!)))
        this.add(
          `${path}.via`,
          `gateway ${r.via} is not reachable on this interface`,
          connected.length > 0
            ? `an address in ${connected.join(' or ')}, or onLink: true`
            : 'an interface with an address',
        );
    } else if (netplan && r.scope !== 'link' && r.scope !== 'host') {
      this.add(
        `${path}.via`,
        'a route without via must have scope link (netplan refuses it otherwise)',
        'a via address or scope: link',
      );
    }
    if (r.metric !== undefined && (!Number.isInteger(r.metric) || r.metric < 0 || r.metric > 0xffffffff))
      this.add(`${path}.metric`, `${JSON.stringify(r.metric)} is not a route metric`, 'an integer >= 0');
    if (r.table !== undefined && (!Number.isInteger(r.table) || r.table < 1 || r.table > 0xffffffff))
      this.add(`${path}.table`, `${JSON.stringify(r.table)} is not a routing table id`, 'an integer >= 1');
    if (r.scope !== undefined && !['global', 'link', 'host'].includes(r.scope))
      this.add(`${path}.scope`, `${JSON.stringify(r.scope)} is not a route scope`, 'global, link or host');
    if (r.from !== undefined && !ownAddresses.some((a) => isCidr(a) && addressOf(a) === r.from))
      this.add(
        `${path}.from`,
        `${r.from} is not an address of this machine`,
        ownAddresses.length > 0 ? `one of ${ownAddresses.map(addressOf).join(', ')}` : 'a local address',
      );
  }

  private cluster(): void {
    const c = this.t.cluster;
    if (!c || typeof c !== 'object') {
      this.add(
        'cluster',
        'cluster parameters are missing',
        'podCIDR, serviceCIDR, dnsIP, apiserver, kubeProxy',
      );
      return;
    }
    const podOk = this.network('cluster.podCIDR', c.podCIDR);
    const svcOk = this.network('cluster.serviceCIDR', c.serviceCIDR);
    if (podOk && svcOk && overlaps(c.podCIDR, c.serviceCIDR))
      this.add(
        'cluster.serviceCIDR',
        `${c.serviceCIDR} overlaps the pod network ${c.podCIDR}`,
        'disjoint networks',
      );
    for (const seg of this.t.segments) {
      for (const subnet of seg.subnets.filter(isCidr)) {
        if (podOk && overlaps(subnet, c.podCIDR))
          this.add(
            'cluster.podCIDR',
            `${c.podCIDR} overlaps segment ${seg.name} (${subnet})`,
            'a pod network apart from node networks',
          );
        if (svcOk && overlaps(subnet, c.serviceCIDR))
          this.add(
            'cluster.serviceCIDR',
            `${c.serviceCIDR} overlaps segment ${seg.name} (${subnet})`,
            'a service network apart from node networks',
          );
      }
    }
    const podPrefix = parseCidr(c.podCIDR ?? '')?.prefix ?? 0;
    if (!Number.isInteger(c.nodeCIDRMaskSize) || c.nodeCIDRMaskSize < podPrefix || c.nodeCIDRMaskSize > 30)
      this.add(
        'cluster.nodeCIDRMaskSize',
        `${JSON.stringify(c.nodeCIDRMaskSize)} does not fit the pod network`,
        `an integer from ${podPrefix} to 30`,
      );
    if (svcOk) {
      const first = nthAddress(c.serviceCIDR, 1);
      if (c.kubernetesServiceIP !== first)
        this.add(
          'cluster.kubernetesServiceIP',
          `${c.kubernetesServiceIP} is not the first address of ${c.serviceCIDR}`,
          first,
        );
      if (!isIPv4(c.dnsIP) || !contains(c.serviceCIDR, c.dnsIP))
        this.add(
          'cluster.dnsIP',
          `${c.dnsIP} is not inside the service network ${c.serviceCIDR}`,
          `an address in ${c.serviceCIDR}`,
        );
      else if (c.dnsIP === first || c.dnsIP === nthAddress(c.serviceCIDR, 0))
        this.add('cluster.dnsIP', `${c.dnsIP} is reserved in ${c.serviceCIDR}`, 'another address');
    }
    if (typeof c.dnsDomain !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(c.dnsDomain))
      this.add('cluster.dnsDomain', `${JSON.stringify(c.dnsDomain)} is not a DNS domain`, 'cluster.local');
    const pods = new Map<string, string>();
    for (const n of this.t.nodes) {
      const p = `nodes.${n.name}.podCIDR`;
      if (!this.network(p, n.podCIDR)) continue;
      if (podOk && !containsNetwork(c.podCIDR, n.podCIDR))
        this.add(
          p,
          `${n.podCIDR} is outside the pod network ${c.podCIDR}`,
          `a /${c.nodeCIDRMaskSize} in ${c.podCIDR}`,
        );
      else if (parseCidr(n.podCIDR)!.prefix !== c.nodeCIDRMaskSize)
        this.add(
          p,
          `${n.podCIDR} is not a /${c.nodeCIDRMaskSize}`,
          `a /${c.nodeCIDRMaskSize} (cluster.nodeCIDRMaskSize)`,
        );
      for (const [other, owner] of pods) {
        if (overlaps(other, n.podCIDR))
          this.add(p, `${n.podCIDR} overlaps ${owner}'s ${other}`, 'one pod subnet per node');
      }
      pods.set(n.podCIDR, n.name);
    }
    const api = c.apiserver;
    if (!api || !Number.isInteger(api.port) || api.port < 1 || api.port > 65535)
      this.add('cluster.apiserver.port', `${JSON.stringify(api?.port)} is not a TCP port`, 'e.g. 6443');
    if (!api || !Array.isArray(api.endpoints) || api.endpoints.length === 0)
      this.add('cluster.apiserver.endpoints', 'no apiserver endpoints', 'one per control-plane node');
    (api?.endpoints ?? []).forEach((ep, i) => {
      const p = `cluster.apiserver.endpoints[${i}]`;
      const node = this.t.nodes.find((n) => n.name === ep.node);
      if (!node) {
        this.add(
          `${p}.node`,
          `node ${JSON.stringify(ep.node)} does not exist`,
          `one of ${names(this.t.nodes)}`,
        );
        return;
      }
      if (node.role !== 'control-plane')
        this.add(`${p}.node`, `${node.name} is a ${node.role}`, 'a control-plane node');
      const own = node.nics
        .flatMap((nic) => nic.addresses ?? [])
        .filter(isCidr)
        .map(addressOf);
      if (!own.includes(ep.address))
        this.add(
          `${p}.address`,
          `${ep.address} is not a static address of ${node.name}`,
          `one of ${own.join(', ')}`,
        );
    });
    const kp = c.kubeProxy;
    if (kp?.mode !== 'iptables')
      this.add('cluster.kubeProxy.mode', `${JSON.stringify(kp?.mode)} is not supported`, 'iptables');
    if (kp && kp.clusterCIDR !== null) this.network('cluster.kubeProxy.clusterCIDR', kp.clusterCIDR);
  }
}

function names(items: { name: string }[]): string {
  return items.map((i) => i.name).join(', ') || '(none declared)';
}

function dhcpOfferFor(t: Topology, nic: NicSpec): string[] {
  const lease = dhcpLease(t, nic.segment, nic.mac);
  return lease ? [lease.address] : [];
}
