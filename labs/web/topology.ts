/**
 * What the <Topology> drawing shows: the environment as declared (nodes, NICs and addresses,
 * segments, the NAT routers and the host), the pieces every flannel node has (cni0, flannel.1) and
 * the pods the cluster runs now. Plain data; site/src/lab/topology-svg.ts draws it.
 */
import { environment } from '../environments/index.ts';
import type { NicSpec, Topology } from '../topology/types.ts';
import type { TopologyNic, TopologyNode, TopologyPod, TopologyView } from './types.ts';

interface PodLike {
  metadata?: { name?: string; namespace?: string };
  spec?: { nodeName?: string; hostNetwork?: boolean };
  status?: { podIP?: string };
}

/** The address a DHCP NIC gets: the offer for its MAC, else the segment's shared offer. */
function dhcpAddress(t: Topology, nic: NicSpec): string | undefined {
  for (const owner of [...t.routers, ...t.hosts]) {
    for (const itf of owner.interfaces) {
      if (itf.segment !== nic.segment || !itf.dhcpServer) continue;
      const offer =
        itf.dhcpServer.offers.find((o) => o.mac?.toLowerCase() === nic.mac.toLowerCase()) ??
        itf.dhcpServer.offers.find((o) => !o.mac);
      if (offer) return offer.address;
    }
  }
  return undefined;
}

function dhcpGateway(t: Topology, nic: NicSpec): string | undefined {
  for (const owner of [...t.routers, ...t.hosts])
    for (const itf of owner.interfaces)
      if (itf.segment === nic.segment && itf.dhcpServer?.gateway) return itf.dhcpServer.gateway;
  return undefined;
}

/** The first host address of a CIDR (cni0's) and the network address itself (flannel.1's /32). */
function podGateways(cidr: string): { bridge: string; vxlan: string } {
  const [net, len] = cidr.split('/');
  const parts = net.split('.').map(Number);
  parts[3] += 1;
  return { bridge: `${parts.join('.')}/${len}`, vxlan: `${net}/32` };
}

export function topologyView(envName: string, pods: PodLike[] = []): TopologyView {
  const t = environment(envName);
  const nodes: TopologyNode[] = t.nodes.map((n) => {
    const interfaces: TopologyNic[] = n.nics.map((nic) => {
      const addresses = nic.addresses.length
        ? [...nic.addresses]
        : nic.dhcp4
          ? [dhcpAddress(t, nic) ?? 'dhcp']
          : [];
      return { name: nic.name, addresses, segment: nic.segment, kind: 'nic' };
    });
    const gw = podGateways(n.podCIDR);
    interfaces.push({ name: 'cni0', addresses: [gw.bridge], kind: 'bridge' });
    interfaces.push({ name: 'flannel.1', addresses: [gw.vxlan], kind: 'vxlan' });

    // The default route as the node boots: a static one, else the DHCP NIC that installs it.
    let defaultRoute: TopologyNode['defaultRoute'];
    for (const nic of n.nics) {
      const route = nic.routes.find((r) => r.to === 'default');
      if (route) {
        defaultRoute = { via: route.via, dev: nic.name };
        break;
      }
    }
    if (!defaultRoute) {
      const dhcp = n.nics.find((nic) => nic.dhcp4 && nic.dhcp4Overrides?.useRoutes !== false);
      if (dhcp) defaultRoute = { via: dhcpGateway(t, dhcp), dev: dhcp.name };
    }

    const onNode: TopologyPod[] = pods
      .filter((p) => p.spec?.nodeName === n.name)
      .map((p) => ({
        namespace: p.metadata?.namespace ?? 'default',
        name: p.metadata?.name ?? '?',
        ip: p.status?.podIP,
        hostNetwork: !!p.spec?.hostNetwork,
      }))
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
    return {
      name: n.name,
      role: n.role,
      description: n.description,
      podCIDR: n.podCIDR,
      defaultRoute,
      interfaces,
      pods: onNode,
    };
  });
  return {
    environment: envName,
    description: t.description,
    segments: t.segments.map((s) => ({ name: s.name, subnets: [...s.subnets], description: s.description })),
    nodes,
    others: [
      ...t.routers.map((r) => ({
        name: r.name,
        kind: 'router' as const,
        interfaces: r.interfaces.map((i) => ({
          name: i.name,
          addresses: [...i.addresses],
          segment: i.segment,
          kind: 'nic' as const,
        })),
      })),
      ...t.hosts.map((h) => ({
        name: h.name,
        kind: 'host' as const,
        interfaces: h.interfaces.map((i) => ({
          name: i.name,
          addresses: [...i.addresses],
          segment: i.segment,
          kind: 'nic' as const,
        })),
      })),
    ],
    cluster: { podCIDR: t.cluster.podCIDR, serviceCIDR: t.cluster.serviceCIDR, dnsIP: t.cluster.dnsIP },
  };
}
