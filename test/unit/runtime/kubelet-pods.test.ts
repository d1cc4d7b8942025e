import { afterEach, describe, expect, it } from 'vitest';
import type { ControlPlaneCore } from '../../../labs/controlplane/types.ts';
import {
  condition,
  containerStatus,
  createPod,
  eventsFor,
  getPod,
  makeCore,
  TestNode,
  until,
} from './harness.ts';

let node: TestNode | undefined;
afterEach(async () => {
  await node?.kubelet.stop();
  node = undefined;
});

async function startNode(): Promise<{ core: ControlPlaneCore; node: TestNode }> {
  const core = makeCore();
  node = new TestNode(core);
  await node.kubelet.start();
  return { core, node };
}

describe('kubelet on the process runtime', () => {
  it('takes a pod from Pending through ContainerCreating to Running and Ready', async () => {
    const { core } = await startNode();
    const seen: string[] = [];
    core.store.onChange((c) => {
      if (c.def.info.resource !== 'pods') return;
      const cs = c.object.status?.containerStatuses?.[0];
      const state = cs
        ? Object.keys(cs.state)[0] + (cs.state.waiting ? `:${cs.state.waiting.reason}` : '')
        : 'none';
      const label = `${c.object.status?.phase}/${state}`;
      if (seen.at(-1) !== label) seen.push(label);
    });
    createPod(core, {
      metadata: { name: 'web', namespace: 'default', labels: { run: 'httpd' } },
      spec: {
        nodeName: 'ubuntu02',
        containers: [{ name: 'web', image: 'httpd', ports: [{ containerPort: 80 }] }],
      },
    });
    const pod = await until(
      'Ready',
      () => condition(getPod(core, 'web'), 'Ready') === 'True' && getPod(core, 'web'),
    );
    expect(seen).toEqual(['Pending/none', 'Pending/waiting:ContainerCreating', 'Running/running']);
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.podIP).toMatch(/^10\.244\.1\.\d+$/);
    expect(pod.status.hostIP).toBe('192.168.56.12');
    expect(pod.status.conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual([
      'PodReadyToStartContainers=True',
      'Initialized=True',
      'Ready=True',
      'ContainersReady=True',
      'PodScheduled=True',
    ]);
    const cs = containerStatus(pod, 'web');
    expect(cs.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(cs.image).toBe('docker.io/library/httpd:latest');
    expect(cs.imageID).toMatch(/^docker\.io\/library\/httpd@sha256:[0-9a-f]{64}$/);
    expect(cs).toMatchObject({ ready: true, started: true, restartCount: 0, lastState: {} });
    expect(cs.state.running.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const events = eventsFor(core, 'web');
    expect(events[0]).toBe('Pulling: Pulling image "httpd"');
    expect(events[1]).toMatch(
      /^Pulled: Successfully pulled image "httpd" in \d+m?s \(\d+m?s including waiting\)\. Image size: 58224519 bytes\.$/,
    );
    expect(events.slice(2)).toEqual(['Created: Created container: web', 'Started: Started container web']);
    const ev = core.store.list(core.kind('', 'events'), 'default').find((e) => e.reason === 'Started')!;
    expect(ev.source).toEqual({ component: 'kubelet', host: 'ubuntu02' });
    expect(ev.involvedObject.fieldPath).toBe('spec.containers{web}');
  });

  it('keeps a pod whose readiness probe fails Running but not Ready, with Unhealthy events', async () => {
    const { core } = await startNode();
    createPod(core, {
      metadata: { name: 'probe', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['sleep', '3600'],
            readinessProbe: {
              exec: { command: ['sh', '-c', 'echo not yet; exit 1'] },
              periodSeconds: 1,
              failureThreshold: 1,
            },
          },
        ],
      },
    });
    await until('two Unhealthy events', () => {
      const ev = core.store.list(core.kind('', 'events'), 'default').find((e) => e.reason === 'Unhealthy');
      return ev && ev.count >= 2;
    });
    const pod = getPod(core, 'probe')!;
    expect(pod.status.phase).toBe('Running');
    expect(containerStatus(pod, 'app')).toMatchObject({ ready: false, started: true });
    const ready = pod.status.conditions.find((c: any) => c.type === 'Ready');
    expect(ready).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [app]',
    });
    expect(eventsFor(core, 'probe')).toContain('Unhealthy: Readiness probe failed: not yet\n');
  });

  it('reports an httpGet readiness probe to a port nothing serves with the dial error', async () => {
    const { core } = await startNode();
    createPod(core, {
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        containers: [
          {
            name: 'web',
            image: 'httpd',
            readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 },
          },
        ],
      },
    });
    const ip = await until('pod IP', () => getPod(core, 'web')?.status?.podIP);
    await until('Unhealthy', () => eventsFor(core, 'web').some((e) => e.startsWith('Unhealthy')));
    expect(eventsFor(core, 'web')).toContain(
      `Unhealthy: Readiness probe failed: Get "http://${ip}:8080/healthz": dial tcp ${ip}:8080: connect: connection refused`,
    );
    expect(condition(getPod(core, 'web'), 'Ready')).toBe('False');
  });

  it('puts a container that exits 1 under restartPolicy Always into CrashLoopBackOff with a growing restart count', async () => {
    const { core } = await startNode();
    const delays = new Set<string>();
    core.store.onChange((c) => {
      const m = c.object.status?.containerStatuses?.[0]?.state?.waiting?.message;
      if (c.object.metadata.name === 'crash' && m) delays.add(m.split(' ')[1]);
    });
    createPod(core, {
      metadata: { name: 'crash', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo boom; exit 1'] }],
      },
    });
    const waiting = await until('CrashLoopBackOff', () => {
      const cs = containerStatus(getPod(core, 'crash'), 'c');
      return cs?.state?.waiting?.reason === 'CrashLoopBackOff' && cs;
    });
    expect(waiting.restartCount).toBeGreaterThanOrEqual(1);
    expect(waiting.state.waiting.message).toMatch(
      /^back-off \d+ms restarting failed container=c pod=crash_default\([0-9a-f-]{36}\)$/,
    );
    expect(waiting.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(waiting.lastState.terminated.containerID).toBe(waiting.containerID);
    expect(getPod(core, 'crash')!.status.phase).toBe('Running');
    const later = await until('more restarts', () => {
      const cs = containerStatus(getPod(core, 'crash'), 'c');
      return cs?.restartCount >= waiting.restartCount + 2 && cs;
    });
    expect(later.restartCount).toBeGreaterThan(waiting.restartCount);
    const backoffs = core.store.list(core.kind('', 'events'), 'default').find((e) => e.reason === 'BackOff')!;
    expect(backoffs.type).toBe('Warning');
    expect(backoffs.message).toMatch(/^Back-off restarting failed container c in pod crash_default\(/);
    // The back-off doubles from 400ms up to its 1.6s cap (10s to 5m on a real node).
    await until('the capped back-off', () => delays.has('1.6s'));
    expect([...delays]).toEqual(['400ms', '800ms', '1.6s']);
  });

  it('completes a restartPolicy Never pod as Succeeded or Failed by exit code', async () => {
    const { core } = await startNode();
    createPod(core, {
      metadata: { name: 'ok', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'busybox', command: ['true'] }],
      },
    });
    createPod(core, {
      metadata: { name: 'bad', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'exit 3'] }],
      },
    });
    const ok = await until(
      'Succeeded',
      () => getPod(core, 'ok')?.status?.phase === 'Succeeded' && getPod(core, 'ok'),
    );
    const bad = await until(
      'Failed',
      () => getPod(core, 'bad')?.status?.phase === 'Failed' && getPod(core, 'bad'),
    );
    expect(containerStatus(ok, 'c').state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(containerStatus(bad, 'c').state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(condition(ok, 'Ready')).toBe('False');
    expect(ok.status.conditions.find((c: any) => c.type === 'Ready').reason).toBe('PodCompleted');
    expect(condition(ok, 'PodReadyToStartContainers')).toBe('False');
  });

  it('restarts a container whose liveness probe fails, with the Killing event', async () => {
    const { core } = await startNode();
    createPod(core, {
      metadata: { name: 'live', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'],
            livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 2 },
          },
        ],
      },
    });
    const restarted = await until(
      'restart',
      () => {
        const cs = containerStatus(getPod(core, 'live'), 'app');
        return cs?.restartCount >= 1 && cs;
      },
      15_000,
    );
    expect(restarted.lastState.terminated).toBeDefined();
    const events = eventsFor(core, 'live');
    expect(events).toContain('Unhealthy: Liveness probe failed: ');
    expect(events).toContain('Killing: Container app failed liveness probe, will be restarted');
  });

  it('runs init containers in order before the app container', async () => {
    const { core } = await startNode();
    createPod(core, {
      metadata: { name: 'init', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        initContainers: [
          { name: 'first', image: 'busybox', command: ['sh', '-c', 'echo one'] },
          { name: 'second', image: 'busybox', command: ['sh', '-c', 'echo two'] },
        ],
        containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }],
      },
    });
    const pod = await until(
      'Running',
      () => getPod(core, 'init')?.status?.phase === 'Running' && getPod(core, 'init'),
    );
    expect(pod.status.initContainerStatuses.map((s: any) => [s.name, s.state.terminated?.reason])).toEqual([
      ['first', 'Completed'],
      ['second', 'Completed'],
    ]);
    expect(condition(pod, 'Initialized')).toBe('True');
    const started = eventsFor(core, 'init').filter((e) => e.startsWith('Started'));
    expect(started).toEqual([
      'Started: Started container first',
      'Started: Started container second',
      'Started: Started container main',
    ]);
  });

  it('reports an image that does not exist as ErrImagePull, then ImagePullBackOff', async () => {
    const { core } = await startNode();
    createPod(core, {
      metadata: { name: 'nope', namespace: 'default' },
      spec: { nodeName: 'ubuntu02', containers: [{ name: 'c', image: 'nosuchimage:1.0' }] },
    });
    const cs = await until('ImagePullBackOff', () => {
      const s = containerStatus(getPod(core, 'nope'), 'c');
      return s?.state?.waiting?.reason === 'ImagePullBackOff' && s;
    });
    expect(cs.state.waiting.message).toBe('Back-off pulling image "nosuchimage:1.0"');
    const events = eventsFor(core, 'nope');
    expect(events).toContain(
      'Failed: Failed to pull image "nosuchimage:1.0": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/nosuchimage:1.0": failed to resolve reference "docker.io/library/nosuchimage:1.0": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
    );
    expect(events).toContain('Failed: Error: ErrImagePull');
    expect(events).toContain('BackOff: Back-off pulling image "nosuchimage:1.0"');
    expect(events).toContain('Failed: Error: ImagePullBackOff');
    expect(getPod(core, 'nope')!.status.phase).toBe('Pending');
  });

  it('gives containers the Service link variables and resolves fieldRef and configMap env', async () => {
    const { core } = await startNode();
    core.store.create(core.kind('', 'services'), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'httpd-svc', namespace: 'default' },
      spec: { selector: { run: 'httpd' }, ports: [{ port: 8080, targetPort: 80 }] },
    });
    core.store.create(core.kind('', 'configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'default' },
      data: { greeting: 'hello' },
    });
    createPod(core, {
      metadata: { name: 'env', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        restartPolicy: 'Never',
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: [
              'sh',
              '-c',
              'echo "$HTTPD_SVC_SERVICE_HOST:$HTTPD_SVC_SERVICE_PORT $MY_NODE $GREETING $(MSG)"',
            ],
            env: [
              { name: 'MY_NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
              { name: 'MSG', value: 'from-$(GREETING)' },
            ],
          },
        ],
      },
    });
    await until('Succeeded', () => getPod(core, 'env')?.status?.phase === 'Succeeded');
    const svc = core.store.get(core.kind('', 'services'), 'default', 'httpd-svc');
    const log = node!.kubelet.containerLog({ namespace: 'default', name: 'env' }, 'c', false).read({});
    expect(log).toBe(`${svc.spec.clusterIP}:8080 ubuntu02 hello from-hello\n`);
  });

  it('waits in CreateContainerConfigError while a referenced ConfigMap is missing', async () => {
    const { core } = await startNode();
    createPod(core, {
      metadata: { name: 'cfg', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sleep', '3600'],
            envFrom: [{ configMapRef: { name: 'missing' } }],
          },
        ],
      },
    });
    const cs = await until('config error', () => {
      const s = containerStatus(getPod(core, 'cfg'), 'c');
      return s?.state?.waiting?.reason === 'CreateContainerConfigError' && s;
    });
    expect(cs.state.waiting.message).toBe('configmap "missing" not found');
    core.store.create(core.kind('', 'configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'missing', namespace: 'default' },
      data: {},
    });
    await until('running', () => containerStatus(getPod(core, 'cfg'), 'c')?.state?.running);
  });
});

describe('sidecar containers', () => {
  it('starts a restartable init container and keeps it running beside the app', async () => {
    const { core } = await startNode();
    createPod(core, {
      metadata: { name: 'side', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        initContainers: [
          { name: 'proxy', image: 'busybox', restartPolicy: 'Always', command: ['sleep', '3600'] },
        ],
        containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
      },
    });
    const pod = await until(
      'Ready',
      () => condition(getPod(core, 'side'), 'Ready') === 'True' && getPod(core, 'side'),
    );
    expect(pod.status.initContainerStatuses[0]).toMatchObject({ name: 'proxy', ready: true, started: true });
    expect(pod.status.initContainerStatuses[0].state.running).toBeDefined();
    expect(containerStatus(pod, 'app').state.running).toBeDefined();
  });
});
