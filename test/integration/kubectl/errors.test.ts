import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './harness.ts';

let c: TestCluster;
let port: number;

beforeAll(async () => {
  c = await startCluster('errors');
  port = Number(
    new URL(/server: (\S+)/.exec((await import('node:fs')).readFileSync(c.kubeconfig, 'utf8'))![1]).port,
  );
});

afterAll(async () => {
  await c?.stop();
});

function file(name: string, text: string): string {
  const p = join(c.dir, name);
  writeFileSync(p, text);
  return p;
}

describe('bad input gets the message and exit code a real cluster gives', () => {
  it('malformed YAML', async () => {
    const r = await c.kubectl([
      'apply',
      '-f',
      file('bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: [\n'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error converting YAML to JSON|error parsing/);
  });

  it('unknown kinds', async () => {
    const r = await c.kubectl([
      'apply',
      '-f',
      file('unknown.yaml', 'apiVersion: v1\nkind: Widget\nmetadata:\n  name: w\n'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no matches for kind "Widget" in version "v1"/);
  });

  it('unknown fields, with strict validation', async () => {
    const r = await c.kubectl([
      'apply',
      '-f',
      file('typo.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\ndatta:\n  a: b\n'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown field "datta"/);
  });

  it('invalid values', async () => {
    const svc = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: bad-port\nspec:\n  ports:\n  - port: 0\n';
    const r = await c.kubectl(['apply', '-f', file('svc.yaml', svc)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /The Service "bad-port" is invalid: \n\* spec.ports\[0\].port: Invalid value: 0: must be between 1 and 65535, inclusive\n/,
    );
    const name = await c.kubectl(['create', 'configmap', 'Bad_Name']);
    expect(name.code).toBe(1);
    expect(name.stderr).toMatch(/metadata.name: Invalid value: "Bad_Name"/);
  });

  it('changes to immutable fields', async () => {
    await c.kubectl(['create', 'service', 'clusterip', 'fixed', '--tcp=80:80']);
    const r = await c.kubectl([
      'patch',
      'svc',
      'fixed',
      '--type=merge',
      '-p',
      '{"spec":{"clusterIP":"10.96.99.99","clusterIPs":["10.96.99.99"]}}',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /The Service "fixed" is invalid: .*spec.clusterIPs?\[?0?\]?: .*(field is immutable|may not change once set)/,
    );
    await c.kubectl(['create', 'deployment', 'sel', '--image=busybox', '--', 'sleep', '1']);
    const sel = await c.kubectl([
      'patch',
      'deploy',
      'sel',
      '--type=merge',
      '-p',
      '{"spec":{"selector":{"matchLabels":{"app":"other"}},"template":{"metadata":{"labels":{"app":"other"}}}}}',
    ]);
    expect(sel.code).toBe(1);
    expect(sel.stderr).toMatch(/spec.selector: Invalid value: .*field is immutable/);
  });

  it('name conflicts', async () => {
    await c.kubectl(['create', 'configmap', 'twice']);
    const r = await c.kubectl(['create', 'configmap', 'twice']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: failed to create configmap: configmaps "twice" already exists/);
    const p = file('twice.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\n');
    const fromFile = await c.kubectl(['create', '-f', p]);
    expect(fromFile.code).toBe(1);
    expect(fromFile.stderr).toMatch(
      /Error from server \(AlreadyExists\): error when creating ".*twice.yaml": configmaps "twice" already exists/,
    );
  });

  it('objects that do not exist', async () => {
    const r = await c.kubectl(['get', 'pod', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Error from server \(NotFound\): pods "nope" not found/);
  });

  it('survives thousands of malformed request bodies', async () => {
    const ca = c.cp.tls.caCert;
    const paths = [
      '/api/v1/namespaces/default/configmaps',
      '/apis/apps/v1/namespaces/default/deployments',
      '/api/v1/namespaces/default/services',
      '/api/v1/namespaces',
      '/api/v1/namespaces/default/pods/x',
    ];
    const types = [
      'application/json',
      'application/yaml',
      'application/vnd.kubernetes.protobuf',
      'application/strategic-merge-patch+json',
      'application/merge-patch+json',
      'application/json-patch+json',
      'application/apply-patch+yaml',
      'text/plain',
    ];
    const methods = ['POST', 'PUT', 'PATCH', 'DELETE'];
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const fragments = [
      '{',
      '}',
      '[',
      ']',
      '"kind":',
      '"metadata":',
      '{"name":',
      'null',
      '1e999',
      '"\\u0000"',
      '---',
      'k8s\u0000',
      '\n',
      ': ',
      '- ',
      '"spec":{"ports":[{"port":"x"}]}',
      '{"op":"add","path":"/x"}',
      '&a [*a, *a]',
      '"apiVersion":"v1"',
    ];
    const body = () => {
      if (rand(5) === 0) return Buffer.from(Array.from({ length: rand(200) }, () => rand(256)));
      return Buffer.from(
        Array.from({ length: 1 + rand(12) }, () => fragments[rand(fragments.length)]).join(''),
      );
    };
    const send = (method: string, path: string, type: string, data: Buffer) =>
      new Promise<number>((resolve) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method,
            path,
            ca,
            headers: { 'Content-Type': type, 'Content-Length': data.length },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', () => resolve(-1));
        req.end(data);
      });
    const codes = new Map<number, number>();
    for (let batch = 0; batch < 60; batch++) {
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          send(methods[rand(methods.length)], paths[rand(paths.length)], types[rand(types.length)], body()),
        ),
      );
      for (const code of results) codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect(codes.get(-1) ?? 0).toBe(0);
    expect(codes.get(500) ?? 0).toBe(0);
    const r = await c.kubectl(['get', 'ns', 'default']);
    expect(r.code).toBe(0);
  }, 120_000);
});
