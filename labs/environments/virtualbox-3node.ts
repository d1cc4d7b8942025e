/**
 * Seed 000: a three-node kubeadm cluster in VirtualBox (Ubuntu, Kubernetes v1.17.2, flannel vxlan).
 *
 * Each VM has two NICs, as in the seed's diagram:
 * - enp0s3 on the host-only network vboxnet0, 192.168.56.0/24: the nodes' only way to each other.
 *   No gateway there; the host is 192.168.56.1.
 * - enp0s8 on the VM's own VirtualBox NAT network: DHCP from the NAT engine gives every VM the same
 *   10.0.2.15/24 with the default route via 10.0.2.2 (DNS 10.0.2.3). Each VM sits behind its own NAT,
 *   so 10.0.2.15 on another node is unreachable - which is exactly why flannel picking the
 *   default-route NIC (fault `flannel-wrong-iface`) breaks cross-node pod traffic.
 *
 * Modelled as: one switch `hostonly`, one wire per VM to a NAT router `nat-<vm>` (52:54:00:12:35:02,
 * VirtualBox's gateway MAC), and the host on both `hostonly` (vboxnet0) and the `lan` switch that every
 * NAT router masquerades onto. `lan` uses 198.51.100.0/24 (TEST-NET-2) to stand for the host's own
 * network, so "the outside world" is an address inside the lab, never a real one.
 *
 * The nodes boot from netplan (/etc/netplan/50-cloud-init.yaml, as cloud-init writes it on current
 * Ubuntu images; the seed's 16.04 used /etc/network/interfaces - same addresses, different file).
 * rp_filter is Ubuntu's default 2 (loose).
 */
import { TopologyDraft } from '../topology/declare.ts';
import type { Topology } from '../topology/types.ts';

export const VIRTUALBOX_NODES = [
  { name: 'ubuntu01', role: 'control-plane', hostOnly: '192.168.56.11', lan: '198.51.100.11' },
  { name: 'ubuntu02', role: 'worker', hostOnly: '192.168.56.12', lan: '198.51.100.12' },
  { name: 'ubuntu03', role: 'worker', hostOnly: '192.168.56.13', lan: '198.51.100.13' },
] as const;

/** VirtualBox's NAT engine answers as 10.0.2.2 with this MAC on every VM's NAT network. */
export const VIRTUALBOX_NAT_GATEWAY_MAC = '52:54:00:12:35:02';

export function virtualbox3Node(): Topology {
  const t = new TopologyDraft(
    'virtualbox-3node',
    'Seed 000: three Ubuntu VMs in VirtualBox, each with a host-only NIC (enp0s3) and its own NAT NIC (enp0s8)',
  );
  t.addSwitch('hostonly', {
    subnets: ['192.168.56.0/24'],
    description: 'VirtualBox host-only network vboxnet0',
  });
  t.addSwitch('lan', {
    subnets: ['198.51.100.0/24'],
    description: "the host's own network, where VirtualBox NAT traffic comes out",
  });
  VIRTUALBOX_NODES.forEach((vm, i) => {
    const n = i + 1;
    const natnet = `natnet-${vm.name}`;
    t.addWire(natnet, { subnets: ['10.0.2.0/24'], description: `VirtualBox NAT network of ${vm.name}` });
    t.addNode(vm.name, {
      role: vm.role,
      hostname: vm.name,
      description: 'Ubuntu VM in VirtualBox (seed: Ubuntu 16.04 LTS, Kubernetes v1.17.2)',
      nics: [
        { name: 'enp0s3', mac: `08:00:27:56:00:1${n}`, segment: 'hostonly', address: `${vm.hostOnly}/24` },
        { name: 'enp0s8', mac: `08:00:27:02:15:0${n}`, segment: natnet, dhcp4: true },
      ],
      sysctls: { 'net.ipv4.conf.all.rp_filter': 2, 'net.ipv4.conf.default.rp_filter': 2 },
    });
    t.addRouter(`nat-${vm.name}`, {
      description: `VirtualBox NAT engine of ${vm.name}`,
      interfaces: [
        {
          name: 'eth0',
          segment: natnet,
          mac: VIRTUALBOX_NAT_GATEWAY_MAC,
          addresses: ['10.0.2.2/24', '10.0.2.3/24'],
          dhcpServer: { offers: [{ address: '10.0.2.15/24' }], gateway: '10.0.2.2', dns: ['10.0.2.3'] },
        },
        { name: 'eth1', segment: 'lan', address: `${vm.lan}/24` },
      ],
      masquerade: ['eth1'],
    });
  });
  t.addHost('host', {
    description: 'the VirtualBox host (the learner’s machine in the seed)',
    interfaces: [
      { name: 'vboxnet0', segment: 'hostonly', mac: '0a:00:27:00:00:00', address: '192.168.56.1/24' },
      { name: 'eth0', segment: 'lan', address: '198.51.100.1/24' },
    ],
  });
  t.setCluster({
    podCIDR: '10.244.0.0/16',
    nodeCIDRMaskSize: 24,
    serviceCIDR: '10.96.0.0/12',
    dnsIP: '10.96.0.10',
    apiservers: [{ node: 'ubuntu01', address: '192.168.56.11' }],
    kubeProxyClusterCIDR: '10.244.0.0/16',
  });
  return t.toTopology();
}
