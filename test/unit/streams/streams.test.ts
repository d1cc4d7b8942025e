import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeletStreams } from '../../../labs/apiserver/streams/index.ts';
import type { ControlPlaneCore } from '../../../labs/controlplane/types.ts';
import { containerStatus, createPod, getPod, makeCore, TestNode, until } from '../runtime/harness.ts';
import { connect, refusedHandshake, streamServer } from './server.ts';

let node: TestNode | undefined;
let server: Server | undefined;
afterEach(async () => {
  server?.close();
  server?.closeAllConnections();
  await node?.kubelet.stop();
  node = undefined;
  server = undefined;
});

async function setup(): Promise<{ core: ControlPlaneCore; base: string }> {
  const core = makeCore();
  node = new TestNode(core);
  await node.kubelet.start();
  const kubelet: KubeletStreams = node.kubelet;
  const s = await streamServer(core, { ubuntu02: kubelet });
  server = s.server;
  return { core, base: s.url };
}

async function runningPod(
  core: ControlPlaneCore,
  name: string,
  containers: any[],
  extra: Record<string, any> = {},
): Promise<void> {
  createPod(core, {
    metadata: { name, namespace: 'default' },
    spec: { nodeName: 'ubuntu02', containers, ...extra },
  });
  await until(`${name} running`, () =>
    containers.every((c) => containerStatus(getPod(core, name), c.name)?.state?.running),
  );
}

const EXEC = (pod: string) => `/api/v1/namespaces/default/pods/${pod}/exec`;
const ATTACH = (pod: string) => `/api/v1/namespaces/default/pods/${pod}/attach`;
const LOG = (pod: string, q = '') => `/api/v1/namespaces/default/pods/${pod}/log${q}`;
const json = async (r: Response): Promise<any> => r.json();

describe('pods/log', () => {
  it('serves text/plain with tail and timestamps, and Status errors with the real messages', async () => {
    const { core, base } = await setup();
    await runningPod(core, 'talk', [
      { name: 'c', image: 'busybox', command: ['sh', '-c', 'echo one; echo two; echo three; sleep 3600'] },
    ]);
    await until('output', () =>
      node!.kubelet
        .containerLog({ namespace: 'default', name: 'talk' }, 'c', false)
        .read({})
        .includes('three'),
    );
    const all = await fetch(`http://${base}${LOG('talk')}`);
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toBe('text/plain');
    expect(await all.text()).toBe('one\ntwo\nthree\n');
    expect(await (await fetch(`http://${base}${LOG('talk', '?tailLines=1')}`)).text()).toBe('three\n');
    expect(await (await fetch(`http://${base}${LOG('talk', '?limitBytes=5')}`)).text()).toBe('one\nt');
    expect(
      await (await fetch(`http://${base}${LOG('talk', '?timestamps=true&tailLines=1')}`)).text(),
    ).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z three\n$/);

    const previous = await fetch(`http://${base}${LOG('talk', '?previous=true')}`);
    expect(previous.status).toBe(400);
    expect(await json(previous)).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'BadRequest',
      code: 400,
      message: 'previous terminated container "c" in pod "talk" not found',
    });
    const missing = await fetch(`http://${base}${LOG('nope')}`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).message).toBe('pods "nope" not found');
    const bad = await fetch(`http://${base}${LOG('talk', '?tailLines=-2')}`);
    expect(bad.status).toBe(422);
    expect((await json(bad)).message).toBe(
      'PodLogOptions "talk" is invalid: tailLines: Invalid value: -2: must be greater than or equal to 0',
    );
  });

  it('names the choices when a multi-container pod gets no container, and explains a waiting container', async () => {
    const { core, base } = await setup();
    createPod(core, {
      metadata: { name: 'two', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        containers: [
          { name: 'a', image: 'busybox', command: ['sleep', '3600'] },
          { name: 'b', image: 'nginx:1.27', imagePullPolicy: 'Never' },
        ],
      },
    });
    await until(
      'b cannot pull',
      () => containerStatus(getPod(core, 'two'), 'b')?.state?.waiting?.reason === 'ErrImageNeverPull',
    );
    const choose = await fetch(`http://${base}${LOG('two')}`);
    expect(choose.status).toBe(400);
    expect((await json(choose)).message).toBe(
      'a container name must be specified for pod two, choose one of: [a b]',
    );
    const waiting = await fetch(`http://${base}${LOG('two', '?container=b')}`);
    expect(waiting.status).toBe(400);
    expect((await json(waiting)).message).toBe(
      'container "b" in pod "two" is waiting to start: ErrImageNeverPull',
    );
    const invalid = await fetch(`http://${base}${LOG('two', '?container=zz')}`);
    expect((await json(invalid)).message).toBe('container zz is not valid for pod two');
  });

  it('follows with a chunked response that delivers lines as they come and ends when the container exits', async () => {
    const { core, base } = await setup();
    createPod(core, {
      metadata: { name: 'ticker', namespace: 'default' },
      spec: {
        nodeName: 'ubuntu02',
        restartPolicy: 'Never',
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', 'for i in 1 2 3; do echo "tick $i"; sleep 0.3; done'],
          },
        ],
      },
    });
    await until('running', () => containerStatus(getPod(core, 'ticker'), 'c')?.state?.running);
    const res = await fetch(`http://${base}${LOG('ticker', '?follow=true')}`);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    const reader = res.body!.getReader();
    const chunks: { at: number; text: string }[] = [];
    const t0 = Date.now();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push({ at: Date.now() - t0, text: Buffer.from(value).toString() });
    }
    expect(chunks.map((c) => c.text).join('')).toBe('tick 1\ntick 2\ntick 3\n');
    // Lines arrived over time, not all at the end.
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks[0].at).toBeLessThan(chunks.at(-1)!.at - 200);
  });

  it('answers like an unreachable kubelet when the node has none', async () => {
    const { core, base } = await setup();
    core.store.create(core.kind('', 'nodes'), {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'ubuntu03' },
      status: { addresses: [{ type: 'InternalIP', address: '192.168.56.13' }] },
    });
    createPod(core, {
      metadata: { name: 'far', namespace: 'default' },
      spec: { nodeName: 'ubuntu03', containers: [{ name: 'c', image: 'busybox' }] },
    });
    const res = await fetch(`http://${base}${LOG('far')}`);
    expect(res.status).toBe(500);
    expect((await json(res)).message).toBe(
      'Get "https://192.168.56.13:10250/containerLogs/default/far/c": dial tcp 192.168.56.13:10250: connect: connection refused',
    );
  });
});

describe('pods/exec over v5.channel.k8s.io', () => {
  it('streams stdout and stderr and ends with a Success status', async () => {
    const { core, base } = await setup();
    await runningPod(core, 'box', [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }]);
    const c = connect(base, EXEC('box'), {
      command: ['sh', '-c', 'echo out; echo err >&2'],
      stdout: true,
      stderr: true,
    });
    const r = await c.done;
    expect(c.ws.protocol).toBe('v5.channel.k8s.io');
    expect(r).toMatchObject({
      stdout: 'out\n',
      stderr: 'err\n',
      status: { metadata: {}, status: 'Success' },
      closeCode: 1000,
    });
  });

  it('reports a non-zero exit code the way client-go turns into "command terminated with exit code 3"', async () => {
    const { core, base } = await setup();
    await runningPod(core, 'box', [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }]);
    const r = await connect(base, EXEC('box'), {
      command: ['sh', '-c', 'exit 3'],
      stdout: true,
      stderr: true,
    }).done;
    expect(r.status).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: command terminated with exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('feeds stdin and closes it on the v5 CLOSE signal', async () => {
    const { core, base } = await setup();
    await runningPod(core, 'box', [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }]);
    const c = connect(base, EXEC('box'), {
      command: ['sh', '-c', 'tr a-z A-Z'],
      stdin: true,
      stdout: true,
      stderr: true,
    });
    c.stdin('hello\n');
    c.closeStdin();
    const r = await c.done;
    expect(r.stdout).toBe('HELLO\n');
    expect(r.status.status).toBe('Success');
  });

  it('gives -it a real terminal sized by the resize channel', async () => {
    const { core, base } = await setup();
    await runningPod(core, 'box', [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }]);
    const c = connect(base, EXEC('box'), { command: 'sh', stdin: true, stdout: true, tty: true });
    c.resize(91, 17);
    c.stdin('stty size; tty; exit 4\n');
    const r = await c.done;
    expect(r.stdout).toContain('17 91');
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(r.status.details.causes[0].message).toBe('4');
  });

  it('passes on what the kubelet and runtime say after the upgrade', async () => {
    const { core, base } = await setup();
    await runningPod(core, 'box', [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }]);
    const notFound = await connect(base, EXEC('box'), { command: 'bash', stdout: true, stderr: true }).done;
    expect(notFound.status).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 });
    expect(notFound.status.message).toMatch(
      /^Internal error occurred: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "bash": executable file not found in \$PATH: unknown$/,
    );
    createPod(core, {
      metadata: { name: 'stuck', namespace: 'default' },
      spec: { nodeName: 'ubuntu02', containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'Never' }] },
    });
    await until('stuck', () => containerStatus(getPod(core, 'stuck'), 'c')?.state?.waiting);
    const waiting = await connect(base, EXEC('stuck'), { command: 'ls', stdout: true }).done;
    expect(waiting.status.message).toBe(
      'Internal error occurred: unable to upgrade connection: container not found ("c")',
    );
  });

  it('refuses the handshake with a Status for what the apiserver checks first', async () => {
    const { core, base } = await setup();
    await runningPod(core, 'pair', [
      { name: 'a', image: 'busybox', command: ['sleep', '3600'] },
      { name: 'b', image: 'busybox', command: ['sleep', '3600'] },
    ]);
    const r = await refusedHandshake(base, EXEC('pair'), { command: 'ls', stdout: 'true' });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      message: 'a container name must be specified for pod pair, choose one of: [a b]',
    });
    const missing = await refusedHandshake(base, EXEC('ghost'), { command: 'ls', stdout: 'true' });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).message).toBe('pods "ghost" not found');
  });
});

describe('pods/attach', () => {
  it('connects to a tty container, and stdinOnce ends its shell when the client leaves', async () => {
    const { core, base } = await setup();
    await runningPod(core, 'shell', [
      { name: 'c', image: 'busybox', stdin: true, stdinOnce: true, tty: true },
    ]);
    const c = connect(base, ATTACH('shell'), { container: 'c', stdin: true, stdout: true, tty: true });
    await c.opened;
    c.resize(100, 30);
    c.stdin('echo attached-$((6*7))\n');
    await c.waitFor('attached-42');
    c.ws.close();
    await until(
      'container exited',
      () =>
        containerStatus(getPod(core, 'shell'), 'c')?.restartCount >= 1 ||
        containerStatus(getPod(core, 'shell'), 'c')?.state?.terminated,
    );
  });

  it('ends with Success when the attached container exits', async () => {
    const { core, base } = await setup();
    await runningPod(
      core,
      'once',
      [{ name: 'c', image: 'busybox', stdin: true, stdinOnce: true, tty: true }],
      { restartPolicy: 'Never' },
    );
    const c = connect(base, ATTACH('once'), { container: 'c', stdin: true, stdout: true, tty: true });
    await c.opened;
    c.stdin('exit 0\n');
    const r = await c.done;
    expect(r.status).toEqual({ metadata: {}, status: 'Success' });
    await until('Succeeded', () => getPod(core, 'once')?.status?.phase === 'Succeeded');
  });
});
