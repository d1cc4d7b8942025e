import { afterEach, describe, expect, it } from 'vitest';
import type { ControlPlaneCore } from '../../../labs/controlplane/types.ts';
import type { KObject } from '../../../labs/kube/object.ts';
import {
  containerStatus,
  createPod,
  eventsFor,
  getPod,
  makeCore,
  podsDef,
  TestNode,
  until,
} from './harness.ts';

let node: TestNode | undefined;
afterEach(async () => {
  await node?.kubelet.stop();
  node = undefined;
});

async function startNode(): Promise<ControlPlaneCore> {
  const core = makeCore();
  node = new TestNode(core);
  await node.kubelet.start();
  return core;
}

/** The pod as it was right before it left the store. */
function lastVersionBeforeDelete(core: ControlPlaneCore, name: string): Promise<KObject> {
  let last: KObject | undefined;
  return new Promise((resolve) => {
    const stop = core.store.onChange((c) => {
      if (c.def.info.resource !== 'pods' || c.object.metadata.name !== name) return;
      if (c.type === 'DELETED') {
        stop();
        resolve(last ?? c.object);
      } else last = c.object;
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function containerPid(name: string): number {
  const w = node!.kubelet.podWorkers().find((x) => x.name === name)!;
  return w.container('c')!.handle!.pid;
}

describe('pod termination', () => {
  it('stops a container with SIGTERM on DELETE, then removes the pod with grace 0', async () => {
    const core = await startNode();
    createPod(core, {
      metadata: { name: 'term', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', 'trap "echo bye; exit 0" TERM; while true; do sleep 0.2; done'],
          },
        ],
      },
    });
    await until('running', () => containerStatus(getPod(core, 'term'), 'c')?.state?.running);
    const pid = containerPid('term');
    const final = lastVersionBeforeDelete(core, 'term');
    const t0 = Date.now();
    const { object, deleted } = core.store.delete(podsDef(core), 'default', 'term');
    expect(deleted).toBe(false);
    expect(object.metadata.deletionTimestamp).toBeDefined();
    expect(object.metadata.deletionGracePeriodSeconds).toBe(30);
    const last = await final;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(containerStatus(last, 'c').state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(last.status.phase).toBe('Succeeded');
    expect(eventsFor(core, 'term')).toContain('Killing: Stopping container c');
    expect(getPod(core, 'term')).toBeUndefined();
    expect(alive(pid)).toBe(false);
  });

  it('kills a container that ignores SIGTERM (PID 1 without a handler) when the grace period ends', async () => {
    const core = await startNode();
    createPod(core, {
      metadata: { name: 'stubborn', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        terminationGracePeriodSeconds: 2,
        containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }],
      },
    });
    await until('running', () => containerStatus(getPod(core, 'stubborn'), 'c')?.state?.running);
    const final = lastVersionBeforeDelete(core, 'stubborn');
    const t0 = Date.now();
    core.store.delete(podsDef(core), 'default', 'stubborn');
    const last = await final;
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(6000);
    expect(containerStatus(last, 'c').state.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    expect(last.status.phase).toBe('Failed');
  });

  it('kills the containers of a pod removed from the API at once (force delete)', async () => {
    const core = await startNode();
    createPod(core, {
      metadata: { name: 'forced', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }],
      },
    });
    await until('running', () => containerStatus(getPod(core, 'forced'), 'c')?.state?.running);
    const pid = containerPid('forced');
    const { deleted } = core.store.delete(podsDef(core), 'default', 'forced', { gracePeriodSeconds: 0 });
    expect(deleted).toBe(true);
    await until('process gone', () => !alive(pid), 5000);
    await until('worker gone', () => !node!.kubelet.podWorkers().some((w) => w.name === 'forced'), 5000);
  });

  it('finishes the deletion of a pod that never started (image cannot be pulled)', async () => {
    const core = await startNode();
    createPod(core, {
      metadata: { name: 'never', namespace: 'default' },
      spec: { nodeName: 'ubuntu02', containers: [{ name: 'c', image: 'example.invalid/nothing:1' }] },
    });
    await until(
      'pull failure',
      () => containerStatus(getPod(core, 'never'), 'c')?.state?.waiting?.reason === 'ErrImagePull',
    );
    const final = lastVersionBeforeDelete(core, 'never');
    core.store.delete(podsDef(core), 'default', 'never');
    const last = await final;
    expect(containerStatus(last, 'c').state.terminated).toMatchObject({
      exitCode: 137,
      reason: 'ContainerStatusUnknown',
      message: 'The container could not be located when the pod was terminated',
    });
  });

  it('stops every container and reports nothing when the node stops', async () => {
    const core = await startNode();
    createPod(core, {
      metadata: { name: 'survivor', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }],
      },
    });
    await until('running', () => containerStatus(getPod(core, 'survivor'), 'c')?.state?.running);
    const pid = containerPid('survivor');
    await node!.kubelet.stop();
    expect(alive(pid)).toBe(false);
    // The API keeps the last status the kubelet posted, as it does for a node that went away.
    expect(containerStatus(getPod(core, 'survivor'), 'c').state.running).toBeDefined();
  });
});

describe('node restart', () => {
  it('recreates the pods of a node that came back, counting the restart as after a reboot', async () => {
    const core = await startNode();
    createPod(core, {
      metadata: { name: 'back', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }],
      },
    });
    await until('running', () => containerStatus(getPod(core, 'back'), 'c')?.state?.running);
    await node!.kubelet.stop();
    node = new TestNode(core);
    await node.kubelet.start();
    const cs = await until('running again', () => {
      const s = containerStatus(getPod(core, 'back'), 'c');
      return s?.restartCount === 1 && s.state.running && s;
    });
    expect(cs.lastState.terminated).toMatchObject({ exitCode: 255, reason: 'Unknown' });
    expect(eventsFor(core, 'back')).toContain(
      'SandboxChanged: Pod sandbox changed, it will be killed and re-created.',
    );
    expect(
      eventsFor(core, 'ubuntu02').some((e) =>
        /^Rebooted: Node ubuntu02 has been rebooted, boot id: [0-9a-f-]{36}$/.test(e),
      ),
    ).toBe(true);
  });
});

describe('deletion races', () => {
  it('leaves no process behind for pods deleted at any moment of their start', async () => {
    const core = await startNode();
    const { readdirSync, readFileSync } = await import('node:fs');
    const marker = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return /(^|\/)sleep\u000031337\u0000$/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8'));
          } catch {
            return false;
          }
        });
    // The probe sees a running container, so it can tell when one is left.
    createPod(core, {
      metadata: { name: 'witness', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        containers: [{ name: 'c', image: 'busybox', command: ['sleep', '31337'] }],
      },
    });
    await until('witness process', () => marker().length === 1);
    core.store.delete(podsDef(core), 'default', 'witness', { gracePeriodSeconds: 0 });
    const delays = [0, 1, 5, 10, 20, 40, 80, 150];
    await Promise.all(
      delays.map(async (ms, i) => {
        createPod(core, {
          metadata: { name: `race-${i}`, namespace: 'default' },
          spec: {
            nodeName: 'ubuntu02',
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'c', image: 'busybox', command: ['sleep', '31337'] }],
          },
        });
        if (ms) await new Promise((r) => setTimeout(r, ms));
        core.store.delete(podsDef(core), 'default', `race-${i}`);
      }),
    );
    await until('all pods gone', () => delays.every((_, i) => !getPod(core, `race-${i}`)), 15_000);
    await until('no container process left', () => marker().length === 0, 5000);
  });
});
