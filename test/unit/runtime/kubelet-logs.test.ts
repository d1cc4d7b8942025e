import { afterEach, describe, expect, it } from 'vitest';
import type { ControlPlaneCore } from '../../../labs/controlplane/types.ts';
import { KubeletError } from '../../../labs/runtime/kubelet.ts';
import { containerStatus, createPod, getPod, makeCore, TestNode, until } from './harness.ts';

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

const ref = (name: string) => ({ namespace: 'default', name });

describe('container logs through the kubelet', () => {
  it('shows the current and the previous instance of a restarted container', async () => {
    const core = await startNode();
    createPod(core, {
      metadata: { name: 'again', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', 'echo "instance $RANDOM$RANDOM"; sleep 0.3; exit 1'],
          },
        ],
      },
    });
    const kubelet = node!.kubelet;
    const first = await until('first instance output', () => {
      const text = kubelet.containerLog(ref('again'), 'c', false).read({});
      return text.startsWith('instance ') && text;
    });
    await until('running again', () => {
      const cs = containerStatus(getPod(core, 'again'), 'c');
      return cs?.restartCount >= 1 && cs.state.running;
    });
    const previous = kubelet.containerLog(ref('again'), 'c', true).read({});
    expect(previous).toBe(first);
    const current = await until('second instance output', () =>
      kubelet.containerLog(ref('again'), 'c', false).read({}),
    );
    expect(current).toMatch(/^instance \d+\n$/);
    expect(current).not.toBe(first);
  });

  it('answers with the kubelet words while a container cannot have logs', async () => {
    const core = await startNode();
    createPod(core, {
      metadata: { name: 'pulling', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'Never', command: ['true'] }],
      },
    });
    createPod(core, {
      metadata: { name: 'fresh', namespace: 'default' },
      spec: { nodeName: 'ubuntu02', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '60'] }] },
    });
    await until(
      'never pull',
      () => containerStatus(getPod(core, 'pulling'), 'c')?.state?.waiting?.reason === 'ErrImageNeverPull',
    );
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e instanceof KubeletError ? e.message : String(e);
      }
      return 'no error';
    };
    expect(err(() => node!.kubelet.containerLog(ref('pulling'), 'c', false))).toBe(
      'container "c" in pod "pulling" is waiting to start: ErrImageNeverPull',
    );
    await until('running', () => containerStatus(getPod(core, 'fresh'), 'c')?.state?.running);
    expect(err(() => node!.kubelet.containerLog(ref('fresh'), 'c', true))).toBe(
      'previous terminated container "c" in pod "fresh" not found',
    );
  });

  it('follows a container until it exits', async () => {
    const core = await startNode();
    createPod(core, {
      metadata: { name: 'count', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        restartPolicy: 'Never',
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', 'for i in 1 2 3 4; do echo "tick $i"; sleep 0.15; done'],
          },
        ],
      },
    });
    await until('running', () => containerStatus(getPod(core, 'count'), 'c')?.state?.running);
    const got: string[] = [];
    await node!.kubelet.containerLog(ref('count'), 'c', false).follow({}, (t) => got.push(t));
    expect(got.join('')).toBe('tick 1\ntick 2\ntick 3\ntick 4\n');
    expect(got.length).toBeGreaterThan(1);
  });

  it('logs an Apache start-up for httpd and an access line per HTTP probe', async () => {
    const core = await startNode();
    createPod(core, {
      metadata: { name: 'httpd', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        containers: [
          {
            name: 'httpd',
            image: 'httpd',
            readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 1 },
          },
        ],
      },
    });
    await until('ready', () => containerStatus(getPod(core, 'httpd'), 'httpd')?.ready);
    const log = node!.kubelet.containerLog(ref('httpd'), 'httpd', false).read({});
    const ip = getPod(core, 'httpd')!.status.podIP;
    expect(log).toContain(
      `AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using ${ip}.`,
    );
    expect(log).toMatch(
      /\[mpm_event:notice\] \[pid 1:tid \d+\] AH00489: Apache\/2\.4\.\d+ \(Unix\) configured -- resuming normal operations/,
    );
    expect(log).toMatch(
      /10\.244\.1\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/ HTTP\/1\.1" 200 45\n/,
    );
  });
});
