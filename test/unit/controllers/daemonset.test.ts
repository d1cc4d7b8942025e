import { afterEach, describe, expect, it } from 'vitest';
import type { KObject } from '../../../labs/kube/object.ts';
import { TestCluster } from './harness.ts';

let cluster: TestCluster;
afterEach(() => cluster?.stop());

function daemonSet(
  name: string,
  podSpec: Record<string, any> = {},
  extra: Record<string, any> = {},
): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'kube-system' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: `${name}:1` }], ...podSpec },
      },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      ...extra,
    },
  };
}

/** kubectl's DaemonSetStatusViewer. */
function rolloutDone(ds: KObject): boolean {
  const st = ds.status ?? {};
  return (
    (ds.metadata.generation ?? 0) <= (st.observedGeneration ?? 0) &&
    (st.updatedNumberScheduled ?? 0) >= st.desiredNumberScheduled &&
    (st.numberAvailable ?? 0) >= st.desiredNumberScheduled
  );
}

const nodeOf = (p: KObject) => p.spec.nodeName;

describe('DaemonSet controller', () => {
  it('runs one pod per node, on the control plane only where tolerated', async () => {
    cluster = new TestCluster();
    cluster.create('daemonsets', daemonSet('kube-proxy', { tolerations: [{ operator: 'Exists' }] }), 'apps');
    cluster.create('daemonsets', daemonSet('web-agent'), 'apps');
    await cluster.settle();
    const pods = cluster.pods('kube-system');
    const proxy = pods.filter((p) => p.metadata.labels?.app === 'kube-proxy');
    const agent = pods.filter((p) => p.metadata.labels?.app === 'web-agent');
    expect(proxy.map(nodeOf).sort()).toEqual(['ubuntu01', 'ubuntu02', 'ubuntu03']);
    expect(agent.map(nodeOf).sort()).toEqual(['ubuntu02', 'ubuntu03']);
    const pod = proxy.find((p) => nodeOf(p) === 'ubuntu02')!;
    expect(pod.metadata.name).toMatch(/^kube-proxy-[a-z0-9]{5}$/);
    expect(
      pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
    ).toEqual([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['ubuntu02'] }] }]);
    expect(pod.spec.tolerations).toContainEqual({
      key: 'node.kubernetes.io/unreachable',
      operator: 'Exists',
      effect: 'NoExecute',
    });
    expect(pod.metadata.labels).toMatchObject({
      'pod-template-generation': '1',
      'controller-revision-hash': expect.any(String),
    });

    const ds = cluster.get('daemonsets', 'kube-system', 'web-agent', 'apps');
    expect(ds.status).toEqual({
      currentNumberScheduled: 2,
      numberMisscheduled: 0,
      desiredNumberScheduled: 2,
      numberReady: 2,
      observedGeneration: 1,
      updatedNumberScheduled: 2,
      numberAvailable: 2,
    });
    expect(rolloutDone(ds)).toBe(true);
    const [rev] = cluster
      .list('controllerrevisions', 'kube-system', 'apps')
      .filter((r) => r.metadata.labels?.app === 'web-agent');
    expect(rev.revision).toBe(1);
    expect(rev.metadata.name).toBe(`web-agent-${rev.metadata.labels?.['controller-revision-hash']}`);
    expect(rev.data.spec.template.$patch).toBe('replace');
  });

  it('rolls out a template change node by node with maxUnavailable 1 and records a new revision', async () => {
    cluster = new TestCluster();
    cluster.create(
      'daemonsets',
      daemonSet('flannel', { tolerations: [{ operator: 'Exists', effect: 'NoSchedule' }] }),
      'apps',
    );
    await cluster.settle();
    const before = cluster.pods('kube-system').map((p) => p.metadata.name);
    cluster.store.mutate(cluster.def('daemonsets', 'apps'), 'kube-system', 'flannel', (ds) => {
      ds.spec.template.spec.containers[0].args = ['--iface=enp0s3'];
    });
    for (let i = 0; ; i++) {
      await cluster.idle();
      const terminating = cluster.pods('kube-system').filter((p) => p.metadata.deletionTimestamp);
      expect(terminating.length).toBeLessThanOrEqual(1);
      if (rolloutDone(cluster.get('daemonsets', 'kube-system', 'flannel', 'apps'))) break;
      expect(i).toBeLessThan(20);
      cluster.kubeletStep();
    }
    const after = cluster.pods('kube-system');
    expect(after).toHaveLength(3);
    expect(after.every((p) => p.spec.containers[0].args?.[0] === '--iface=enp0s3')).toBe(true);
    expect(after.map((p) => p.metadata.name).some((n) => before.includes(n))).toBe(false);
    const revs = cluster
      .list('controllerrevisions', 'kube-system', 'apps')
      .map((r) => r.revision)
      .sort();
    expect(revs).toEqual([1, 2]);
  });

  it('deleting the DaemonSet removes its pods and a recreated one makes new pods (replace --force)', async () => {
    cluster = new TestCluster();
    cluster.create('daemonsets', daemonSet('flannel', { tolerations: [{ operator: 'Exists' }] }), 'apps');
    await cluster.settle();
    const old = cluster.pods('kube-system').map((p) => p.metadata.name);
    cluster.store.delete(cluster.def('daemonsets', 'apps'), 'kube-system', 'flannel');
    await cluster.settle();
    expect(cluster.pods('kube-system')).toEqual([]);
    cluster.create('daemonsets', daemonSet('flannel', { tolerations: [{ operator: 'Exists' }] }), 'apps');
    await cluster.settle();
    const fresh = cluster.pods('kube-system');
    expect(fresh).toHaveLength(3);
    expect(fresh.some((p) => old.includes(p.metadata.name))).toBe(false);
  });

  it('follows nodeSelector and node label changes', async () => {
    cluster = new TestCluster();
    cluster.create('daemonsets', daemonSet('gpu', { nodeSelector: { gpu: 'true' } }), 'apps');
    await cluster.settle();
    expect(cluster.pods('kube-system')).toEqual([]);
    cluster.store.mutate(cluster.def('nodes'), undefined, 'ubuntu03', (n) => {
      n.metadata.labels = { ...n.metadata.labels, gpu: 'true' };
    });
    await cluster.settle();
    expect(cluster.pods('kube-system').map(nodeOf)).toEqual(['ubuntu03']);
  });
});
