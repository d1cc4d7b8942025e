/**
 * The kubelet driving pods through the netns runtime: a pod waits in ContainerCreating with
 * containerd's FailedCreatePodSandBox event until flannel has written subnet.env, then runs with
 * an address from the node's /24 and turns Ready on an HTTP readiness probe made from the node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlaneCore } from '../../../labs/controlplane/types.ts';
import { Kubelet } from '../../../labs/runtime/kubelet.ts';
import {
  condition,
  containerStatus,
  createPod,
  eventsFor,
  FAST,
  getPod,
  makeCore,
  nodeDescription,
  until,
} from '../../unit/runtime/harness.ts';
import { IT_WORKS, PodLab } from './lab.ts';

describe('kubelet on the netns runtime', () => {
  let pl: PodLab;
  let core: ControlPlaneCore;
  let kubelet: Kubelet;

  beforeAll(async () => {
    pl = await PodLab.create();
    core = makeCore();
    kubelet = new Kubelet(
      core,
      nodeDescription('ubuntu02', '192.168.56.12', '10.244.1.0/24'),
      pl.runtime('ubuntu02'),
      FAST,
    );
    await kubelet.start();
  });

  afterAll(async () => {
    await kubelet?.stop();
    await pl?.dispose();
  });

  it('keeps the pod ContainerCreating until flannel ran, then serves it and marks it Ready', async () => {
    await pl.flannel('ubuntu02', { subnet: false });
    createPod(core, {
      metadata: { name: 'httpd-0', namespace: 'default', labels: { run: 'httpd' } },
      spec: {
        nodeName: 'ubuntu02',
        containers: [
          {
            name: 'httpd',
            image: 'httpd',
            ports: [{ containerPort: 80 }],
            readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 1 },
          },
        ],
      },
    });
    const failed = await until('FailedCreatePodSandBox', () =>
      eventsFor(core, 'httpd-0').find((e) => e.startsWith('FailedCreatePodSandBox')),
    );
    expect(failed).toMatch(
      /^FailedCreatePodSandBox: Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "[0-9a-f]{64}": plugin type="flannel" failed \(add\): loadFlannelSubnetEnv failed: open \/run\/flannel\/subnet\.env: no such file or directory$/,
    );
    const waiting = getPod(core, 'httpd-0');
    expect(waiting?.status?.phase).toBe('Pending');
    expect(waiting?.status?.podIP).toBeUndefined();
    expect(containerStatus(waiting, 'httpd')?.state).toEqual({ waiting: { reason: 'ContainerCreating' } });

    await pl.flannel('ubuntu02');
    const ready = await until(
      'pod Ready',
      () => condition(getPod(core, 'httpd-0'), 'Ready') === 'True' && getPod(core, 'httpd-0'),
    );
    const ip = ready.status?.podIP as string;
    expect(ip).toMatch(/^10\.244\.1\.\d+$/);
    expect(ready.status?.hostIP).toBe('192.168.56.12');
    const r = await pl.onNode('ubuntu02', 'curl', '-s', '--max-time', '2', `http://${ip}/`);
    expect(r.stdout).toBe(IT_WORKS);
  });
});
