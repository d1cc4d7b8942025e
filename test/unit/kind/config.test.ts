/**
 * The kind cluster configuration and the node/network layout generated from each seed environment.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { NODE_LABEL } from '../../../labs/drivers/kind/config.ts';
import { defaultRouteNic, layoutFor } from '../../../labs/drivers/kind/layout.ts';
import { clusterName, nodeContainers } from '../../../labs/drivers/kind/names.ts';
import { NODE_IMAGE } from '../../../labs/drivers/kind/versions.ts';
import { environment } from '../../../labs/environments/index.ts';
import { LAB_DIR, plan } from './helpers.ts';

describe('kind config of virtualbox-3node', () => {
  const p = plan('virtualbox-3node');
  const config = parse(p.kindConfig);

  it('is a v1alpha4 Cluster named after the lab', () => {
    expect(config.kind).toBe('Cluster');
    expect(config.apiVersion).toBe('kind.x-k8s.io/v1alpha4');
    expect(config.name).toBe('svcl-demo');
    expect(p.cluster).toBe('svcl-demo');
  });

  it('has one control plane and two workers, in topology order, labelled with the story names', () => {
    expect(config.nodes.map((n: { role: string }) => n.role)).toEqual(['control-plane', 'worker', 'worker']);
    expect(config.nodes.map((n: { labels: Record<string, string> }) => n.labels[NODE_LABEL])).toEqual([
      'ubuntu01',
      'ubuntu02',
      'ubuntu03',
    ]);
    expect(p.layout.nodes.map((n) => n.container)).toEqual([
      'svcl-demo-control-plane',
      'svcl-demo-worker',
      'svcl-demo-worker2',
    ]);
  });

  it('disables the default CNI and takes pod and service subnets from the topology, kube-proxy in iptables mode', () => {
    expect(config.networking).toEqual({
      ipFamily: 'ipv4',
      disableDefaultCNI: true,
      kubeProxyMode: 'iptables',
      podSubnet: '10.244.0.0/16',
      serviceSubnet: '10.96.0.0/12',
    });
  });

  it('mounts the lab’s CNI plugin directory at /opt/cni/bin on every node, with the pinned node image', () => {
    for (const n of config.nodes) {
      expect(n.extraMounts).toEqual([{ hostPath: `${LAB_DIR}/cni-bin`, containerPath: '/opt/cni/bin' }]);
      expect(n.image).toBe(NODE_IMAGE);
      expect(n.image).toMatch(/^kindest\/node:v1\.32\.\d+@sha256:[0-9a-f]{64}$/);
    }
  });
});

describe('kind config of two-master-business', () => {
  const p = plan('two-master-business');
  const config = parse(p.kindConfig);

  it('has two control planes and a worker, named as kind names them', () => {
    expect(config.nodes.map((n: { role: string }) => n.role)).toEqual([
      'control-plane',
      'control-plane',
      'worker',
    ]);
    expect(p.layout.nodes.map((n) => [n.name, n.container])).toEqual([
      ['gaia-master1', 'svcl-demo-control-plane'],
      ['gaia-master2', 'svcl-demo-control-plane2'],
      ['gaia-node1', 'svcl-demo-worker'],
    ]);
  });

  it('uses the seed’s pod network and /13 service network', () => {
    expect(config.networking.podSubnet).toBe('172.16.0.0/16');
    expect(config.networking.serviceSubnet).toBe('172.24.0.0/13');
    expect(config.networking.disableDefaultCNI).toBe(true);
  });
});

describe('layout', () => {
  it('puts the apiserver’s segment on kind’s network and every other segment on a network of the lab', () => {
    const vb = layoutFor('demo', environment('virtualbox-3node'));
    expect(vb.clusterSegment).toBe('hostonly');
    expect(vb.nodes[1].nics.map((n) => [n.name, n.network, n.primary])).toEqual([
      ['enp0s3', 'kind', true],
      ['enp0s8', 'svcl-demo-natnet-ubuntu02', false],
    ]);
    // One NAT network per VM: nodes cannot reach each other over it.
    expect(vb.networks.map((n) => [n.name, n.kind, n.nodes])).toEqual([
      ['svcl-demo-natnet-ubuntu01', 'wire', ['ubuntu01']],
      ['svcl-demo-natnet-ubuntu02', 'wire', ['ubuntu02']],
      ['svcl-demo-natnet-ubuntu03', 'wire', ['ubuntu03']],
    ]);
    const tm = layoutFor('demo', environment('two-master-business'));
    expect(tm.clusterSegment).toBe('cluster');
    expect(tm.networks.map((n) => [n.name, n.nodes])).toEqual([
      ['svcl-demo-business', ['gaia-master1', 'gaia-master2', 'gaia-node1']],
    ]);
  });

  it('finds the default-route NIC the way the node’s netplan would', () => {
    const vb = environment('virtualbox-3node');
    expect(defaultRouteNic(vb, vb.nodes[0])).toBe('enp0s8'); // DHCP from the NAT engine
    const healthy = environment('two-master-business');
    expect(defaultRouteNic(healthy, healthy.nodes[0])).toBe('enslf0'); // metric 100 beats 200
    const broken = environment('two-master-business', { defaultRoute: 'enslf1' });
    expect(defaultRouteNic(broken, broken.nodes[0])).toBe('enslf1');
  });
});

describe('names', () => {
  it('keeps cluster names short enough for kind’s longest container name', () => {
    const long = 'a'.repeat(63);
    const name = clusterName(long);
    expect(name.length).toBeLessThanOrEqual(40);
    expect(`${name}-external-load-balancer`.length).toBeLessThanOrEqual(63);
    expect(name.startsWith('svcl-')).toBe(true);
    expect(clusterName(`${'a'.repeat(62)}b`)).not.toBe(name);
    expect(clusterName('short')).toBe('svcl-short');
  });

  it('numbers nodes per role as kind does', () => {
    expect(nodeContainers('c', ['control-plane', 'control-plane', 'worker', 'worker', 'worker'])).toEqual([
      'c-control-plane',
      'c-control-plane2',
      'c-worker',
      'c-worker2',
      'c-worker3',
    ]);
  });
});
