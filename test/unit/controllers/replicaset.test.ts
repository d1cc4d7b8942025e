import { afterEach, describe, expect, it } from 'vitest';
import { rankPodsForDeletion, sameNodeRanks } from '../../../labs/controllers/pods.ts';
import type { KObject } from '../../../labs/kube/object.ts';
import { TestCluster } from './harness.ts';

let cluster: TestCluster;
afterEach(() => cluster?.stop());

function replicaSet(name: string, replicas: number): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      },
    },
  };
}

const scale = (c: TestCluster, name: string, replicas: number) =>
  c.store.mutate(c.def('replicasets', 'apps'), 'default', name, (rs) => {
    rs.spec.replicas = replicas;
  });

describe('ReplicaSet controller', () => {
  it('keeps replicas pods and reports ready and available counts', async () => {
    cluster = new TestCluster();
    cluster.create('replicasets', replicaSet('web', 3), 'apps');
    await cluster.settle((p) => p.metadata.name !== cluster.pods()[0].metadata.name);
    const rs = cluster.get('replicasets', 'default', 'web', 'apps');
    expect(rs.status).toEqual({
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 2,
      availableReplicas: 2,
      observedGeneration: 1,
    });

    // A pod deleted by hand is replaced.
    const victim = cluster.pods()[1];
    cluster.store.delete(cluster.def('pods'), 'default', victim.metadata.name!, { gracePeriodSeconds: 0 });
    await cluster.idle();
    expect(cluster.pods()).toHaveLength(3);
    expect(cluster.pods().map((p) => p.metadata.name)).not.toContain(victim.metadata.name);
  });

  it('scales down the least useful pods first: unscheduled, pending, not ready', async () => {
    cluster = new TestCluster();
    cluster.create('replicasets', replicaSet('web', 4), 'apps');
    await cluster.idle();
    const [a, b, c] = cluster.pods();
    // a: Running and Ready; b: Running, not ready; c: stays Pending; d: Running and Ready.
    await cluster.settle((p) => p.metadata.name !== b.metadata.name);
    cluster.store.mutate(
      cluster.def('pods'),
      'default',
      c.metadata.name!,
      (p) => {
        p.status = { phase: 'Pending', conditions: [] };
      },
      { subresource: 'status' },
    );
    scale(cluster, 'web', 2);
    await cluster.idle();
    const deleted = cluster.eventMessages('SuccessfulDelete');
    expect(deleted.sort()).toEqual(
      [`Deleted pod: ${b.metadata.name}`, `Deleted pod: ${c.metadata.name}`].sort(),
    );
    expect(
      cluster
        .pods()
        .filter((p) => !p.metadata.deletionTimestamp)
        .map((p) => p.metadata.name),
    ).toContain(a.metadata.name);
  });

  it('ranks pods the way the real controller does', () => {
    const now = Date.now();
    const ts = (ago: number) => new Date(now - ago * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const pod = (
      name: string,
      opts: { node?: string; phase?: string; readySince?: number; restarts?: number; age?: number },
    ): KObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, uid: name, creationTimestamp: ts(opts.age ?? 1000) },
      spec: { nodeName: opts.node },
      status: {
        phase: opts.phase ?? 'Running',
        conditions:
          opts.readySince !== undefined
            ? [{ type: 'Ready', status: 'True', lastTransitionTime: ts(opts.readySince) }]
            : [],
        containerStatuses: [{ restartCount: opts.restarts ?? 0 }],
      },
    });
    const pods = [
      pod('old-ready', { node: 'n1', readySince: 5000, age: 6000 }),
      pod('unscheduled', { phase: 'Pending' }),
      pod('pending', { node: 'n2', phase: 'Pending' }),
      pod('not-ready', { node: 'n2' }),
      pod('young-ready', { node: 'n2', readySince: 10, age: 20 }),
      pod('crashy', { node: 'n1', readySince: 5000, age: 6000, restarts: 7 }),
    ];
    const ranked = rankPodsForDeletion(pods, sameNodeRanks(pods, pods), now).map((p) => p.metadata.name);
    expect(ranked).toEqual(['unscheduled', 'pending', 'not-ready', 'young-ready', 'crashy', 'old-ready']);
  });

  it('adopts matching orphans and releases pods whose labels no longer match', async () => {
    cluster = new TestCluster();
    cluster.create('pods', {
      metadata: { name: 'stray', namespace: 'default', labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    cluster.create('replicasets', replicaSet('web', 2), 'apps');
    await cluster.idle();
    expect(cluster.pods()).toHaveLength(2);
    expect(cluster.get('pods', 'default', 'stray').metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'ReplicaSet',
      name: 'web',
    });

    cluster.store.mutate(cluster.def('pods'), 'default', 'stray', (p) => {
      p.metadata.labels = { app: 'debug' };
    });
    await cluster.idle();
    expect(cluster.get('pods', 'default', 'stray').metadata.ownerReferences).toBeUndefined();
    expect(cluster.pods()).toHaveLength(3);
  });
});
