/**
 * A lab topology as plain data: what machines exist, how their NICs are wired, how each node's
 * network is configured at boot, and the cluster parameters the control plane and node agents use.
 *
 * Declaring is separate from building: nothing here touches the kernel. The netns builder
 * (labs/netns/build) turns a validated Topology into namespaces, links and rules; the kind driver
 * can read the same data. Everything is JSON-serialisable so a topology can be shown in the web UI,
 * stored with a lab, or diffed in a test.
 */

export type NodeRole = 'control-plane' | 'worker';

/** One route as a node's persistent network configuration states it (netplan `routes:` entry). */
export interface RouteSpec {
  /** `default` or a network in CIDR form (host bits zero). */
  to: string;
  /** Gateway; omitted for a device route (`ip route add 172.24.0.0/13 dev enslf0`). */
  via?: string;
  metric?: number;
  /** Preferred source address (netplan calls it `from`, iproute2 `src`). */
  from?: string;
  scope?: 'global' | 'link' | 'host';
  /** The gateway is reachable on the link even though no address covers it. */
  onLink?: boolean;
  /** Routing table id; the main table when omitted. */
  table?: number;
}

/** What a node asks of DHCP on one NIC (netplan `dhcp4-overrides`). */
export interface Dhcp4Overrides {
  /** Install the gateway the server offers as default route (default true). */
  useRoutes?: boolean;
  /** Metric of DHCP routes (default 100, as netplan sets it). */
  routeMetric?: number;
}

/**
 * A node NIC: the hardware (name, MAC, where the cable goes) plus its boot-time configuration.
 * Only `name`, `mac` and `segment` are hardware; the rest is what the builder renders into the
 * node's persistent configuration file and then reads back, so a learner's edit to that file wins.
 */
export interface NicSpec {
  /** Kernel interface name (at most 15 characters), e.g. `enp0s3`, `enslf0`. */
  name: string;
  /** Unicast MAC, e.g. VirtualBox's `08:00:27:…`. */
  mac: string;
  /** The L2 segment the NIC is cabled to. */
  segment: string;
  /** Static addresses in CIDR form. */
  addresses: string[];
  /** Ask the segment's DHCP server (a router interface with `dhcpServer`) for an address. */
  dhcp4?: boolean;
  dhcp4Overrides?: Dhcp4Overrides;
  mtu?: number;
  routes: RouteSpec[];
  nameservers?: { addresses: string[]; search?: string[] };
}

/** Where a node keeps its persistent network configuration (paths inside the node). */
export interface PersistentPaths {
  /** netplan file the node boots from, e.g. `/etc/netplan/50-cloud-init.yaml`. */
  netplan: string;
  /** sysctl.d file that holds the node's declared sysctls, e.g. `/etc/sysctl.d/k8s.conf`. */
  sysctl: string;
}

export interface NodeSpec {
  name: string;
  role: NodeRole;
  hostname: string;
  /** Free text shown to learners, e.g. `Ubuntu 16.04 LTS (VirtualBox VM)`. */
  description?: string;
  nics: NicSpec[];
  /**
   * Boot-time sysctls (written to the node's sysctl.d file), e.g. `net.ipv4.ip_forward: '1'`,
   * `net.ipv4.conf.all.rp_filter: '1'`. Only per-network-namespace keys (net.ipv4.*, net.ipv6.*,
   * net.bridge.*, net.netfilter.*, net.core.somaxconn) are allowed: anything else would change the host.
   */
  sysctls: Record<string, string>;
  /** This node's pod subnet (a /nodeCIDRMaskSize inside cluster.podCIDR). */
  podCIDR: string;
  persistent: PersistentPaths;
}

export interface SegmentSpec {
  name: string;
  /**
   * `switch`: a Linux bridge in its own namespace (br_netfilter off there), any number of ports.
   * `wire`: exactly two ends joined by one veth pair, no bridge (a point-to-point cable).
   */
  kind: 'switch' | 'wire';
  /** IPv4 networks used on this segment; addresses of attached interfaces must fall inside one. */
  subnets: string[];
  description?: string;
}

/** A DHCP server answering on a router or host interface (VirtualBox NAT hands out 10.0.2.15). */
export interface DhcpServerSpec {
  /** Offered addresses in CIDR form; an offer with `mac` is for that client only. */
  offers: { mac?: string; address: string }[];
  gateway?: string;
  dns?: string[];
}

/** An interface of a router or host: static, not learner-editable. */
export interface InterfaceSpec {
  name: string;
  mac?: string;
  segment: string;
  addresses: string[];
  mtu?: number;
  dhcpServer?: DhcpServerSpec;
}

/** A static route on a router or host. */
export interface StaticRouteSpec extends RouteSpec {
  dev?: string;
}

export interface NatSpec {
  /** Masquerade traffic leaving through this interface. */
  outInterface: string;
  /** Only traffic from this network (all traffic when omitted). */
  source?: string;
}

/** A namespace that forwards between segments, optionally masquerading (a NAT gateway). */
export interface RouterSpec {
  name: string;
  description?: string;
  interfaces: InterfaceSpec[];
  routes: StaticRouteSpec[];
  nat: NatSpec[];
}

/** A machine that is not a cluster node and does not forward (the VirtualBox host, an upstream server). */
export interface HostSpec {
  name: string;
  description?: string;
  interfaces: InterfaceSpec[];
  routes: StaticRouteSpec[];
}

export interface ApiserverEndpoint {
  node: string;
  address: string;
}

export interface ClusterSpec {
  podCIDR: string;
  /** Prefix length of each node's pod subnet (24 as kube-controller-manager defaults to). */
  nodeCIDRMaskSize: number;
  serviceCIDR: string;
  /** ClusterIP of the `kubernetes` Service: the first address of serviceCIDR. */
  kubernetesServiceIP: string;
  dnsIP: string;
  dnsDomain: string;
  apiserver: { port: number; endpoints: ApiserverEndpoint[] };
  kubeProxy: {
    mode: 'iptables';
    /** null: kube-proxy runs without a cluster CIDR (no masquerade for host-originated ClusterIP traffic). */
    clusterCIDR: string | null;
  };
}

export interface Topology {
  name: string;
  description?: string;
  segments: SegmentSpec[];
  nodes: NodeSpec[];
  routers: RouterSpec[];
  hosts: HostSpec[];
  cluster: ClusterSpec;
}
