import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startCluster, type TestCluster } from './harness.ts';

let c: TestCluster;

beforeAll(async () => {
  c = await startCluster('write');
});

afterAll(async () => {
  await c?.stop();
});

function file(name: string, text: string): string {
  const p = join(c.dir, name);
  writeFileSync(p, text);
  return p;
}

const httpdV1 = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: httpd
spec:
  replicas: 3
  selector:
    matchLabels:
      run: httpd
  template:
    metadata:
      labels:
        run: httpd
    spec:
      containers:
      - name: httpd
        image: httpd
        env:
        - name: MODE
          value: one
        - name: EXTRA
          value: gone-later
        ports:
        - containerPort: 80
`;

const httpdV2 = httpdV1
  .replace('        - name: EXTRA\n          value: gone-later\n', '')
  .replace('value: one', 'value: two')
  .replace('        - containerPort: 80\n', '        - containerPort: 8080\n          name: alt\n')
  .replace(
    '      containers:\n',
    '      containers:\n      - name: sidecar\n        image: busybox\n        command: ["sleep", "3600"]\n',
  );

describe('kubectl writes to a lab as to a real cluster', () => {
  it('creates deployments, services, configmaps and namespaces from the command line', async () => {
    expect((await c.kubectl(['create', 'namespace', 'team-a'])).stdout).toMatch(/namespace\/team-a created/);
    expect(
      (await c.kubectl(['create', 'configmap', 'cfg', '--from-literal=k=v', '-n', 'team-a'])).stdout,
    ).toMatch(/configmap\/cfg created/);
    expect(
      (
        await c.kubectl([
          'create',
          'deployment',
          'web',
          '--image=httpd',
          '--replicas=2',
          '--port=80',
          '-n',
          'team-a',
        ])
      ).stdout,
    ).toMatch(/deployment.apps\/web created/);
    expect(
      (await c.kubectl(['create', 'service', 'clusterip', 'web2', '--tcp=80:8080', '-n', 'team-a'])).stdout,
    ).toMatch(/service\/web2 created/);
    expect(
      (await c.kubectl(['expose', 'deployment', 'web', '--port=8080', '--target-port=80', '-n', 'team-a']))
        .stdout,
    ).toMatch(/service\/web exposed/);
    const svc = await c.kubectl([
      'get',
      'svc',
      'web',
      '-n',
      'team-a',
      '-o',
      'jsonpath={.spec.selector.app} {.spec.ports[0].targetPort}',
    ]);
    expect(svc.stdout).toBe('web 80');
    const cm = await c.kubectl(['get', 'cm', 'cfg', '-n', 'team-a', '-o', 'jsonpath={.data.k}']);
    expect(cm.stdout).toBe('v');
  });

  it('applies a manifest, then applies changes to containers, env and ports', async () => {
    const p = file('httpd.yaml', httpdV1);
    const first = await c.kubectl(['apply', '-f', p]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/deployment.apps\/httpd created/);
    writeFileSync(p, httpdV2);
    const second = await c.kubectl(['apply', '-f', p]);
    expect(second.stderr).toBe('');
    expect(second.stdout).toMatch(/deployment.apps\/httpd configured/);
    const spec = JSON.parse((await c.kubectl(['get', 'deploy', 'httpd', '-o', 'json'])).stdout).spec.template
      .spec;
    expect(spec.containers.map((x: { name: string }) => x.name)).toEqual(['sidecar', 'httpd']);
    const httpd = spec.containers[1];
    expect(httpd.env).toEqual([{ name: 'MODE', value: 'two' }]);
    expect(httpd.ports).toEqual([{ containerPort: 8080, name: 'alt', protocol: 'TCP' }]);
    const unchanged = await c.kubectl(['apply', '-f', p]);
    expect(unchanged.stdout).toMatch(/deployment.apps\/httpd unchanged/);
  });

  it('applies a multi-document manifest shaped like kube-flannel.yml, twice', async () => {
    const manifest = readFileSync(new URL('../../../labs/addons/kube-flannel.yml', import.meta.url), 'utf8');
    const p = file('kube-flannel.yml', manifest);
    const r = await c.kubectl(['apply', '-f', p]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/namespace\/kube-flannel created/);
    expect(r.stdout).toMatch(/clusterrole.rbac.authorization.k8s.io\/flannel created/);
    expect(r.stdout).toMatch(/configmap\/kube-flannel-cfg created/);
    expect(r.stdout).toMatch(/daemonset.apps\/kube-flannel-ds created/);
    const again = await c.kubectl(['apply', '-f', p]);
    expect(again.stdout).toMatch(/daemonset.apps\/kube-flannel-ds unchanged/);
    await eventually(async () => {
      const ds = await c.kubectl([
        'get',
        'ds',
        '-n',
        'kube-flannel',
        'kube-flannel-ds',
        '-o',
        'jsonpath={.status.desiredNumberScheduled}',
      ]);
      return ds.stdout === '3';
    }, 'flannel on every node (it tolerates the control-plane taint)');
  });

  it('edits through KUBE_EDITOR', async () => {
    await c.kubectl(['create', 'configmap', 'edit-me', '--from-literal=mode=old']);
    const editor = file('editor.sh', '#!/bin/sh\nsed -i "s/mode: old/mode: new/" "$1"\n');
    chmodSync(editor, 0o755);
    const r = await c.kubectl(['edit', 'configmap', 'edit-me'], { env: { KUBE_EDITOR: editor } });
    expect(r.stdout).toMatch(/configmap\/edit-me edited/);
    expect((await c.kubectl(['get', 'cm', 'edit-me', '-o', 'jsonpath={.data.mode}'])).stdout).toBe('new');
  });

  it('patches with strategic merge, merge and JSON patches', async () => {
    await c.kubectl(['create', 'deployment', 'patchy', '--image=busybox', '--', 'sleep', '3600']);
    const sm = await c.kubectl([
      'patch',
      'deploy',
      'patchy',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"busybox","env":[{"name":"A","value":"1"}]}]}}}}',
    ]);
    expect(sm.stdout).toMatch(/deployment.apps\/patchy patched/);
    const merge = await c.kubectl([
      'patch',
      'deploy',
      'patchy',
      '--type=merge',
      '-p',
      '{"metadata":{"labels":{"tier":"backend"}}}',
    ]);
    expect(merge.stdout).toMatch(/patched/);
    const json = await c.kubectl([
      'patch',
      'deploy',
      'patchy',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/replicas","value":2}]',
    ]);
    expect(json.stdout).toMatch(/patched/);
    const d = JSON.parse((await c.kubectl(['get', 'deploy', 'patchy', '-o', 'json'])).stdout);
    expect(d.spec.template.spec.containers[0].env).toEqual([{ name: 'A', value: '1' }]);
    expect(d.spec.template.spec.containers[0].command).toEqual(['sleep', '3600']);
    expect(d.metadata.labels.tier).toBe('backend');
    expect(d.spec.replicas).toBe(2);
  });

  it('labels, annotates and scales', async () => {
    expect((await c.kubectl(['label', 'deploy', 'patchy', 'team=blue'])).stdout).toMatch(/labeled/);
    expect((await c.kubectl(['annotate', 'deploy', 'patchy', 'note=hello'])).stdout).toMatch(/annotated/);
    expect((await c.kubectl(['scale', 'deploy', 'patchy', '--replicas=3'])).stdout).toMatch(/scaled/);
    await eventually(
      async () =>
        (await c.kubectl(['get', 'deploy', 'patchy', '-o', 'jsonpath={.status.readyReplicas}'])).stdout ===
        '3',
      'three ready patchy replicas',
      30_000,
    );
    const d = JSON.parse((await c.kubectl(['get', 'deploy', 'patchy', '-o', 'json'])).stdout);
    expect(d.metadata.labels.team).toBe('blue');
    expect(d.metadata.annotations.note).toBe('hello');
  });

  it('restarts, waits for and undoes a rollout', async () => {
    await c.kubectl(['create', 'deployment', 'roll', '--image=httpd:2.4', '--replicas=2']);
    const status = await c.kubectl(['rollout', 'status', 'deploy/roll', '--timeout=30s'], {
      timeoutMs: 40_000,
    });
    expect(status.stdout).toMatch(/deployment "roll" successfully rolled out/);
    expect((await c.kubectl(['rollout', 'restart', 'deploy/roll'])).stdout).toMatch(
      /deployment.apps\/roll restarted/,
    );
    await c.kubectl(['rollout', 'status', 'deploy/roll', '--timeout=30s'], { timeoutMs: 40_000 });
    await c.kubectl(['set', 'image', 'deploy/roll', 'httpd=httpd:2.4.62']);
    await c.kubectl(['rollout', 'status', 'deploy/roll', '--timeout=30s'], { timeoutMs: 40_000 });
    const history = await c.kubectl(['rollout', 'history', 'deploy/roll']);
    expect(history.stdout).toMatch(/^3\s/m);
    const undo = await c.kubectl(['rollout', 'undo', 'deploy/roll']);
    expect(undo.stdout).toMatch(/deployment.apps\/roll rolled back/);
    await c.kubectl(['rollout', 'status', 'deploy/roll', '--timeout=30s'], { timeoutMs: 40_000 });
    const image = await c.kubectl([
      'get',
      'deploy',
      'roll',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    ]);
    expect(image.stdout).toBe('httpd:2.4');
  });

  it('replaces with --force: delete, wait for it to go, create again', async () => {
    const p = file(
      'cm.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: forced\ndata:\n  a: "1"\n',
    );
    await c.kubectl(['apply', '-f', p]);
    const uid = (await c.kubectl(['get', 'cm', 'forced', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    writeFileSync(p, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: forced\ndata:\n  a: "2"\n');
    const r = await c.kubectl(['replace', '--force', '-f', p]);
    expect(r.stdout).toMatch(/configmap "forced" deleted/);
    expect(r.stdout).toMatch(/configmap\/forced replaced/);
    const after = JSON.parse((await c.kubectl(['get', 'cm', 'forced', '-o', 'json'])).stdout);
    expect(after.metadata.uid).not.toBe(uid);
    expect(after.data.a).toBe('2');
  });

  it('deletes and waits until the object is gone', async () => {
    await c.kubectl(['create', 'deployment', 'doomed', '--image=busybox', '--', 'sleep', '3600']);
    await eventually(
      async () => (await c.kubectl(['get', 'pods', '-l', 'app=doomed', '-o', 'name'])).stdout.trim() !== '',
      'a doomed pod',
    );
    const r = await c.kubectl(['delete', 'deploy', 'doomed']);
    expect(r.stdout).toMatch(/deployment.apps "doomed" deleted/);
    const pods = await c.kubectl(['get', 'pods', '-l', 'app=doomed', '-o', 'name']);
    const pod = pods.stdout.trim().split('\n')[0];
    if (pod) {
      const dp = await c.kubectl(['delete', pod, '--grace-period=1'], { timeoutMs: 30_000 });
      expect(dp.stdout).toMatch(/deleted/);
      expect((await c.kubectl(['get', pod])).stderr).toMatch(/NotFound/);
    }
    const ns = await c.kubectl(['delete', 'namespace', 'team-a'], { timeoutMs: 40_000 });
    expect(ns.stdout).toMatch(/namespace "team-a" deleted/);
    expect((await c.kubectl(['get', 'ns', 'team-a'])).stderr).toMatch(/namespaces "team-a" not found/);
  });
});
