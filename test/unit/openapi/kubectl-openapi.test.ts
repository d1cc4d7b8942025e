/**
 * The real kubectl reads our /openapi/v3 documents: `explain` renders them, `apply` trusts the
 * server's field validation because of them, and client-side apply computes its strategic merge
 * patch from the merge keys they carry.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildOpenAPIV3, type OpenAPIV3, openAPIV3Response } from '../../../labs/apiserver/openapi/index.ts';
import { ALL_TYPES, createSchema } from '../../../labs/apiserver/schema/index.ts';
import type { TypeDef } from '../../../labs/apiserver/schema/types.ts';
import {
  discoveryHandler,
  type FakeServer,
  type Handler,
  json,
  notFound,
  type RecordedRequest,
  startFakeServer,
  TEST_RESOURCES,
} from '../protobuf/kubectl-harness.ts';

let dir: string;
let manifest: string;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
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
        image: IMAGE
        ports: [{containerPort: 80}]
      - name: side
        image: busybox
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'svcl-openapi-'));
  manifest = join(dir, 'deployment.yaml');
  await writeFile(manifest, DEPLOYMENT.replace('IMAGE', 'httpd'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function openapiHandler(api: OpenAPIV3): Handler {
  return (req, res) => {
    const [path, query] = req.url.split('?');
    const answer = openAPIV3Response(path, api, query);
    if (!answer) return false;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
    return true;
  };
}

async function withServer<T>(
  api: OpenAPIV3,
  extra: Handler[],
  run: (s: FakeServer) => Promise<T>,
): Promise<T> {
  const server = await startFakeServer([discoveryHandler(TEST_RESOURCES), openapiHandler(api), ...extra]);
  try {
    return await run(server);
  } finally {
    await server.close();
  }
}

const api = buildOpenAPIV3(TEST_RESOURCES);

describe('kubectl explain', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer([discoveryHandler(TEST_RESOURCES), openapiHandler(api)]);
  });
  afterAll(async () => {
    await server.close();
  });

  it('renders a nested field of a built-in kind from our document', async () => {
    const out = await server.kubectl(['explain', 'deployment.spec.template.spec.containers']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('GROUP:      apps');
    expect(out.stdout).toContain('KIND:       Deployment');
    expect(out.stdout).toContain('FIELD: containers <[]Container>');
    expect(out.stdout).toMatch(/name\t<string> -required-/);
    expect(out.stdout).toMatch(/ports\t<\[\]ContainerPort>/);
    expect(out.stdout).toMatch(/livenessProbe\t<Probe>/);
    expect(out.stdout).toMatch(/resources\t<ResourceRequirements>/);
    expect(server.requests.some((r) => r.url.startsWith('/openapi/v3/apis/apps/v1?hash='))).toBe(true);
  });

  it('shows int-or-string values and fields promoted from embedded structs', async () => {
    const out = await server.kubectl(['explain', 'pod.spec.containers.livenessProbe.httpGet.port']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('FIELD: port <IntOrString>');
  });

  it('explains a kind stored without a TypeDef', async () => {
    const out = await server.kubectl(['explain', 'widgets']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('GROUP:      example.com');
    expect(out.stdout).toContain('KIND:       Widget');
    expect(out.stdout).toMatch(/metadata\t<ObjectMeta>/);
  });
});

describe('kubectl apply', () => {
  it('accepts the documents for a client dry run', async () => {
    await withServer(
      api,
      [(req, res) => (req.method === 'GET' ? notFound(res, req.url) : false)],
      async (server) => {
        const out = await server.kubectl(['apply', '--dry-run=client', '-f', manifest, '-o', 'yaml']);
        expect(out.code, out.stderr).toBe(0);
        expect(out.stdout).toContain('kind: Deployment');
        expect(out.stdout).toContain('kubectl.kubernetes.io/last-applied-configuration');
        expect(server.requests.some((r) => r.url.startsWith('/openapi/v3/apis/apps/v1?hash='))).toBe(true);
      },
    );
  });

  it('leaves field validation to the server, as the fieldValidation parameter promises', async () => {
    const posts: RecordedRequest[] = [];
    const handlers: Handler[] = [
      (req, res) =>
        req.method === 'GET' && req.url.includes('/deployments/') ? notFound(res, req.url) : false,
      (req, res) => {
        if (req.method !== 'POST') return false;
        posts.push(req);
        return json(res, 201, JSON.parse(req.body.toString()));
      },
    ];
    await withServer(api, handlers, async (server) => {
      const out = await server.kubectl(['apply', '-f', manifest]);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout.trim()).toBe('deployment.apps/web created');
    });
    expect(posts).toHaveLength(1);
    expect(posts[0].url).toBe(
      '/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-client-side-apply&fieldValidation=Strict',
    );
  });

  /** Re-applies the manifest with a new image over a live object; returns kubectl's patch. */
  async function reapplyPatch(doc: OpenAPIV3): Promise<Record<string, any>> {
    const applied = parse(DEPLOYMENT.replace('IMAGE', 'httpd'));
    applied.metadata.annotations = {};
    applied.metadata.namespace = 'default';
    const live = {
      ...applied,
      metadata: {
        ...applied.metadata,
        uid: 'u1',
        resourceVersion: '7',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied) },
      },
    };
    const patches: RecordedRequest[] = [];
    const handlers: Handler[] = [
      (req, res) =>
        req.method === 'GET' && req.url.endsWith('/deployments/web') ? json(res, 200, live) : false,
      (req, res) => {
        if (req.method !== 'PATCH') return false;
        patches.push(req);
        return json(res, 200, live);
      },
    ];
    const changed = join(dir, 'changed.yaml');
    await writeFile(changed, DEPLOYMENT.replace('IMAGE', 'nginx'));
    await withServer(doc, handlers, async (server) => {
      const out = await server.kubectl(['apply', '-f', changed]);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout.trim()).toBe('deployment.apps/web configured');
    });
    expect(patches).toHaveLength(1);
    expect(patches[0].headers['content-type']).toBe('application/strategic-merge-patch+json');
    return JSON.parse(patches[0].body.toString());
  }

  it('computes its strategic merge patch from our merge keys', async () => {
    const patch = await reapplyPatch(api);
    expect(patch.spec).toEqual({
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'web' }, { name: 'side' }],
          containers: [{ image: 'nginx', name: 'web' }],
        },
      },
    });
  });

  it('follows the document: without a merge key on containers the whole list is replaced', async () => {
    const withoutKey: TypeDef[] = ALL_TYPES.map((t) =>
      t.name !== 'io.k8s.api.core.v1.PodSpec'
        ? t
        : {
            ...t,
            fields: t.fields.map((f) =>
              f.name === 'containers'
                ? {
                    ...f,
                    mergeKey: undefined,
                    patchStrategy: undefined,
                    listType: 'atomic' as const,
                    listMapKeys: undefined,
                  }
                : f,
            ),
          },
    );
    const patch = await reapplyPatch(buildOpenAPIV3(TEST_RESOURCES, createSchema(withoutKey)));
    expect(patch.spec.template.spec).toEqual({
      containers: [
        { image: 'nginx', name: 'web', ports: [{ containerPort: 80 }] },
        { image: 'busybox', name: 'side' },
      ],
    });
  });
});
