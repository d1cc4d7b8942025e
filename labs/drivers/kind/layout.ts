/**
 * An environment's topology as kind nodes and Docker networks (pure: nothing runs here).
 *
 * - Every topology node is one kind node container, in topology order, with the role it has there.
 * - The segment that holds the apiserver address is the cluster network. Its NIC becomes eth0 on
 *   kind's own Docker network `kind` - the host reaches it as it reaches a VirtualBox host-only
 *   network - and is renamed inside the node to the story's name (enp0s3, enslf0).
 * - Every other segment is a Docker bridge network of its own: a per-node `wire` (VirtualBox NAT)
 *   is one network per node, so nodes cannot reach each other over it; a shared `switch` (the
 *   business network) is one network for all nodes on it. Docker masquerades what leaves them, as
 *   a NAT router would.
 * - The default route goes where the node's persistent configuration puts it (lowest metric among
 *   static default routes and DHCP gateways); Docker is told the same with `--gw-priority`.
 *
 * Addresses are Docker's: its IPAM refuses overlapping subnets, so ten nodes cannot all be
 * 10.0.2.15 and two labs cannot both own 10.141.13.0/24. Names, roles, subnets of the cluster
 * (pods, services) and which NIC carries what are the story's.
 */
import { contains } from '../../topology/ipv4.ts';
import type { NicSpec, NodeRole, NodeSpec, Topology } from '../../topology/types.ts';
import { clusterName, KIND_NETWORK, networkName, nodeContainers } from './names.ts';

/** netplan's metric for DHCP routes when the file names none. */
const DHCP_ROUTE_METRIC = 100;

export interface KindNic {
  /** The story's interface name, e.g. `enp0s8`. */
  name: string;
  segment: string;
  /** Docker network it is cabled to. */
  network: string;
  primary: boolean;
  /** Carries the node's default route (Docker `--gw-priority 1`). */
  defaultRoute: boolean;
  spec: NicSpec;
}

export interface KindNode {
  /** Topology name, e.g. `ubuntu02`: what scenarios and labctl use. */
  name: string;
  role: NodeRole;
  /** kind's container (and Kubernetes node) name. */
  container: string;
  nics: KindNic[];
  spec: NodeSpec;
}

export interface KindNetwork {
  name: string;
  segment: string;
  kind: 'switch' | 'wire';
  description?: string;
  /** Topology nodes cabled to it. */
  nodes: string[];
}

export interface KindLayout {
  lab: string;
  cluster: string;
  /** The segment that became kind's network. */
  clusterSegment: string;
  nodes: KindNode[];
  /** Networks the driver creates (kind's own is not among them). */
  networks: KindNetwork[];
}

export class LayoutError extends Error {
  override readonly name = 'LayoutError';
}

function clusterSegmentOf(t: Topology): string {
  const address = t.cluster.apiserver.endpoints[0]?.address;
  if (!address) throw new LayoutError(`${t.name}: the topology names no apiserver endpoint`);
  const segment = t.segments.find((s) => s.subnets.some((net) => contains(net, address)));
  if (!segment) throw new LayoutError(`${t.name}: no segment holds the apiserver address ${address}`);
  return segment.name;
}

/** The NIC whose default route wins at boot, as the node's persistent configuration states it. */
export function defaultRouteNic(t: Topology, node: NodeSpec): string | undefined {
  let best: { nic: string; metric: number } | undefined;
  const offer = (nic: string, metric: number) => {
    if (!best || metric < best.metric) best = { nic, metric };
  };
  for (const nic of node.nics) {
    for (const r of nic.routes)
      if (r.to === 'default' && r.table === undefined) offer(nic.name, r.metric ?? 0);
    if (nic.dhcp4 && nic.dhcp4Overrides?.useRoutes !== false && dhcpGateway(t, nic.segment))
      offer(nic.name, nic.dhcp4Overrides?.routeMetric ?? DHCP_ROUTE_METRIC);
  }
  return best?.nic;
}

function dhcpGateway(t: Topology, segment: string): string | undefined {
  for (const m of [...t.routers, ...t.hosts])
    for (const i of m.interfaces)
      if (i.segment === segment && i.dhcpServer?.gateway) return i.dhcpServer.gateway;
  return undefined;
}

export function layoutFor(lab: string, t: Topology): KindLayout {
  const cluster = clusterName(lab);
  const clusterSegment = clusterSegmentOf(t);
  const containers = nodeContainers(
    cluster,
    t.nodes.map((n) => n.role),
  );
  const networks = new Map<string, KindNetwork>();
  const nodes = t.nodes.map((spec, i): KindNode => {
    const primary = spec.nics.filter((n) => n.segment === clusterSegment);
    if (primary.length !== 1)
      throw new LayoutError(
        `${t.name}: node ${spec.name} needs exactly one NIC on the cluster network ${clusterSegment} (has ${primary.length})`,
      );
    const def = defaultRouteNic(t, spec);
    const nics = spec.nics.map((nic): KindNic => {
      const isPrimary = nic.segment === clusterSegment;
      const network = isPrimary ? KIND_NETWORK : networkName(cluster, nic.segment);
      if (!isPrimary) {
        const seg = t.segments.find((s) => s.name === nic.segment);
        const entry = networks.get(network) ?? {
          name: network,
          segment: nic.segment,
          kind: seg?.kind ?? 'switch',
          ...(seg?.description ? { description: seg.description } : {}),
          nodes: [],
        };
        entry.nodes.push(spec.name);
        networks.set(network, entry);
      }
      return {
        name: nic.name,
        segment: nic.segment,
        network,
        primary: isPrimary,
        defaultRoute: nic.name === def,
        spec: nic,
      };
    });
    // Docker attaches the cluster network first (eth0); the others follow in declaration order.
    nics.sort((a, b) => Number(b.primary) - Number(a.primary));
    return { name: spec.name, role: spec.role, container: containers[i], nics, spec };
  });
  return { lab, cluster, clusterSegment, nodes, networks: [...networks.values()] };
}

/** A topology node name or a container name, as the node's layout entry. */
export function findNode(layout: KindLayout, name: string): KindNode | undefined {
  return layout.nodes.find((n) => n.name === name || n.container === name);
}
