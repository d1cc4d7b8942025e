import { afterEach, describe, expect, it } from 'vitest';
import type { KObject } from '../../../labs/kube/object.ts';
import { deployment, rolloutStatus, TestCluster } from './harness.ts';

let cluster: TestCluster;
afterEach(() => cluster?.stop());

const owned = (c: TestCluster, rs: KObject) =>
  c.pods().filter((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid);
const live = (pods: KObject[]) => pods.filter((p) => !p.metadata.deletionTimestamp);
const isReady = (p: KObject) =>
  (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

describe('Deployment controller', () => {
  it('turns a Deployment of 3 replicas into one ReplicaSet and 3 pods', async () => {
    cluster = new TestCluster();
    cluster.create('deployments', deployment('web', 3), 'apps');
    await cluster.idle();

    const rss = cluster.list('replicasets', 'default', 'apps');
    expect(rss).toHaveLength(1);
    const rs = rss[0];
    const hash = rs.metadata.labels!['pod-template-hash'];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.spec.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.spec.template.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    expect(rs.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'web',
      controller: true,
    });

    const pods = cluster.pods();
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
      expect(p.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
      expect(p.spec.nodeName).toMatch(/^ubuntu0[23]$/);
    }
    expect(cluster.eventMessages('ScalingReplicaSet')).toEqual([`Scaled up replica set web-${hash} to 3`]);
    expect(cluster.eventMessages('SuccessfulCreate')).toHaveLength(3);
    expect(cluster.eventMessages('SuccessfulCreate')[0]).toMatch(/^Created pod: web-/);

    expect(rolloutStatus(cluster.get('deployments', 'default', 'web', 'apps')).done).toBe(false);
    await cluster.settle();
    const d = cluster.get('deployments', 'default', 'web', 'apps');
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.status).toMatchObject({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(d.status.unavailableReplicas).toBeUndefined();
    const conds = Object.fromEntries(d.status.conditions.map((c: any) => [c.type, c]));
    expect(conds.Available).toMatchObject({
      status: 'True',
      reason: 'MinimumReplicasAvailable',
      message: 'Deployment has minimum availability.',
    });
    expect(conds.Progressing).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "web-${hash}" has successfully progressed.`,
    });
    expect(rolloutStatus(d)).toEqual({ done: true, message: 'deployment "web" successfully rolled out' });
  });

  it('rolls a template change out within maxSurge and maxUnavailable', async () => {
    cluster = new TestCluster();
    cluster.create(
      'deployments',
      deployment('web', 4, {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } },
      }),
      'apps',
    );
    await cluster.settle();
    const first = cluster.list('replicasets', 'default', 'apps')[0];

    // `kubectl rollout restart`: a template annotation changes.
    cluster.store.mutate(cluster.def('deployments', 'apps'), 'default', 'web', (d) => {
      d.spec.template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' };
    });
    let rounds = 0;
    for (;;) {
      await cluster.idle();
      const pods = live(cluster.pods());
      // maxSurge 1: never more than 5 pods that are not terminating; maxUnavailable 25% of 4 = 1.
      expect(pods.length).toBeLessThanOrEqual(5);
      expect(pods.filter(isReady).length).toBeGreaterThanOrEqual(3);
      const d = cluster.get('deployments', 'default', 'web', 'apps');
      if (rolloutStatus(d).done) break;
      expect(++rounds).toBeLessThan(30);
      cluster.kubeletStep();
    }
    const rss = cluster.list('replicasets', 'default', 'apps');
    expect(rss).toHaveLength(2);
    const second = rss.find((r) => r.metadata.uid !== first.metadata.uid)!;
    expect(second.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(second.spec.replicas).toBe(4);
    // The old ReplicaSet stays, scaled to zero, with its revision and template for `rollout undo`.
    const old = cluster.get('replicasets', 'default', first.metadata.name!, 'apps');
    expect(old.spec.replicas).toBe(0);
    expect(old.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(old.spec.template).toEqual(first.spec.template);
    expect(live(owned(cluster, second))).toHaveLength(4);
    expect(cluster.eventMessages('ScalingReplicaSet')).toContain(
      `Scaled down replica set ${first.metadata.name} to 3 from 4`,
    );
    expect(
      cluster.get('deployments', 'default', 'web', 'apps').metadata.annotations?.[
        'deployment.kubernetes.io/revision'
      ],
    ).toBe('2');
  });

  it('rolls back when the template returns to an old revision, moving that ReplicaSet to a new revision', async () => {
    cluster = new TestCluster();
    cluster.create('deployments', deployment('web', 2), 'apps');
    await cluster.settle();
    const original = cluster.get('deployments', 'default', 'web', 'apps').spec.template;
    const setImage = (image: string) =>
      cluster.store.mutate(cluster.def('deployments', 'apps'), 'default', 'web', (d) => {
        d.spec.template.spec.containers[0].image = image;
      });
    setImage('httpd:2.5');
    await cluster.settle();
    // What `kubectl rollout undo` sends: the old ReplicaSet's template without pod-template-hash.
    cluster.store.mutate(cluster.def('deployments', 'apps'), 'default', 'web', (d) => {
      d.spec.template = original;
    });
    await cluster.settle();
    const rss = cluster.list('replicasets', 'default', 'apps');
    expect(rss).toHaveLength(2);
    const back = rss.find((r) => r.spec.template.spec.containers[0].image === 'httpd:2.4')!;
    expect(back.spec.replicas).toBe(2);
    expect(back.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
    });
    expect(rolloutStatus(cluster.get('deployments', 'default', 'web', 'apps')).done).toBe(true);
  });

  it('Recreate scales the old ReplicaSet to zero and waits for its pods to go before scaling up', async () => {
    cluster = new TestCluster();
    cluster.create('deployments', deployment('web', 2, { strategy: { type: 'Recreate' } }), 'apps');
    await cluster.settle();
    cluster.store.mutate(cluster.def('deployments', 'apps'), 'default', 'web', (d) => {
      d.spec.template.spec.containers[0].image = 'httpd:2.5';
    });
    await cluster.idle();
    // Old pods are terminating; no new ReplicaSet yet.
    expect(cluster.list('replicasets', 'default', 'apps')).toHaveLength(1);
    expect(cluster.pods().every((p) => p.metadata.deletionTimestamp)).toBe(true);
    await cluster.settle();
    const rss = cluster.list('replicasets', 'default', 'apps');
    expect(rss).toHaveLength(2);
    expect(cluster.pods().map((p) => p.spec.containers[0].image)).toEqual(['httpd:2.5', 'httpd:2.5']);
  });

  it('scales proportionally and keeps only revisionHistoryLimit old ReplicaSets', async () => {
    cluster = new TestCluster();
    cluster.create('deployments', deployment('web', 1, { revisionHistoryLimit: 1 }), 'apps');
    await cluster.settle();
    for (const image of ['a:1', 'a:2', 'a:3']) {
      cluster.store.mutate(cluster.def('deployments', 'apps'), 'default', 'web', (d) => {
        d.spec.template.spec.containers[0].image = image;
      });
      await cluster.settle();
    }
    const rss = cluster.list('replicasets', 'default', 'apps');
    expect(rss.map((r) => r.metadata.annotations?.['deployment.kubernetes.io/revision']).sort()).toEqual([
      '3',
      '4',
    ]);

    cluster.store.mutate(cluster.def('deployments', 'apps'), 'default', 'web', (d) => {
      d.spec.replicas = 5;
    });
    await cluster.settle();
    expect(live(cluster.pods())).toHaveLength(5);
    const d = cluster.get('deployments', 'default', 'web', 'apps');
    expect(d.status).toMatchObject({ replicas: 5, updatedReplicas: 5, availableReplicas: 5 });
    expect(cluster.eventMessages('ScalingReplicaSet').at(-1)).toMatch(
      /^Scaled up replica set web-\w+ to 5 from 1$/,
    );
  });

  it('reports ProgressDeadlineExceeded when new pods never become ready', async () => {
    cluster = new TestCluster();
    cluster.create('deployments', deployment('web', 1, { progressDeadlineSeconds: 1 }), 'apps');
    await cluster.settle(() => false);
    await new Promise((r) => setTimeout(r, 2300));
    await cluster.idle();
    const d = cluster.get('deployments', 'default', 'web', 'apps');
    const progressing = d.status.conditions.find((c: any) => c.type === 'Progressing');
    expect(progressing).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(progressing.message).toMatch(/^ReplicaSet "web-\w+" has timed out progressing\.$/);
    expect(d.status.conditions.find((c: any) => c.type === 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
    });
    expect(rolloutStatus(d).message).toBe('deployment "web" exceeded its progress deadline');
  });
});
