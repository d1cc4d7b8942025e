import { describe, expect, it } from 'vitest';
import { twoMasterBusiness, virtualbox3Node } from '../../../labs/environments/index.ts';
import type { Topology } from '../../../labs/topology/types.ts';
import {
  assertValidTopology,
  formatIssue,
  TopologyError,
  validateTopology,
} from '../../../labs/topology/validate.ts';

function problems(mutate: (t: Topology) => void, base: () => Topology = virtualbox3Node): string[] {
  const t = base();
  mutate(t);
  return validateTopology(t).map(formatIssue);
}

const node = (t: Topology, name: string) => t.nodes.find((n) => n.name === name)!;
const nic = (t: Topology, n: string, name: string) => node(t, n).nics.find((x) => x.name === name)!;

describe('topology validation', () => {
  it('accepts both seed environments', () => {
    expect(validateTopology(virtualbox3Node())).toEqual([]);
    expect(validateTopology(twoMasterBusiness())).toEqual([]);
    expect(validateTopology(twoMasterBusiness({ defaultRoute: 'enslf1' }))).toEqual([]);
  });

  it('names the path, what is wrong and what was expected for a malformed address', () => {
    expect(problems((t) => (nic(t, 'ubuntu02', 'enp0s3').addresses[0] = '192.168.56.312/24'))).toEqual([
      'nodes.ubuntu02.nics.enp0s3.addresses[0]: "192.168.56.312/24" is not an IPv4 CIDR (expected an address with prefix, e.g. 192.168.56.12/24)',
    ]);
  });

  it('rejects an address outside its segment and a duplicate address on one segment', () => {
    expect(problems((t) => (nic(t, 'ubuntu02', 'enp0s3').addresses[0] = '192.168.57.12/24'))).toEqual([
      'nodes.ubuntu02.nics.enp0s3.addresses[0]: 192.168.57.12/24 is outside segment hostonly (expected an address in 192.168.56.0/24)',
    ]);
    expect(problems((t) => (nic(t, 'ubuntu03', 'enp0s3').addresses[0] = '192.168.56.12/24'))).toEqual([
      'nodes.ubuntu03.nics.enp0s3.addresses[0]: 192.168.56.12 is already used on segment hostonly by nodes.ubuntu02.nics.enp0s3 (expected unique addresses per segment)',
    ]);
  });

  it('allows the same address on separate segments, as every VirtualBox NAT network has 10.0.2.15', () => {
    const t = virtualbox3Node();
    for (const n of t.nodes) {
      const natnic = nic(t, n.name, 'enp0s8');
      natnic.dhcp4 = false;
      natnic.addresses = ['10.0.2.15/24'];
      natnic.routes = [{ to: 'default', via: '10.0.2.2' }];
    }
    expect(validateTopology(t)).toEqual([]);
  });

  it('rejects a gateway that no address of the NIC reaches, unless on-link', () => {
    expect(
      problems((t) => nic(t, 'ubuntu01', 'enp0s3').routes.push({ to: 'default', via: '10.0.2.2' })),
    ).toEqual([
      'nodes.ubuntu01.nics.enp0s3.routes[0].via: gateway 10.0.2.2 is not reachable on this interface (expected an address in 192.168.56.0/24, or onLink: true)',
    ]);
    expect(
      problems((t) =>
        nic(t, 'ubuntu01', 'enp0s3').routes.push({ to: 'default', via: '10.0.2.2', onLink: true }),
      ),
    ).toEqual([]);
  });

  it('checks gateways of DHCP NICs against the address the segment server offers', () => {
    expect(
      problems((t) => nic(t, 'ubuntu01', 'enp0s8').routes.push({ to: '203.0.113.0/24', via: '10.0.2.2' })),
    ).toEqual([]);
    expect(
      problems((t) => nic(t, 'ubuntu01', 'enp0s8').routes.push({ to: '203.0.113.0/24', via: '10.0.3.2' })),
    ).toEqual([
      'nodes.ubuntu01.nics.enp0s8.routes[0].via: gateway 10.0.3.2 is not reachable on this interface (expected an address in 10.0.2.0/24, or onLink: true)',
    ]);
  });

  it('rejects interface names Linux would refuse', () => {
    expect(problems((t) => (nic(t, 'ubuntu01', 'enp0s3').name = 'enp0s3-hostonly1'))).toContain(
      'nodes.ubuntu01.nics.enp0s3-hostonly1.name: enp0s3-hostonly1 is 16 characters long; Linux allows at most 15 (expected a Linux interface name of at most 15 characters)',
    );
    expect(problems((t) => (nic(t, 'ubuntu01', 'enp0s3').name = 'eth:0'))[0]).toMatch(
      /eth:0 is not a valid Linux interface name/,
    );
  });

  it('rejects duplicate names across segments, nodes, routers and hosts', () => {
    expect(problems((t) => (t.hosts[0].name = 'ubuntu01'))).toContain(
      'hosts.ubuntu01: name ubuntu01 is already used by nodes.ubuntu01 (expected names unique across segments, nodes, routers and hosts (each becomes a network namespace))',
    );
  });

  it('rejects overlapping subnets on one segment', () => {
    expect(
      problems((t) => t.segments.find((s) => s.name === 'hostonly')!.subnets.push('192.168.0.0/16')),
    ).toEqual([
      'segments.hostonly.subnets[1]: 192.168.0.0/16 overlaps 192.168.56.0/24 on the same segment (expected disjoint subnets)',
    ]);
  });

  it('requires a wire to have exactly two ends and DHCP clients to have a server', () => {
    expect(
      problems((t) => {
        nic(t, 'ubuntu02', 'enp0s8').segment = 'natnet-ubuntu01';
        t.segments = t.segments.filter((s) => s.name !== 'natnet-ubuntu02');
        t.routers = t.routers.filter((r) => r.name !== 'nat-ubuntu02');
      }),
    ).toEqual(['segments.natnet-ubuntu01: wire has 3 end(s) (expected exactly 2 attached interfaces)']);
    expect(
      problems((t) => {
        const r = t.routers.find((x) => x.name === 'nat-ubuntu02')!;
        delete r.interfaces[0].dhcpServer;
      }),
    ).toEqual([
      'nodes.ubuntu02.nics.enp0s8.dhcp4: no DHCP server on segment natnet-ubuntu02 offers an address to 08:00:27:02:15:02 (expected a router or host interface with dhcpServer on that segment, or static addresses)',
    ]);
  });

  it('refuses sysctls that would change the host instead of the node', () => {
    expect(problems((t) => (node(t, 'ubuntu01').sysctls['kernel.panic'] = '1'))).toEqual([
      'nodes.ubuntu01.sysctls.kernel.panic: kernel.panic is not a per-network-namespace sysctl (expected a key under net.ipv4, net.ipv6, net.bridge or net.netfilter)',
    ]);
  });

  it('requires a device route in the persistent config to have link scope, as netplan does', () => {
    expect(
      problems((t) => nic(t, 'gaia-node1', 'enslf0').routes.push({ to: '172.24.0.0/13' }), twoMasterBusiness),
    ).toEqual([
      'nodes.gaia-node1.nics.enslf0.routes[1].via: a route without via must have scope link (netplan refuses it otherwise) (expected a via address or scope: link)',
    ]);
    expect(
      problems(
        (t) => nic(t, 'gaia-node1', 'enslf0').routes.push({ to: '172.24.0.0/13', scope: 'link' }),
        twoMasterBusiness,
      ),
    ).toEqual([]);
  });

  it('checks cluster parameters against each other and the node networks', () => {
    const issues = problems((t) => {
      t.cluster.serviceCIDR = '192.168.0.0/16';
      t.cluster.dnsIP = '10.96.0.10';
      t.cluster.apiserver.endpoints[0] = { node: 'ubuntu02', address: '192.168.56.99' };
      node(t, 'ubuntu03').podCIDR = '10.244.0.128/25';
    });
    expect(issues).toEqual([
      'cluster.serviceCIDR: 192.168.0.0/16 overlaps segment hostonly (192.168.56.0/24) (expected a service network apart from node networks)',
      'cluster.kubernetesServiceIP: 10.96.0.1 is not the first address of 192.168.0.0/16 (expected 192.168.0.1)',
      'cluster.dnsIP: 10.96.0.10 is not inside the service network 192.168.0.0/16 (expected an address in 192.168.0.0/16)',
      'nodes.ubuntu03.podCIDR: 10.244.0.128/25 is not a /24 (expected a /24 (cluster.nodeCIDRMaskSize))',
      "nodes.ubuntu03.podCIDR: 10.244.0.128/25 overlaps ubuntu01's 10.244.0.0/24 (expected one pod subnet per node)",
      'cluster.apiserver.endpoints[0].node: ubuntu02 is a worker (expected a control-plane node)',
      'cluster.apiserver.endpoints[0].address: 192.168.56.99 is not a static address of ubuntu02 (expected one of 192.168.56.12)',
    ]);
  });

  it('reports every problem at once in one TopologyError', () => {
    const t = virtualbox3Node();
    nic(t, 'ubuntu01', 'enp0s3').mac = '01:00:27:00:00:01';
    nic(t, 'ubuntu02', 'enp0s3').mtu = 20;
    let error: unknown;
    try {
      assertValidTopology(t);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TopologyError);
    const e = error as TopologyError;
    expect(e.issues.map((i) => i.path)).toEqual([
      'nodes.ubuntu01.nics.enp0s3.mac',
      'nodes.ubuntu02.nics.enp0s3.mtu',
    ]);
    expect(e.message).toMatch(/^topology virtualbox-3node is invalid \(2 problems\):\n {2}nodes\.ubuntu01/);
  });
});
