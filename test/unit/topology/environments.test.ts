import { describe, expect, it } from 'vitest';
import {
  ENVIRONMENTS,
  environment,
  twoMasterBusiness,
  virtualbox3Node,
} from '../../../labs/environments/index.ts';
import { dhcpLease } from '../../../labs/topology/dhcp.ts';
import type { Topology } from '../../../labs/topology/types.ts';

const node = (t: Topology, name: string) => t.nodes.find((n) => n.name === name)!;
const nic = (t: Topology, n: string, name: string) => node(t, n).nics.find((x) => x.name === name)!;

describe('virtualbox-3node (seed 000)', () => {
  const t = virtualbox3Node();

  it('has ubuntu01 as control plane and two workers on the host-only network without a gateway', () => {
    expect(t.nodes.map((n) => [n.name, n.role, nic(t, n.name, 'enp0s3').addresses[0]])).toEqual([
      ['ubuntu01', 'control-plane', '192.168.56.11/24'],
      ['ubuntu02', 'worker', '192.168.56.12/24'],
      ['ubuntu03', 'worker', '192.168.56.13/24'],
    ]);
    for (const n of t.nodes) expect(nic(t, n.name, 'enp0s3').routes).toEqual([]);
    expect(t.hosts.find((h) => h.name === 'host')!.interfaces[0]).toMatchObject({
      name: 'vboxnet0',
      segment: 'hostonly',
      addresses: ['192.168.56.1/24'],
    });
  });

  it('puts every enp0s8 behind its own NAT that leases 10.0.2.15/24 with gateway 10.0.2.2', () => {
    for (const n of t.nodes) {
      const natnic = nic(t, n.name, 'enp0s8');
      expect(natnic.dhcp4).toBe(true);
      expect(natnic.segment).toBe(`natnet-${n.name}`);
      expect(t.segments.find((s) => s.name === natnic.segment)!.kind).toBe('wire');
      expect(dhcpLease(t, natnic.segment, natnic.mac)).toEqual({
        address: '10.0.2.15/24',
        gateway: '10.0.2.2',
        dns: ['10.0.2.3'],
        server: `nat-${n.name}.eth0`,
      });
      expect(t.routers.find((r) => r.name === `nat-${n.name}`)!.nat).toEqual([{ outInterface: 'eth1' }]);
    }
  });

  it('carries the cluster parameters of the seed', () => {
    expect(t.cluster).toMatchObject({
      podCIDR: '10.244.0.0/16',
      serviceCIDR: '10.96.0.0/12',
      dnsIP: '10.96.0.10',
      apiserver: { port: 6443, endpoints: [{ node: 'ubuntu01', address: '192.168.56.11' }] },
      kubeProxy: { mode: 'iptables', clusterCIDR: '10.244.0.0/16' },
    });
    expect(t.nodes.map((n) => n.podCIDR)).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24']);
  });
});

describe('two-master-business (seed 003)', () => {
  it('has two masters and a worker on enslf0 and enslf1 with strict rp_filter', () => {
    const t = twoMasterBusiness();
    expect(
      t.nodes.map((n) => [
        n.name,
        n.role,
        nic(t, n.name, 'enslf0').addresses[0],
        nic(t, n.name, 'enslf1').addresses[0],
      ]),
    ).toEqual([
      ['gaia-master1', 'control-plane', '10.0.0.8/24', '10.141.13.178/24'],
      ['gaia-master2', 'control-plane', '10.0.0.12/24', '10.141.13.182/24'],
      ['gaia-node1', 'worker', '10.0.0.20/24', '10.141.13.190/24'],
    ]);
    for (const n of t.nodes) expect(n.sysctls['net.ipv4.conf.all.rp_filter']).toBe('1');
    expect(t.cluster).toMatchObject({
      podCIDR: '172.16.0.0/16',
      serviceCIDR: '172.24.0.0/13',
      kubernetesServiceIP: '172.24.0.1',
      dnsIP: '172.24.0.2',
      apiserver: {
        endpoints: [
          { node: 'gaia-master1', address: '10.0.0.8' },
          { node: 'gaia-master2', address: '10.0.0.12' },
        ],
      },
      kubeProxy: { clusterCIDR: null },
    });
  });

  it('is healthy with the default on enslf0; the fault form only lacks that gateway route', () => {
    const healthy = twoMasterBusiness();
    const fault = twoMasterBusiness({ defaultRoute: 'enslf1' });
    for (const n of healthy.nodes) {
      expect(nic(healthy, n.name, 'enslf0').routes).toEqual([
        { to: 'default', via: '10.0.0.1', metric: 100 },
      ]);
      expect(nic(healthy, n.name, 'enslf1').routes).toEqual([
        { to: 'default', via: '10.141.13.1', metric: 200 },
      ]);
      expect(nic(fault, n.name, 'enslf0').routes).toEqual([]);
      expect(nic(fault, n.name, 'enslf1').routes).toEqual(nic(healthy, n.name, 'enslf1').routes);
    }
    const withoutRoutes = (t: Topology) =>
      JSON.stringify({
        ...t,
        nodes: t.nodes.map((n) => ({ ...n, nics: n.nics.map((x) => ({ ...x, routes: [] })) })),
      });
    expect(withoutRoutes(fault)).toBe(withoutRoutes(healthy));
  });
});

describe('environment catalogue', () => {
  it('lists both environments as plain, JSON-serialisable data', () => {
    expect(ENVIRONMENTS.map((e) => e.name)).toEqual(['virtualbox-3node', 'two-master-business']);
    for (const e of ENVIRONMENTS) {
      const t = e.create();
      expect(JSON.parse(JSON.stringify(t))).toEqual(t);
    }
    expect(environment('two-master-business', { defaultRoute: 'enslf1' }).nodes[0].nics[0].routes).toEqual(
      [],
    );
    expect(() => environment('kind-3node')).toThrow(
      /unknown environment kind-3node; known: virtualbox-3node, two-master-business/,
    );
  });
});
