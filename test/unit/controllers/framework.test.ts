import { afterEach, describe, expect, it } from 'vitest';
import { EventRecorder } from '../../../labs/controllers/events.ts';
import { type Controller, ControllerManager, WorkQueue } from '../../../labs/controllers/framework.ts';
import { deployment, TestCluster } from './harness.ts';

let cluster: TestCluster;
afterEach(() => cluster?.stop());

describe('WorkQueue', () => {
  it('holds each key once until it is taken', () => {
    const q = new WorkQueue(() => {});
    q.add('a');
    q.add('b');
    q.add('a');
    expect([q.pop(), q.pop(), q.pop()]).toEqual(['a', 'b', undefined]);
    q.add('a');
    expect(q.length).toBe(1);
  });

  it('retries failures with growing delays and forgets them on success', async () => {
    const q = new WorkQueue(() => {});
    q.addRateLimited('k');
    q.addRateLimited('k');
    expect(q.failuresOf('k')).toBe(2);
    expect(q.length).toBe(0);
    await new Promise((r) => setTimeout(r, 30));
    expect(q.pop()).toBe('k');
    q.forget('k');
    expect(q.failuresOf('k')).toBe(0);
    q.stop();
  });
});

describe('ControllerManager', () => {
  it('retries a failing reconcile and stops cleanly', async () => {
    cluster = new TestCluster({ only: [] });
    const seen: string[] = [];
    let failures = 2;
    const probe: Controller = {
      name: 'probe',
      onChange: (c, q) => {
        if (c.def.info.resource === 'configmaps') q.add(c.object.metadata.name!);
      },
      reconcile: (key) => {
        seen.push(key);
        if (failures-- > 0) throw new Error('not yet');
      },
    };
    const manager = new ControllerManager(cluster.cp, { log: () => {} });
    manager.add(probe);
    manager.start();
    cluster.create('namespaces', { metadata: { name: 'x' } });
    cluster.create('configmaps', { metadata: { name: 'cm', namespace: 'x' } });
    await manager.idle();
    await new Promise((r) => setTimeout(r, 50));
    await manager.idle();
    expect(seen).toEqual(['cm', 'cm', 'cm']);
    manager.stop();
    cluster.create('configmaps', { metadata: { name: 'after', namespace: 'x' } });
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['cm', 'cm', 'cm']);
    await manager.idle();
  });

  it('idle() waits for chains of controllers to settle', async () => {
    cluster = new TestCluster();
    cluster.create('deployments', deployment('web', 2), 'apps');
    await cluster.idle();
    // Deployment -> ReplicaSet -> pods -> scheduler, all done by the time idle resolves.
    expect(cluster.pods().map((p) => Boolean(p.spec.nodeName))).toEqual([true, true]);
  });
});

describe('EventRecorder', () => {
  it('expires events an hour after they were last seen', async () => {
    cluster = new TestCluster({ only: [] });
    cluster.create('namespaces', { metadata: { name: 'default' } });
    const recorder = new EventRecorder(cluster.cp);
    const ns = cluster.get('namespaces', undefined, 'default');
    recorder.record(ns, 'Normal', 'Test', 'hello', { component: 'test' });
    expect(cluster.events()).toHaveLength(1);
    expect(recorder.expire(Date.now() + 59 * 60 * 1000)).toBe(0);
    expect(recorder.expire(Date.now() + 61 * 60 * 1000)).toBe(1);
    expect(cluster.events()).toHaveLength(0);
    // A repeat after expiry starts a new event.
    recorder.record(ns, 'Normal', 'Test', 'hello', { component: 'test' });
    expect(cluster.events()[0].count).toBe(1);
  });
});
