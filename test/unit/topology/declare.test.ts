import { describe, expect, it } from 'vitest';
import { defineTopology, KUBEADM_NODE_SYSCTLS, stableMac } from '../../../labs/topology/declare.ts';
import { TopologyError } from '../../../labs/topology/validate.ts';

const small = () =>
  defineTopology('small', (t) => {
    t.addSwitch('lan', { subnets: ['192.168.10.0/24'] });
    t.addNode('cp', {
      role: 'control-plane',
      nics: [{ name: 'eth0', segment: 'lan', address: '192.168.10.2/24' }],
    });
    t.addNode('w1', {
      nics: [{ name: 'eth0', segment: 'lan', address: '192.168.10.3/24' }],
      podCIDR: '10.244.0.0/24',
    });
    t.addNode('w2', { nics: [{ name: 'eth0', segment: 'lan', address: '192.168.10.4/24' }] });
    t.setCluster({ podCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/12' });
  });

describe('declaring a topology', () => {
  it('fills what kubeadm would: sysctls, service IPs, apiserver endpoints, kube-proxy clusterCIDR', () => {
    const t = small();
    expect(t.nodes[0].sysctls).toEqual(KUBEADM_NODE_SYSCTLS);
    expect(t.nodes[0].hostname).toBe('cp');
    expect(t.nodes[1].role).toBe('worker');
    expect(t.nodes[0].persistent).toEqual({
      netplan: '/etc/netplan/50-cloud-init.yaml',
      sysctl: '/etc/sysctl.d/k8s.conf',
    });
    expect(t.cluster.kubernetesServiceIP).toBe('10.96.0.1');
    expect(t.cluster.dnsIP).toBe('10.96.0.10');
    expect(t.cluster.apiserver).toEqual({ port: 6443, endpoints: [{ node: 'cp', address: '192.168.10.2' }] });
    expect(t.cluster.kubeProxy).toEqual({ mode: 'iptables', clusterCIDR: '10.244.0.0/16' });
  });

  it('hands out free pod subnets in declaration order around explicit ones', () => {
    expect(small().nodes.map((n) => n.podCIDR)).toEqual(['10.244.1.0/24', '10.244.0.0/24', '10.244.2.0/24']);
  });

  it('turns the gateway shorthand into a default route and keeps no clusterCIDR when asked', () => {
    const t = defineTopology('gw', (d) => {
      d.addSwitch('lan', { subnets: ['10.0.0.0/24'] });
      d.addNode('cp', {
        role: 'control-plane',
        nics: [
          { name: 'eth0', segment: 'lan', address: '10.0.0.8/24', gateway: '10.0.0.1', gatewayMetric: 100 },
        ],
      });
      d.addRouter('gw', {
        interfaces: [{ name: 'eth0', segment: 'lan', address: '10.0.0.1/24' }],
        masquerade: ['eth0'],
      });
      d.setCluster({
        podCIDR: '172.16.0.0/16',
        serviceCIDR: '172.24.0.0/13',
        dnsIP: '172.24.0.2',
        kubeProxyClusterCIDR: null,
      });
    });
    expect(t.nodes[0].nics[0].routes).toEqual([{ to: 'default', via: '10.0.0.1', metric: 100 }]);
    expect(t.routers[0].nat).toEqual([{ outInterface: 'eth0' }]);
    expect(t.cluster.kubeProxy.clusterCIDR).toBeNull();
  });

  it('derives stable, locally administered unicast MACs for interfaces declared without one', () => {
    const mac = stableMac('small', 'cp', 'eth0');
    expect(mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(stableMac('small', 'cp', 'eth0')).toBe(mac);
    expect(stableMac('small', 'cp', 'eth1')).not.toBe(mac);
    expect(small().nodes[0].nics[0].mac).toBe(mac);
  });

  it('refuses an invalid declaration with a TopologyError', () => {
    expect(() =>
      defineTopology('bad', (t) => {
        t.addSwitch('lan', { subnets: ['192.168.10.0/24'] });
        t.addNode('cp', {
          role: 'control-plane',
          nics: [{ name: 'eth0', segment: 'wan', address: '192.168.10.2/24' }],
        });
        t.setCluster({ podCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/12' });
      }),
    ).toThrow(TopologyError);
  });
});
