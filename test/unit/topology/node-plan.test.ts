import { describe, expect, it } from 'vitest';
import { twoMasterBusiness, virtualbox3Node } from '../../../labs/environments/index.ts';
import { portName, switchPorts } from '../../../labs/netns/build/names.ts';
import { parsePersistentConfig, renderPersistentConfig } from '../../../labs/netns/build/netplan.ts';
import { type LiveState, planNodeBringUp, planNodeReset } from '../../../labs/netns/build/node-network.ts';
import { planCables, planRouter, planSwitch } from '../../../labs/netns/build/plan.ts';
import { planNodeSysctls } from '../../../labs/netns/build/sysctl-conf.ts';

const path = (ns: string) => `/run/netns/x-${ns}`;

describe('bringing a node up from its netplan file', () => {
  it('installs the DHCP lease as networkd shows it: proto dhcp, metric 100, host routes to gateway and DNS', () => {
    const t = virtualbox3Node();
    const node = t.nodes[1];
    const up = planNodeBringUp(t, node, parsePersistentConfig(renderPersistentConfig(node)));
    expect(up.warnings).toEqual([]);
    expect(up.lines).toEqual([
      'link set dev lo up',
      'link set dev enp0s3 up',
      'addr add 192.168.56.12/24 brd + dev enp0s3',
      'link set dev enp0s8 up',
      'addr add 10.0.2.15/24 brd + dev enp0s8 metric 100',
      'route add 10.0.2.2 dev enp0s8 proto dhcp scope link src 10.0.2.15 metric 100',
      'route add 10.0.2.3 dev enp0s8 proto dhcp scope link src 10.0.2.15 metric 100',
      'route add default via 10.0.2.2 dev enp0s8 proto dhcp src 10.0.2.15 metric 100',
    ]);
  });

  it('follows a learner edit: use-routes false drops the DHCP default, a static default moves to enp0s3', () => {
    const t = virtualbox3Node();
    const up = planNodeBringUp(
      t,
      t.nodes[0],
      parsePersistentConfig(`network:
  version: 2
  ethernets:
    enp0s3:
      addresses: [192.168.56.11/24]
      routes: [{to: default, via: 192.168.56.1}]
    enp0s8:
      dhcp4: true
      dhcp4-overrides: {use-routes: false}
`),
    );
    expect(up.lines.filter((l) => l.startsWith('route'))).toEqual([
      'route add default via 192.168.56.1 dev enp0s3 proto static',
    ]);
  });

  it('renames by MAC with set-name, leaves unmatched NICs down and warns about entries that match nothing', () => {
    const t = twoMasterBusiness();
    const node = t.nodes[2];
    const up = planNodeBringUp(
      t,
      node,
      parsePersistentConfig(`network:
  version: 2
  ethernets:
    cluster:
      match: {macaddress: "${node.nics[0].mac}"}
      set-name: eth0
      addresses: [10.0.0.20/24]
    eth9:
      dhcp4: true
`),
    );
    expect(up.lines).toEqual([
      'link set dev lo up',
      'link set dev enslf0 name eth0',
      'link set dev eth0 up',
      'addr add 10.0.0.20/24 brd + dev eth0',
    ]);
    expect(up.interfaceNames).toEqual(['eth0', 'enslf1']);
    expect(up.warnings).toEqual([
      expect.stringMatching(/^netplan: ethernets\.eth9 matches no interface on this node/),
    ]);
  });

  it('warns instead of inventing an address when no DHCP server serves the segment', () => {
    const t = virtualbox3Node();
    const up = planNodeBringUp(
      t,
      t.nodes[0],
      parsePersistentConfig('network:\n  version: 2\n  ethernets:\n    enp0s3:\n      dhcp4: true\n'),
    );
    expect(up.lines).toEqual(['link set dev lo up', 'link set dev enp0s3 up']);
    expect(up.warnings).toEqual([
      'dhcp4 on enp0s3: no DHCP server answers on its network (segment hostonly)',
    ]);
  });
});

describe('resetting a node for a reboot', () => {
  const t = virtualbox3Node();
  const node = t.nodes[1];
  const live: LiveState = {
    links: [
      { ifindex: 1, ifname: 'lo' },
      { ifindex: 2, ifname: 'hostonly0', link_index: 3, link_netnsid: 0 },
      { ifindex: 3, ifname: 'enp0s8', link_index: 2, link_netnsid: 1 },
      { ifindex: 4, ifname: 'flannel.1' },
      { ifindex: 5, ifname: 'cni0' },
      { ifindex: 6, ifname: 'veth-a', link_index: 7 },
      { ifindex: 7, ifname: 'veth-b', link_index: 6 },
    ],
    routes: [{ dst: 'default' }, { dst: '10.0.0.0/8', table: '100' }, { dst: '127.0.0.1', table: 'local' }],
    rules: [
      { priority: 0, table: 'local' },
      { priority: 100, table: '100' },
      { priority: 32766, table: 'main' },
      { priority: 32767, table: 'default' },
    ],
    loAddresses: [
      { local: '127.0.0.1', prefixlen: 8 },
      { local: '::1', prefixlen: 128 },
    ],
  };

  it('deletes non-hardware links once per veth pair, restores NIC names and flushes routes and rules', () => {
    const reset = planNodeReset(node, live);
    expect(reset.missing).toEqual([]);
    expect(reset.lines).toEqual([
      'link del dev flannel.1',
      'link del dev cni0',
      'link del dev veth-a',
      'link set dev hostonly0 down',
      'addr flush dev hostonly0',
      'link set dev enp0s8 down',
      'addr flush dev enp0s8',
      'link set dev hostonly0 name hwnic2',
      'link set dev hwnic2 name enp0s3 address 08:00:27:56:00:12 mtu 1500 arp on promisc off allmulticast off',
      'link set dev enp0s8 address 08:00:27:02:15:02 mtu 1500 arp on promisc off allmulticast off',
      'route flush table main',
      'route flush table 100',
      'rule flush',
      'rule add priority 32766 table main',
      'rule add priority 32767 table default',
    ]);
  });

  it('reports hardware NICs that no longer exist so they can be re-cabled', () => {
    const reset = planNodeReset(node, { ...live, links: live.links.filter((l) => l.ifindex !== 3) });
    expect(reset.missing.map((h) => h.name)).toEqual(['enp0s8']);
  });
});

describe('boot-time sysctls', () => {
  it('starts from kernel defaults, applies files in order and copies default.* to each NIC', () => {
    const plan = planNodeSysctls(
      [
        { name: 'k8s.conf', text: 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.default.rp_filter = 1\n' },
        {
          name: '10-network-security.conf',
          text: 'net.ipv4.conf.default.rp_filter=2\n# comment\nkernel.panic = 10\n-net/ipv4/conf/all/rp_filter = 2\n',
        },
      ],
      ['enslf0', 'enslf1'],
    );
    const values = new Map(plan.assignments);
    expect(values.get('net.ipv4.ip_forward')).toBe('1');
    expect(values.get('net.ipv4.conf.all.rp_filter')).toBe('2');
    expect(values.get('net.ipv4.conf.default.rp_filter')).toBe('1');
    expect(values.get('net.ipv4.conf.enslf0.rp_filter')).toBe('1');
    expect(values.get('net.ipv4.conf.enslf1.log_martians')).toBe('0');
    expect(values.get('net.bridge.bridge-nf-call-iptables')).toBe('1');
    expect(values.has('kernel.panic')).toBe(false);
    expect(plan.optional.has('net.ipv4.conf.all.rp_filter')).toBe(true);
    expect(plan.warnings).toEqual([
      '10-network-security.conf:3: kernel.panic is not a per-network-namespace setting; skipped (it would change the host)',
    ]);
  });
});

describe('cabling plan', () => {
  it('creates each veth straight into its two namespaces with the NIC name, MAC and a VM-like ifindex', () => {
    const lines = planCables(virtualbox3Node(), path);
    expect(lines).toContain('link add name br0 netns /run/netns/x-sw-hostonly type bridge stp_state 0');
    expect(lines).toContain(
      'link add name enp0s3 netns /run/netns/x-ubuntu02 index 2 address 08:00:27:56:00:12 type veth peer name s-ubuntu02-3 netns /run/netns/x-sw-hostonly mtu 65535',
    );
    expect(lines).toContain(
      'link add name enp0s8 netns /run/netns/x-ubuntu02 index 3 address 08:00:27:02:15:02 type veth peer name eth0 netns /run/netns/x-nat-ubuntu02 index 2 address 52:54:00:12:35:02',
    );
  });

  it('names switch ports s-<owner>-<n> within 15 characters, uniquely per switch', () => {
    const ports = switchPorts(twoMasterBusiness());
    expect(ports.get('gaia-node1/enslf0')).toBe('s-gaia-node1-0');
    expect(ports.get('gaia-master1/enslf0')).toBe('s-gaiamaster1-0');
    for (const name of ports.values()) expect(name.length).toBeLessThanOrEqual(15);
    const taken = new Set<string>();
    const a = portName('a-very-long-node-name', 'eth0', taken);
    taken.add(a);
    const b = portName('a-very-long-node-nameb', 'eth0', taken);
    expect([a.length, b.length].every((n) => n <= 15)).toBe(true);
    expect(a).not.toBe(b);
  });

  it('keeps br_netfilter off in switches and masquerades out of the NAT routers', () => {
    const t = virtualbox3Node();
    expect(planSwitch(t, t.segments[0]).sysctls).toContainEqual(['net.bridge.bridge-nf-call-iptables', '0']);
    const router = planRouter(t.routers[0]);
    expect(router.sysctls).toContainEqual(['net.ipv4.ip_forward', '1']);
    expect(router.iptables).toContain('-A POSTROUTING -o eth1 -j MASQUERADE');
    expect(router.lines).toEqual([
      'link set dev lo up',
      'link set dev eth0 up',
      'addr add 10.0.2.2/24 brd + dev eth0',
      'addr add 10.0.2.3/24 brd + dev eth0',
      'link set dev eth1 up',
      'addr add 198.51.100.11/24 brd + dev eth1',
    ]);
  });
});
