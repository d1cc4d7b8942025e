import { afterEach, describe, expect, it } from 'vitest';
import { Kubelet } from '../../../labs/runtime/kubelet.ts';
import { ProcessRuntime } from '../../../labs/runtime/process-runtime.ts';
import { eventsFor, FAST, makeCore, nodeDescription, TestNode } from './harness.ts';

let kubelets: Kubelet[] = [];
afterEach(async () => {
  await Promise.all(kubelets.map((k) => k.stop()));
  kubelets = [];
});

describe('kubelet node registration', () => {
  it('registers its Node with labels, addresses, capacity, nodeInfo and Ready conditions', async () => {
    const core = makeCore();
    const n = new TestNode(core);
    kubelets.push(n.kubelet);
    await n.kubelet.start();
    const node = core.store.get(core.kind('', 'nodes'), undefined, 'ubuntu02');
    expect(node.metadata.labels).toMatchObject({
      'kubernetes.io/hostname': 'ubuntu02',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
    });
    expect(node.spec.podCIDR).toBe('10.244.1.0/24');
    expect(node.status.addresses).toEqual([
      { type: 'InternalIP', address: '192.168.56.12' },
      { type: 'Hostname', address: 'ubuntu02' },
    ]);
    expect(node.status.nodeInfo).toMatchObject({
      kubeletVersion: 'v1.32.4',
      osImage: 'Ubuntu 16.04.6 LTS',
      containerRuntimeVersion: 'containerd://1.7.24',
      operatingSystem: 'linux',
    });
    expect(node.status.capacity.pods).toBe('110');
    expect(node.status.conditions.map((c: any) => [c.type, c.status, c.reason])).toEqual([
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
      ['Ready', 'True', 'KubeletReady'],
    ]);
    expect(node.status.conditions[3].message).toBe('kubelet is posting ready status');
    expect(node.status.images.map((i: any) => i.names[1])).toContain('registry.k8s.io/pause:3.10');
    expect(eventsFor(core, 'ubuntu02')).toEqual([
      'Starting: Starting kubelet.',
      'NodeHasSufficientMemory: Node ubuntu02 status is now: NodeHasSufficientMemory',
      'NodeHasNoDiskPressure: Node ubuntu02 status is now: NodeHasNoDiskPressure',
      'NodeHasSufficientPID: Node ubuntu02 status is now: NodeHasSufficientPID',
      'NodeAllocatableEnforced: Updated Node Allocatable limit across pods',
      'NodeReady: Node ubuntu02 status is now: NodeReady',
    ]);
    const ev = core.store.list(core.kind('', 'events'), 'default').find((e) => e.reason === 'NodeReady')!;
    // kubectl describe node finds kubelet events by the node's name used as its UID.
    expect(ev.involvedObject).toMatchObject({ kind: 'Node', name: 'ubuntu02', uid: 'ubuntu02' });
  });

  it('holds a Lease in kube-node-lease and marks control-plane nodes with role label and taint', async () => {
    const core = makeCore();
    const desc = nodeDescription('ubuntu01', '192.168.56.11', '10.244.0.0/24', true);
    const k = new Kubelet(
      core,
      desc,
      new ProcessRuntime({ nodeName: 'ubuntu01', nodeIP: '192.168.56.11', podCIDR: '10.244.0.0/24' }),
      FAST,
    );
    kubelets.push(k);
    await k.start();
    const lease = core.store.get(core.kind('coordination.k8s.io', 'leases'), 'kube-node-lease', 'ubuntu01');
    const node = core.store.get(core.kind('', 'nodes'), undefined, 'ubuntu01');
    expect(lease.spec).toMatchObject({ holderIdentity: 'ubuntu01', leaseDurationSeconds: 40 });
    expect(lease.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(lease.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Node', name: 'ubuntu01', uid: node.metadata.uid },
    ]);
    expect(node.metadata.labels?.['node-role.kubernetes.io/control-plane']).toBe('');
    expect(node.spec.taints).toEqual([
      { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
    ]);
  });

  it('reports NotReady with the CNI message while the pod network is missing', async () => {
    const core = makeCore();
    const n = new TestNode(core, 'ubuntu03', '192.168.56.13', '10.244.2.0/24', {
      ...FAST,
      networkReady: false,
    });
    kubelets.push(n.kubelet);
    await n.kubelet.start();
    const ready = () =>
      core.store
        .get(core.kind('', 'nodes'), undefined, 'ubuntu03')
        .status.conditions.find((c: any) => c.type === 'Ready');
    expect(ready()).toMatchObject({
      status: 'False',
      reason: 'KubeletNotReady',
      message:
        'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
    });
    n.kubelet.setNetworkReady(true);
    expect(ready()).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    expect(eventsFor(core, 'ubuntu03')).toContain('NodeReady: Node ubuntu03 status is now: NodeReady');
  });
});
