/**
 * A small declaration API in the spirit of Mininet's Topo: add switches, wires, nodes, routers and
 * hosts by name, then `toTopology()` fills the defaults a real cluster would have (kubeadm's
 * sysctls, netplan paths, a pod subnet per node, the first service IP for `kubernetes`) and
 * validates the result. The output is plain data; nothing is built here.
 */
import { createHash } from 'node:crypto';
import { addressOf, isCidr, nthAddress, nthSubnet, overlaps, parseCidr } from './ipv4.ts';
import type {
  ApiserverEndpoint,
  ClusterSpec,
  Dhcp4Overrides,
  DhcpServerSpec,
  HostSpec,
  InterfaceSpec,
  NatSpec,
  NicSpec,
  NodeRole,
  NodeSpec,
  PersistentPaths,
  RouterSpec,
  RouteSpec,
  SegmentSpec,
  StaticRouteSpec,
  Topology,
} from './types.ts';
import { assertValidTopology } from './validate.ts';

export interface NicInput {
  name: string;
  segment: string;
  mac?: string;
  /** One static address (shorthand for `addresses: [address]`). */
  address?: string;
  addresses?: string[];
  dhcp4?: boolean;
  dhcp4Overrides?: Dhcp4Overrides;
  mtu?: number;
  /** Shorthand for a `to: default` route via this gateway. */
  gateway?: string;
  /** Metric for the `gateway` shorthand's default route. */
  gatewayMetric?: number;
  routes?: RouteSpec[];
  nameservers?: { addresses: string[]; search?: string[] };
}

export interface NodeInput {
  role?: NodeRole;
  hostname?: string;
  description?: string;
  nics: NicInput[];
  /** Merged over the kubeadm prerequisites (ip_forward=1, bridge-nf-call-ip[6]tables=1). */
  sysctls?: Record<string, string | number>;
  podCIDR?: string;
  persistent?: Partial<PersistentPaths>;
}

export interface InterfaceInput {
  name: string;
  segment: string;
  mac?: string;
  address?: string;
  addresses?: string[];
  mtu?: number;
  dhcpServer?: DhcpServerSpec;
}

export interface RouterInput {
  description?: string;
  interfaces: InterfaceInput[];
  routes?: StaticRouteSpec[];
  /** Interfaces to masquerade out of (shorthand), or full NAT specs. */
  masquerade?: string[] | NatSpec[];
}

export interface HostInput {
  description?: string;
  interfaces: InterfaceInput[];
  routes?: StaticRouteSpec[];
}

export interface ClusterInput {
  podCIDR: string;
  nodeCIDRMaskSize?: number;
  serviceCIDR: string;
  /** Defaults to the 10th address of serviceCIDR (10.96.0.10 for 10.96.0.0/12), as kubeadm does. */
  dnsIP?: string;
  dnsDomain?: string;
  apiserverPort?: number;
  /** Defaults to the first static address of every control-plane node. */
  apiservers?: ApiserverEndpoint[];
  /** kube-proxy's clusterCIDR: defaults to podCIDR (kubeadm); null for none. */
  kubeProxyClusterCIDR?: string | null;
}

export const KUBEADM_NODE_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv4.ip_forward': '1',
  'net.bridge.bridge-nf-call-iptables': '1',
  'net.bridge.bridge-nf-call-ip6tables': '1',
};

export const DEFAULT_PERSISTENT_PATHS: Readonly<PersistentPaths> = {
  netplan: '/etc/netplan/50-cloud-init.yaml',
  sysctl: '/etc/sysctl.d/k8s.conf',
};

export class TopologyDraft {
  readonly name: string;
  description: string | undefined;
  private readonly segments: SegmentSpec[] = [];
  private readonly nodes: { name: string; input: NodeInput }[] = [];
  private readonly routers: RouterSpec[] = [];
  private readonly hosts: HostSpec[] = [];
  private clusterInput: ClusterInput | undefined;

  constructor(name: string, description?: string) {
    this.name = name;
    this.description = description;
  }

  /** An L2 switch: a bridge in its own namespace. */
  addSwitch(name: string, opts: { subnets?: string[]; description?: string } = {}): this {
    this.segments.push({ name, kind: 'switch', subnets: opts.subnets ?? [], ...desc(opts.description) });
    return this;
  }

  /** A point-to-point cable between exactly two interfaces (one veth pair, no bridge). */
  addWire(name: string, opts: { subnets?: string[]; description?: string } = {}): this {
    this.segments.push({ name, kind: 'wire', subnets: opts.subnets ?? [], ...desc(opts.description) });
    return this;
  }

  addNode(name: string, input: NodeInput): this {
    this.nodes.push({ name, input });
    return this;
  }

  addRouter(name: string, input: RouterInput): this {
    const nat: NatSpec[] = (input.masquerade ?? []).map((m) =>
      typeof m === 'string' ? { outInterface: m } : m,
    );
    this.routers.push({
      name,
      ...desc(input.description),
      interfaces: input.interfaces.map((i) => this.iface(name, i)),
      routes: input.routes ?? [],
      nat,
    });
    return this;
  }

  addHost(name: string, input: HostInput): this {
    this.hosts.push({
      name,
      ...desc(input.description),
      interfaces: input.interfaces.map((i) => this.iface(name, i)),
      routes: input.routes ?? [],
    });
    return this;
  }

  setCluster(input: ClusterInput): this {
    this.clusterInput = input;
    return this;
  }

  /** Fill defaults, validate, and return the plain-data topology (throws TopologyError). */
  toTopology(): Topology {
    const nodes = this.nodes.map(({ name, input }) => this.node(name, input));
    allocatePodCIDRs(nodes, this.clusterInput);
    const topology: Topology = {
      name: this.name,
      ...desc(this.description),
      segments: this.segments,
      nodes,
      routers: this.routers,
      hosts: this.hosts,
      cluster: this.cluster(nodes),
    };
    assertValidTopology(topology);
    return structuredClone(topology);
  }

  private node(name: string, input: NodeInput): NodeSpec {
    const sysctls: Record<string, string> = { ...KUBEADM_NODE_SYSCTLS };
    for (const [k, v] of Object.entries(input.sysctls ?? {})) sysctls[k] = String(v);
    return {
      name,
      role: input.role ?? 'worker',
      hostname: input.hostname ?? name,
      ...desc(input.description),
      nics: input.nics.map((nic) => this.nic(name, nic)),
      sysctls,
      podCIDR: input.podCIDR ?? '',
      persistent: { ...DEFAULT_PERSISTENT_PATHS, ...input.persistent },
    };
  }

  private nic(owner: string, n: NicInput): NicSpec {
    const routes: RouteSpec[] = [];
    if (n.gateway !== undefined)
      routes.push({
        to: 'default',
        via: n.gateway,
        ...(n.gatewayMetric !== undefined ? { metric: n.gatewayMetric } : {}),
      });
    routes.push(...(n.routes ?? []));
    return {
      name: n.name,
      mac: n.mac ?? stableMac(this.name, owner, n.name),
      segment: n.segment,
      addresses: n.addresses ?? (n.address !== undefined ? [n.address] : []),
      ...(n.dhcp4 ? { dhcp4: true } : {}),
      ...(n.dhcp4Overrides ? { dhcp4Overrides: n.dhcp4Overrides } : {}),
      ...(n.mtu !== undefined ? { mtu: n.mtu } : {}),
      routes,
      ...(n.nameservers ? { nameservers: n.nameservers } : {}),
    };
  }

  private iface(owner: string, i: InterfaceInput): InterfaceSpec {
    return {
      name: i.name,
      mac: i.mac ?? stableMac(this.name, owner, i.name),
      segment: i.segment,
      addresses: i.addresses ?? (i.address !== undefined ? [i.address] : []),
      ...(i.mtu !== undefined ? { mtu: i.mtu } : {}),
      ...(i.dhcpServer ? { dhcpServer: i.dhcpServer } : {}),
    };
  }

  private cluster(nodes: NodeSpec[]): ClusterSpec {
    const c = this.clusterInput;
    if (!c) return undefined as unknown as ClusterSpec; // reported by validation
    const svcOk = isCidr(c.serviceCIDR);
    return {
      podCIDR: c.podCIDR,
      nodeCIDRMaskSize: c.nodeCIDRMaskSize ?? 24,
      serviceCIDR: c.serviceCIDR,
      kubernetesServiceIP: svcOk ? nthAddress(c.serviceCIDR, 1) : '',
      dnsIP: c.dnsIP ?? (svcOk ? nthAddress(c.serviceCIDR, 10) : ''),
      dnsDomain: c.dnsDomain ?? 'cluster.local',
      apiserver: {
        port: c.apiserverPort ?? 6443,
        endpoints:
          c.apiservers ??
          nodes
            .filter((n) => n.role === 'control-plane')
            .flatMap((n) => {
              const first = n.nics.flatMap((nic) => nic.addresses)[0];
              return first ? [{ node: n.name, address: addressOf(first) }] : [];
            }),
      },
      kubeProxy: {
        mode: 'iptables',
        clusterCIDR: c.kubeProxyClusterCIDR === undefined ? c.podCIDR : c.kubeProxyClusterCIDR,
      },
    };
  }
}

/** Declare a topology in one expression: `defineTopology('lab', (t) => t.addSwitch(...)...)`. */
export function defineTopology(
  name: string,
  declare: (t: TopologyDraft) => void,
  description?: string,
): Topology {
  const draft = new TopologyDraft(name, description);
  declare(draft);
  return draft.toTopology();
}

/** Hand out the lowest free /mask subnets in declaration order, as the node IPAM controller would. */
function allocatePodCIDRs(nodes: NodeSpec[], c: ClusterInput | undefined): void {
  if (!c || !isCidr(c.podCIDR)) return;
  const mask = c.nodeCIDRMaskSize ?? 24;
  const base = parseCidr(c.podCIDR)!.prefix;
  if (mask < base || mask > 30) return;
  const taken = nodes.map((n) => n.podCIDR).filter(isCidr);
  let i = 0;
  for (const n of nodes) {
    if (n.podCIDR) continue;
    let candidate = nthSubnet(c.podCIDR, mask, i);
    while (taken.some((t) => overlaps(t, candidate))) candidate = nthSubnet(c.podCIDR, mask, ++i);
    n.podCIDR = candidate;
    taken.push(candidate);
    i++;
  }
}

/** A locally administered MAC derived from names, so a topology builds the same way every time. */
export function stableMac(...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('/')).digest();
  const bytes = [0x02, digest[0], digest[1], digest[2], digest[3], digest[4]];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function desc(description: string | undefined): { description?: string } {
  return description ? { description } : {};
}
