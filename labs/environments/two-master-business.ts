/**
 * Seed 003: a two-master gaiastack cluster at a customer site, every machine with two NICs.
 *
 * - enslf0, the cluster network 10.0.0.0/24, gateway 10.0.0.1: masters 10.0.0.8 and 10.0.0.12 (both
 *   apiservers are endpoints of the `kubernetes` Service) and a worker.
 * - enslf1, the customer's business network 10.141.13.0/24, gateway 10.141.13.1. The seed shows
 *   10.141.13.182 on the machine whose cluster address is 10.0.0.12, so that pair is kept.
 * - pod network 172.16.0.0/16, service network 172.24.0.0/13 (`kubernetes` 172.24.0.1, DNS 172.24.0.2),
 *   kube-proxy in iptables mode without a clusterCIDR, as in that era.
 *
 * Hostnames are ours (the seed names none): `gaia-master1`, `gaia-master2`, `gaia-node1`, after the
 * seed's platform, gaiastack. Addresses not in the seed: master1's 10.141.13.178, the worker's
 * 10.0.0.20 / 10.141.13.190, and 198.51.100.0/24 (TEST-NET-2) for the `site` network both gateways
 * masquerade onto, where `site-server` (198.51.100.1) stands for everything beyond them.
 *
 * Default route. Healthy (`defaultRoute: 'enslf0'`): netplan gives enslf0 `default via 10.0.0.1
 * metric 100` and enslf1 `default via 10.141.13.1 metric 200`, so the cluster network wins. The
 * seed's change "deleted a gateway route" - the enslf0 one - which leaves the enslf1 default:
 * `defaultRoute: 'enslf1'` is that state, and the fault scenario can reach it from the healthy form
 * by deleting one route from the persistent config. Host-originated traffic to 172.24.0.1 then takes
 * the source 10.141.13.x; strict rp_filter (1) on every node makes the master drop the SYN that
 * arrives on enslf0 from a business address, as the seed describes.
 *
 * The seed does not say which OS; the nodes boot from netplan like the VirtualBox ones.
 */
import { TopologyDraft } from '../topology/declare.ts';
import type { Topology } from '../topology/types.ts';

export interface TwoMasterBusinessOptions {
  /** Which NIC carries the default route in the persistent config (default `enslf0`, the healthy form). */
  defaultRoute?: 'enslf0' | 'enslf1';
}

export const TWO_MASTER_NODES = [
  { name: 'gaia-master1', role: 'control-plane', cluster: '10.0.0.8', business: '10.141.13.178' },
  { name: 'gaia-master2', role: 'control-plane', cluster: '10.0.0.12', business: '10.141.13.182' },
  { name: 'gaia-node1', role: 'worker', cluster: '10.0.0.20', business: '10.141.13.190' },
] as const;

export function twoMasterBusiness(options: TwoMasterBusinessOptions = {}): Topology {
  const defaultOnCluster = (options.defaultRoute ?? 'enslf0') === 'enslf0';
  const t = new TopologyDraft(
    'two-master-business',
    'Seed 003: two masters and a worker on a cluster network (enslf0) and a business network (enslf1)',
  );
  t.addSwitch('cluster', { subnets: ['10.0.0.0/24'], description: 'cluster network (enslf0)' });
  t.addSwitch('business', { subnets: ['10.141.13.0/24'], description: 'business network (enslf1)' });
  t.addSwitch('site', { subnets: ['198.51.100.0/24'], description: 'the site network beyond both gateways' });
  TWO_MASTER_NODES.forEach((m, i) => {
    t.addNode(m.name, {
      role: m.role,
      hostname: m.name,
      description: 'bare-metal server at the customer site (gaiastack)',
      nics: [
        {
          name: 'enslf0',
          mac: `52:54:00:00:00:${(0x10 + i).toString(16)}`,
          segment: 'cluster',
          address: `${m.cluster}/24`,
          ...(defaultOnCluster ? { gateway: '10.0.0.1', gatewayMetric: 100 } : {}),
        },
        {
          name: 'enslf1',
          mac: `52:54:00:8d:0d:${(0x10 + i).toString(16)}`,
          segment: 'business',
          address: `${m.business}/24`,
          gateway: '10.141.13.1',
          gatewayMetric: 200,
        },
      ],
      sysctls: { 'net.ipv4.conf.all.rp_filter': 1, 'net.ipv4.conf.default.rp_filter': 1 },
    });
  });
  t.addRouter('gw-cluster', {
    description: 'gateway of the cluster network',
    interfaces: [
      { name: 'eth0', segment: 'cluster', address: '10.0.0.1/24' },
      { name: 'eth1', segment: 'site', address: '198.51.100.2/24' },
    ],
    masquerade: ['eth1'],
  });
  t.addRouter('gw-business', {
    description: 'gateway of the business network',
    interfaces: [
      { name: 'eth0', segment: 'business', address: '10.141.13.1/24' },
      { name: 'eth1', segment: 'site', address: '198.51.100.3/24' },
    ],
    masquerade: ['eth1'],
  });
  t.addHost('site-server', {
    description: 'a server on the site network, reachable through either gateway',
    interfaces: [{ name: 'eth0', segment: 'site', address: '198.51.100.1/24' }],
  });
  t.setCluster({
    podCIDR: '172.16.0.0/16',
    nodeCIDRMaskSize: 24,
    serviceCIDR: '172.24.0.0/13',
    dnsIP: '172.24.0.2',
    apiservers: [
      { node: 'gaia-master1', address: '10.0.0.8' },
      { node: 'gaia-master2', address: '10.0.0.12' },
    ],
    kubeProxyClusterCIDR: null,
  });
  return t.toTopology();
}
