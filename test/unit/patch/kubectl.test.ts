/**
 * What the real kubectl 1.32 sends when it patches, and what our engines make of it. Each test runs
 * /usr/bin/kubectl against a throwaway server holding one object (see kubectl-server.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  computeStrategicMergePatch,
  type JsonObject,
  recordUpdate,
} from '../../../labs/apiserver/patch/index.ts';
import { k8sSchema } from '../../../labs/apiserver/schema/index.ts';
import { FakeApiServer } from './kubectl-server.ts';

const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';

function deployment(): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: 'u-1',
      resourceVersion: '1',
      labels: { app: 'web', tier: 'fe' },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.25',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              ports: [{ containerPort: 80, protocol: 'TCP' }],
            },
          ],
        },
      },
    },
  };
}

/** The manifest a user applies after dropping env B and moving the port to 8080. */
const CHANGED_MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        env:
        - {name: A, value: "1"}
        ports:
        - containerPort: 8080
`;

/** The annotation kubectl apply leaves when the previous manifest had env B and port 80. */
function lastApplied(): string {
  const o = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { annotations: {}, name: 'web', namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              image: 'nginx:1.25',
              name: 'web',
              ports: [{ containerPort: 80 }],
            },
          ],
        },
      },
    },
  };
  return `${JSON.stringify(o)}\n`;
}

function container(o: JsonObject): JsonObject {
  return ((o.spec as any).template.spec.containers as JsonObject[])[0];
}

let server: FakeApiServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function serve(object: JsonObject): Promise<FakeApiServer> {
  server = new FakeApiServer(object, k8sSchema);
  await server.start();
  return server;
}

describe('kubectl apply (client-side) against our strategic merge patch', () => {
  it('removes a dropped env var and replaces a changed port, as kubectl asks with $setElementOrder and $patch: delete', async () => {
    const live = deployment();
    (live.metadata as any).annotations = {
      'kubectl.kubernetes.io/last-applied-configuration': lastApplied(),
    };
    const s = await serve(live);

    const r = await s.kubectl(['apply', '--validate=false', '-f', s.file('web.yaml', CHANGED_MANIFEST)]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('deployment.apps/web configured\n');

    expect(s.patches).toHaveLength(1);
    const sent = s.patches[0];
    expect(sent.contentType).toBe('application/strategic-merge-patch+json');
    expect(sent.query.get('fieldManager')).toBe('kubectl-client-side-apply');
    const patch = JSON.parse(sent.body);
    expect(patch.spec).toEqual({
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'web' }],
          containers: [
            {
              '$setElementOrder/env': [{ name: 'A' }],
              '$setElementOrder/ports': [{ containerPort: 8080 }],
              env: [{ $patch: 'delete', name: 'B' }],
              name: 'web',
              ports: [{ containerPort: 8080 }, { $patch: 'delete', containerPort: 80 }],
            },
          ],
        },
      },
    });

    const c = container(s.object);
    expect(c.env).toEqual([{ name: 'A', value: '1' }]);
    expect(c.ports).toEqual([{ containerPort: 8080 }]);
    expect(c.image).toBe('nginx:1.25');
    expect((s.object.metadata as any).labels).toEqual({ app: 'web', tier: 'fe' });
    expect(
      JSON.parse((s.object.metadata as any).annotations['kubectl.kubernetes.io/last-applied-configuration']),
    ).toEqual(expect.objectContaining({ kind: 'Deployment' }));
  });

  it('on the first apply after a create, patches without deletions: live-only items stay after the applied ones', async () => {
    const s = await serve(deployment());

    const r = await s.kubectl(['apply', '--validate=false', '-f', s.file('web.yaml', CHANGED_MANIFEST)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('is missing the kubectl.kubernetes.io/last-applied-configuration annotation');

    const patch = JSON.parse(s.patches[0].body);
    const sentContainer = patch.spec.template.spec.containers[0];
    expect(sentContainer.env).toBeUndefined();
    expect(sentContainer['$setElementOrder/env']).toEqual([{ name: 'A' }]);
    expect(sentContainer.ports).toEqual([{ containerPort: 8080 }]);

    const c = container(s.object);
    expect(c.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    expect(c.ports).toEqual([{ containerPort: 8080 }, { containerPort: 80, protocol: 'TCP' }]);
    expect((s.object.metadata as any).annotations).toHaveProperty([
      'kubectl.kubernetes.io/last-applied-configuration',
    ]);
  });
});

describe('other kubectl writes', () => {
  it('rollout restart stamps the pod template with restartedAt and touches nothing else', async () => {
    const s = await serve(deployment());
    const r = await s.kubectl(['rollout', 'restart', 'deployment/web']);
    expect(r.stdout).toBe('deployment.apps/web restarted\n');

    const sent = s.patches[0];
    expect(sent.contentType).toBe('application/strategic-merge-patch+json');
    expect(sent.query.get('fieldManager')).toBe('kubectl-rollout');
    const stamp = JSON.parse(sent.body).spec.template.metadata.annotations[
      'kubectl.kubernetes.io/restartedAt'
    ];
    expect(stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const before = deployment();
    (before.spec as any).template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': stamp };
    const { managedFields, resourceVersion, ...meta } = s.object.metadata as any;
    expect({ ...s.object, metadata: { ...meta, resourceVersion: '1' } }).toEqual(before);
    // The object was never tracked, so the server keeps it untracked.
    expect(managedFields).toBeUndefined();
  });

  it('edit sends the two-way diff of the edited YAML, and computeStrategicMergePatch produces the same patch', async () => {
    const s = await serve(deployment());
    const editor = s.file(
      'editor.mjs',
      `import fs from 'node:fs';
const f = process.argv[2];
let t = fs.readFileSync(f, 'utf8');
t = t.replace('nginx:1.25', 'nginx:1.27').replace('    tier: fe\\n', '').replace('        - name: B\\n          value: "2"\\n', '');
fs.writeFileSync(f, t);
`,
    );
    const r = await s.kubectl(['edit', '--validate=false', 'deployment/web'], {
      env: { KUBE_EDITOR: `${process.execPath} ${editor}` },
    });
    expect(r.stdout).toBe('deployment.apps/web edited\n');

    const sent = JSON.parse(s.patches[0].body);
    expect(sent).toEqual({
      metadata: { labels: { tier: null } },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'web' }],
            containers: [
              {
                '$setElementOrder/env': [{ name: 'A' }],
                env: [{ $patch: 'delete', name: 'B' }],
                image: 'nginx:1.27',
                name: 'web',
              },
            ],
          },
        },
      },
    });

    const edited = deployment();
    delete (edited.metadata as any).labels.tier;
    container(edited).image = 'nginx:1.27';
    container(edited).env = [{ name: 'A', value: '1' }];
    expect(computeStrategicMergePatch(deployment(), edited, DEPLOYMENT, k8sSchema)).toEqual(sent);

    expect((s.object.metadata as any).labels).toEqual({ app: 'web' });
    expect(container(s.object)).toMatchObject({ image: 'nginx:1.27', env: [{ name: 'A', value: '1' }] });
  });

  it('label sends a JSON merge patch; a removed label is null', async () => {
    const s = await serve(deployment());
    const r = await s.kubectl(['label', 'deployment/web', 'tier-', 'env=prod']);
    expect(r.stdout).toBe('deployment.apps/web labeled\n');
    expect(s.patches[0].contentType).toBe('application/merge-patch+json');
    expect(JSON.parse(s.patches[0].body)).toEqual({ metadata: { labels: { env: 'prod', tier: null } } });
    expect((s.object.metadata as any).labels).toEqual({ app: 'web', env: 'prod' });
  });

  it('a failing JSON patch is the 422 kubectl reports as an invalid request', async () => {
    const s = await serve(deployment());
    const r = await s.kubectl([
      'patch',
      'deployment/web',
      '--type',
      'json',
      '-p',
      '[{"op":"remove","path":"/spec/paused"}]',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('the server rejected our request due to an error in our request');
    expect((s.object.metadata as any).resourceVersion).toBe('1');
  });

  it('a strategic merge patch on a type without a schema is refused with 415', async () => {
    const s = await serve({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'default' },
    });
    const r = await s.kubectl(['patch', 'widget/w', '-p', '{"spec":{"size":2}}']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
    const merged = await s.kubectl(['patch', 'widget/w', '--type', 'merge', '-p', '{"spec":{"size":2}}']);
    expect(merged.code).toBe(0);
    expect(s.object.spec).toEqual({ size: 2 });
  });
});

describe('kubectl apply --server-side', () => {
  it('sends the manifest as apply-patch+yaml and becomes the owner of what it applied', async () => {
    const s = await serve(
      recordUpdate(undefined, deployment(), {
        manager: 'kubectl-create',
        schema: k8sSchema,
        typeName: DEPLOYMENT,
      }),
    );
    const r = await s.kubectl([
      'apply',
      '--server-side',
      '--validate=false',
      '-f',
      s.file('web.yaml', CHANGED_MANIFEST),
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('deployment.apps/web serverside-applied\n');

    const sent = s.patches[0];
    expect(sent.contentType).toBe('application/apply-patch+yaml');
    expect(sent.query.get('fieldManager')).toBe('kubectl');
    expect(sent.query.get('force')).toBe('false');

    const entries = (s.object.metadata as any).managedFields as any[];
    expect(entries.map((e) => [e.manager, e.operation])).toEqual([
      ['kubectl', 'Apply'],
      ['kubectl-create', 'Update'],
    ]);
    // Env B and port 80 belong to kubectl-create, so applying without them keeps them.
    expect(container(s.object).env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    expect(container(s.object).ports).toEqual([
      { containerPort: 80, protocol: 'TCP' },
      { containerPort: 8080 },
    ]);
  });

  it('reports a conflict on a field another manager set differently, and --force-conflicts takes it', async () => {
    const s = await serve(
      recordUpdate(undefined, deployment(), {
        manager: 'kubectl-client-side-apply',
        schema: k8sSchema,
        typeName: DEPLOYMENT,
      }),
    );
    const manifest = s.file('web.yaml', CHANGED_MANIFEST.replace('replicas: 2', 'replicas: 3'));

    const r = await s.kubectl(['apply', '--server-side', '--validate=false', '-f', manifest]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    );
    expect((s.object.spec as any).replicas).toBe(2);

    const forced = await s.kubectl([
      'apply',
      '--server-side',
      '--force-conflicts',
      '--validate=false',
      '-f',
      manifest,
    ]);
    expect(forced.code).toBe(0);
    expect((s.object.spec as any).replicas).toBe(3);
    const csa = ((s.object.metadata as any).managedFields as any[]).find(
      (e) => e.manager === 'kubectl-client-side-apply',
    );
    expect(csa.fieldsV1['f:spec']).not.toHaveProperty('f:replicas');
  });
});
