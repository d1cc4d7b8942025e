import { afterEach, describe, expect, it } from 'vitest';
import { deployment, TestCluster } from './harness.ts';

let cluster: TestCluster;
afterEach(() => cluster?.stop());

describe('Namespaces', () => {
  it('exist built in, each with a default ServiceAccount and kube-root-ca.crt', async () => {
    cluster = new TestCluster();
    await cluster.idle();
    expect(cluster.list('namespaces').map((n) => n.metadata.name)).toEqual([
      'default',
      'kube-node-lease',
      'kube-public',
      'kube-system',
    ]);
    cluster.create('namespaces', { metadata: { name: 'lab' } });
    await cluster.idle();
    expect(cluster.get('serviceaccounts', 'lab', 'default').metadata.name).toBe('default');
    const cm = cluster.get('configmaps', 'lab', 'kube-root-ca.crt');
    expect(cm.data).toEqual({ 'ca.crt': 'test-ca' });
    expect(cm.metadata.annotations?.['kubernetes.io/description']).toMatch(/^Contains a CA bundle/);

    // Deleted by a learner: it comes back.
    cluster.store.delete(cluster.def('configmaps'), 'lab', 'kube-root-ca.crt');
    await cluster.idle();
    expect(cluster.get('configmaps', 'lab', 'kube-root-ca.crt').data).toEqual({ 'ca.crt': 'test-ca' });
  });

  it('being deleted turn Terminating, lose their content, then disappear', async () => {
    cluster = new TestCluster();
    cluster.create('namespaces', { metadata: { name: 'lab' } });
    const d = deployment('web', 2);
    d.metadata.namespace = 'lab';
    cluster.create('deployments', d, 'apps');
    cluster.create('services', {
      metadata: { name: 'web', namespace: 'lab' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    await cluster.settle();
    expect(cluster.pods('lab')).toHaveLength(2);

    cluster.store.delete(cluster.def('namespaces'), undefined, 'lab');
    await cluster.idle();
    // Pods wait for their kubelet to stop them; the namespace waits for the pods.
    const ns = cluster.get('namespaces', undefined, 'lab');
    expect(ns.status.phase).toBe('Terminating');
    const remaining = ns.status.conditions.find((c: any) => c.type === 'NamespaceContentRemaining');
    expect(remaining).toMatchObject({
      status: 'True',
      reason: 'SomeResourcesRemain',
      message: 'Some resources are remaining: pods. has 2 resource instances',
    });
    expect(cluster.list('deployments', 'lab', 'apps')).toEqual([]);
    expect(cluster.list('services', 'lab')).toEqual([]);
    expect(() => cluster.create('configmaps', { metadata: { name: 'late', namespace: 'lab' } })).toThrow(
      /being terminated/,
    );

    await cluster.settle();
    expect(cluster.store.tryGet(cluster.def('namespaces'), undefined, 'lab')).toBeUndefined();
    for (const def of cluster.cp.kinds.all()) {
      if (def.info.namespaced) expect(cluster.store.list(def, 'lab')).toEqual([]);
    }
  });
});

describe('Garbage collector', () => {
  it('deletes the dependents of a deleted owner in the background', async () => {
    cluster = new TestCluster();
    cluster.create('deployments', deployment('web', 2), 'apps');
    await cluster.settle();
    cluster.store.delete(cluster.def('deployments', 'apps'), 'default', 'web');
    await cluster.settle();
    expect(cluster.list('replicasets', 'default', 'apps')).toEqual([]);
    expect(cluster.pods()).toEqual([]);
  });

  it('foreground deletion removes blocking dependents before the owner', async () => {
    cluster = new TestCluster();
    cluster.create('deployments', deployment('web', 2), 'apps');
    await cluster.settle();
    const order: string[] = [];
    const off = cluster.store.onChange((c) => {
      if (c.type === 'DELETED') order.push(`${c.def.info.kind}/${c.object.metadata.name}`);
    });
    cluster.store.delete(cluster.def('deployments', 'apps'), 'default', 'web', {
      propagationPolicy: 'Foreground',
    });
    await cluster.idle();
    // The Deployment waits with its finalizer while its ReplicaSet waits for its pods.
    const d = cluster.get('deployments', 'default', 'web', 'apps');
    expect(d.metadata.deletionTimestamp).toBeDefined();
    expect(d.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(cluster.list('replicasets', 'default', 'apps')[0].metadata.deletionTimestamp).toBeDefined();
    await cluster.settle();
    off();
    expect(cluster.store.tryGet(cluster.def('deployments', 'apps'), 'default', 'web')).toBeUndefined();
    const kinds = order.map((o) => o.split('/')[0]);
    expect(kinds.lastIndexOf('Pod')).toBeLessThan(kinds.indexOf('ReplicaSet'));
    expect(kinds.indexOf('ReplicaSet')).toBeLessThan(kinds.indexOf('Deployment'));
  });

  it('orphan deletion strips owner references and keeps the dependents', async () => {
    cluster = new TestCluster();
    cluster.create('deployments', deployment('web', 2), 'apps');
    await cluster.settle();
    cluster.store.delete(cluster.def('deployments', 'apps'), 'default', 'web', {
      propagationPolicy: 'Orphan',
    });
    await cluster.settle();
    expect(cluster.store.tryGet(cluster.def('deployments', 'apps'), 'default', 'web')).toBeUndefined();
    const [rs] = cluster.list('replicasets', 'default', 'apps');
    expect(rs.metadata.ownerReferences).toBeUndefined();
    expect(cluster.pods()).toHaveLength(2);
  });
});

describe('Events', () => {
  it('fold repeats into one Event with a count, as the client-go recorder does', async () => {
    cluster = new TestCluster();
    await cluster.idle();
    const node = cluster.get('nodes', undefined, 'ubuntu02');
    for (let i = 0; i < 3; i++)
      cluster.cp.events.record(node, 'Warning', 'Rebooted', 'Node ubuntu02 has been rebooted', {
        component: 'kubelet',
        host: 'ubuntu02',
      });
    const [ev] = cluster.events().filter((e) => e.reason === 'Rebooted');
    expect(ev.metadata.name).toMatch(/^ubuntu02\.[0-9a-f]{16}$/);
    expect(ev).toMatchObject({
      count: 3,
      type: 'Warning',
      source: { component: 'kubelet', host: 'ubuntu02' },
      reportingComponent: 'kubelet',
      reportingInstance: 'ubuntu02',
      involvedObject: { kind: 'Node', name: 'ubuntu02', uid: node.metadata.uid, apiVersion: 'v1' },
    });
    expect(ev.involvedObject.namespace).toBeUndefined();
    expect(ev.firstTimestamp).toBeDefined();
  });
});

describe('Node lifecycle', () => {
  it('marks a node whose kubelet stops renewing its Lease Unknown and taints it unreachable', async () => {
    cluster = new TestCluster({ nodeMonitorGracePeriodMs: 300 });
    const leases = cluster.def('leases', 'coordination.k8s.io');
    const renew = () => new Date().toISOString().replace('Z', '000Z');
    for (const name of ['ubuntu02', 'ubuntu03']) {
      cluster.store.create(leases, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace: 'kube-node-lease' },
        spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: renew() },
      });
    }
    // ubuntu03's kubelet keeps renewing; ubuntu02's stops.
    for (let i = 0; i < 14; i++) {
      await new Promise((r) => setTimeout(r, 50));
      cluster.store.mutate(leases, 'kube-node-lease', 'ubuntu03', (l) => {
        l.spec.renewTime = renew();
      });
    }
    await cluster.idle();
    const node = cluster.get('nodes', undefined, 'ubuntu02');
    expect(node.status.conditions.find((c: any) => c.type === 'Ready')).toMatchObject({
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
    });
    expect(node.spec.taints.map((t: any) => `${t.key}:${t.effect}`)).toEqual([
      'node.kubernetes.io/unreachable:NoSchedule',
      'node.kubernetes.io/unreachable:NoExecute',
    ]);
    const alive = cluster.get('nodes', undefined, 'ubuntu03');
    expect(alive.status.conditions.find((c: any) => c.type === 'Ready').status).toBe('True');
    expect(alive.spec.taints).toBeUndefined();
    // No heartbeat ever seen beating (no Lease, status never refreshed): nothing to judge.
    expect(cluster.get('nodes', undefined, 'ubuntu01').status.conditions[0].status).toBe('True');

    // New pods avoid the unreachable node.
    cluster.create('pods', {
      metadata: { name: 'p', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    });
    await cluster.idle();
    expect(cluster.get('pods', 'default', 'p').spec.nodeName).toBe('ubuntu03');
  });
});

describe('CustomResourceDefinitions', () => {
  it('become served kinds with Established status and go away with their instances', async () => {
    cluster = new TestCluster();
    cluster.create(
      'customresourcedefinitions',
      {
        metadata: { name: 'widgets.example.com' },
        spec: {
          group: 'example.com',
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
          versions: [
            { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } },
          ],
        },
      },
      'apiextensions.k8s.io',
    );
    await cluster.idle();
    const crd = cluster.get(
      'customresourcedefinitions',
      undefined,
      'widgets.example.com',
      'apiextensions.k8s.io',
    );
    expect(crd.status.conditions.map((c: any) => [c.type, c.status, c.reason])).toEqual([
      ['NamesAccepted', 'True', 'NoConflicts'],
      ['Established', 'True', 'InitialNamesAccepted'],
    ]);
    expect(crd.status.acceptedNames).toMatchObject({
      kind: 'Widget',
      listKind: 'WidgetList',
      plural: 'widgets',
    });
    expect(crd.status.storedVersions).toEqual(['v1']);
    const def = cluster.cp.kinds.byResource('example.com', 'widgets')!;
    expect(def.info).toMatchObject({ kind: 'Widget', version: 'v1', namespaced: true, shortNames: ['wd'] });
    cluster.store.create(def, {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1', namespace: 'default' },
    });

    cluster.store.delete(
      cluster.def('customresourcedefinitions', 'apiextensions.k8s.io'),
      undefined,
      'widgets.example.com',
    );
    await cluster.idle();
    expect(cluster.cp.kinds.byResource('example.com', 'widgets')).toBeUndefined();
    expect([...cluster.store.peek(def)]).toEqual([]);
  });
});
