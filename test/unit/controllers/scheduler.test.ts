import { afterEach, describe, expect, it } from 'vitest';
import { deployment, TestCluster } from './harness.ts';

let cluster: TestCluster;
afterEach(() => cluster?.stop());

const pod = (name: string, spec: Record<string, any> = {}) => ({
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec },
});

describe('Scheduler', () => {
  it('binds to a worker, sets PodScheduled and records Scheduled from default-scheduler', async () => {
    cluster = new TestCluster();
    cluster.create('pods', pod('web'));
    await cluster.idle();
    const p = cluster.get('pods', 'default', 'web');
    expect(p.spec.nodeName).toBe('ubuntu02');
    expect(p.status.conditions.find((c: any) => c.type === 'PodScheduled')).toMatchObject({ status: 'True' });
    const [ev] = cluster.events().filter((e) => e.reason === 'Scheduled');
    expect(ev).toMatchObject({
      type: 'Normal',
      message: 'Successfully assigned default/web to ubuntu02',
      source: { component: 'default-scheduler' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid: p.metadata.uid },
    });
  });

  it('explains why no node fits, in kube-scheduler words', async () => {
    cluster = new TestCluster();
    cluster.create('pods', pod('pinned', { nodeSelector: { disk: 'ssd' } }));
    await cluster.idle();
    const expected =
      "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
    expect(cluster.eventMessages('FailedScheduling')).toEqual([expected]);
    expect(cluster.events().find((e) => e.reason === 'FailedScheduling')?.count).toBe(1);
    const p = cluster.get('pods', 'default', 'pinned');
    expect(p.spec.nodeName).toBeUndefined();
    expect(p.status.conditions[0]).toMatchObject({
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message: expected,
    });

    // A node gets the label: the pod is retried and bound.
    cluster.store.mutate(cluster.def('nodes'), undefined, 'ubuntu03', (n) => {
      n.metadata.labels = { ...n.metadata.labels, disk: 'ssd' };
    });
    await cluster.idle();
    expect(cluster.get('pods', 'default', 'pinned').spec.nodeName).toBe('ubuntu03');
  });

  it('skips cordoned and NotReady nodes and honours required node affinity with matchFields', async () => {
    cluster = new TestCluster({}, [
      { name: 'ubuntu01', unschedulable: true },
      { name: 'ubuntu02', ready: false },
      { name: 'ubuntu03' },
    ]);
    cluster.create('pods', pod('a'));
    cluster.create(
      'pods',
      pod('b', {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['ubuntu02'] }] },
              ],
            },
          },
        },
      }),
    );
    await cluster.idle();
    expect(cluster.get('pods', 'default', 'a').spec.nodeName).toBe('ubuntu03');
    expect(cluster.eventMessages('FailedScheduling')).toEqual([
      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    ]);
  });

  it('spreads the pods of one owner across nodes', async () => {
    cluster = new TestCluster();
    cluster.create('pods', pod('loner'));
    cluster.create('deployments', deployment('web', 4), 'apps');
    await cluster.idle();
    const perNode = new Map<string, number>();
    for (const p of cluster.pods()) {
      if (p.metadata.name === 'loner') continue;
      perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
    }
    expect(Object.fromEntries(perNode)).toEqual({ ubuntu02: 2, ubuntu03: 2 });
  });
});
