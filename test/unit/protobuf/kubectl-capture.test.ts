/**
 * Bodies exactly as the real kubectl sends them: a throwaway server answers discovery, records
 * each POST, and our decoder must turn the protobuf into the object kubectl meant — the same
 * object kubectl itself prints for `--dry-run=client -o json`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE } from '../../../labs/apiserver/protobuf/decode.ts';
import {
  discoveryHandler,
  type FakeServer,
  json,
  type RecordedRequest,
  startFakeServer,
  TEST_RESOURCES,
} from './kubectl-harness.ts';

type Obj = Record<string, any>;

let server: FakeServer;
const posted: RecordedRequest[] = [];

beforeAll(async () => {
  server = await startFakeServer([
    discoveryHandler(TEST_RESOURCES),
    (req, res) => {
      if (req.method !== 'POST') return false;
      posted.push(req);
      const isProto = String(req.headers['content-type']).startsWith(PROTOBUF_CONTENT_TYPE);
      const obj = isProto ? decodeKubernetesProtobuf(req.body) : JSON.parse(req.body.toString());
      if (obj.kind === 'SelfSubjectAccessReview') obj.status = { allowed: true };
      return json(res, 201, obj);
    },
  ]);
});

afterAll(async () => {
  await server?.close();
});

/** Runs a kubectl command, returning the body it POSTed and what it prints for a dry run. */
async function capture(
  args: string[],
): Promise<{ request: RecordedRequest; decoded: Obj; dryRun: Obj | undefined }> {
  const dash = args.includes('--') ? args.indexOf('--') : args.length; // flags must precede `--`
  const dryArgs = [...args.slice(0, dash), '--dry-run=client', '-o', 'json', ...args.slice(dash)];
  const dry = args[0] === 'create' ? await server.kubectl(dryArgs) : undefined;
  if (dry) expect(dry.code, dry.stderr).toBe(0);
  const before = posted.length;
  const out = await server.kubectl(args);
  expect(out.code, out.stderr).toBe(0);
  expect(posted.length).toBe(before + 1);
  const request = posted[before];
  const decoded = String(request.headers['content-type']).startsWith(PROTOBUF_CONTENT_TYPE)
    ? decodeKubernetesProtobuf(request.body)
    : JSON.parse(request.body.toString());
  return { request, decoded, dryRun: dry ? JSON.parse(dry.stdout) : undefined };
}

function protobufOf(request: RecordedRequest): void {
  expect(request.headers['content-type']).toBe(PROTOBUF_CONTENT_TYPE);
  expect([...request.body.subarray(0, 4)]).toEqual([0x6b, 0x38, 0x73, 0x00]);
}

describe('kubectl create sends protobuf, which decodes to the object kubectl meant', () => {
  it('configmap: data from literals', async () => {
    const { request, decoded, dryRun } = await capture(['create', 'configmap', 'x', '--from-literal=a=b']);
    protobufOf(request);
    expect(request.url).toBe(
      '/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create&fieldValidation=Strict',
    );
    expect(decoded.apiVersion).toBe('v1');
    expect(decoded.kind).toBe('ConfigMap');
    expect(decoded.metadata).toEqual({ name: 'x', creationTimestamp: null });
    expect(decoded.data).toEqual({ a: 'b' });
    expect(decoded).toEqual(dryRun);
  });

  it('deployment: replicas, selector, pod template and container port', async () => {
    const { request, decoded, dryRun } = await capture([
      'create',
      'deployment',
      'web',
      '--image=httpd',
      '--replicas=3',
      '--port=80',
    ]);
    protobufOf(request);
    expect(request.url).toMatch(/^\/apis\/apps\/v1\/namespaces\/default\/deployments\?/);
    expect(decoded.apiVersion).toBe('apps/v1');
    expect(decoded.kind).toBe('Deployment');
    expect(decoded.metadata.name).toBe('web');
    expect(decoded.metadata.labels).toEqual({ app: 'web' });
    expect(decoded.spec.replicas).toBe(3);
    expect(decoded.spec.selector).toEqual({ matchLabels: { app: 'web' } });
    expect(decoded.spec.template.metadata.labels).toEqual({ app: 'web' });
    expect(decoded.spec.template.spec.containers).toEqual([
      { name: 'httpd', image: 'httpd', ports: [{ containerPort: 80 }], resources: {} },
    ]);
    expect(decoded.spec.strategy).toEqual({});
    expect(decoded.status).toEqual({});
    expect(decoded).toEqual(dryRun);
  });

  it('namespace', async () => {
    const { request, decoded, dryRun } = await capture(['create', 'namespace', 'n']);
    protobufOf(request);
    expect(request.url).toMatch(/^\/api\/v1\/namespaces\?/);
    expect(decoded).toEqual({
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: 'n', creationTimestamp: null },
      spec: {},
      status: {},
    });
    expect(decoded).toEqual(dryRun);
  });

  it('service clusterip: port, int-or-string targetPort, selector and type', async () => {
    const { request, decoded, dryRun } = await capture([
      'create',
      'service',
      'clusterip',
      's',
      '--tcp=80:8080',
    ]);
    protobufOf(request);
    expect(decoded.kind).toBe('Service');
    expect(decoded.spec.ports).toEqual([{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }]);
    expect(decoded.spec.selector).toEqual({ app: 's' });
    expect(decoded.spec.type).toBe('ClusterIP');
    expect(decoded.status).toEqual({ loadBalancer: {} });
    expect(decoded).toEqual(dryRun);
  });

  it('secret: values as base64 bytes', async () => {
    const { request, decoded, dryRun } = await capture([
      'create',
      'secret',
      'generic',
      's',
      '--from-literal=k=v',
    ]);
    protobufOf(request);
    expect(decoded.data).toEqual({ k: Buffer.from('v').toString('base64') });
    expect(decoded).toEqual(dryRun);
  });

  it('job, cronjob, role, rolebinding, pdb, ingress, quota and priorityclass', async () => {
    const commands = [
      ['create', 'job', 'j', '--image=busybox', '--', 'date'],
      ['create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/5 * * * *', '--', 'date'],
      ['create', 'role', 'r', '--verb=get,list', '--resource=pods,deployments.apps', '--resource-name=a'],
      ['create', 'rolebinding', 'rb', '--role=r', '--user=alice', '--serviceaccount=default:sa', '--group=g'],
      ['create', 'clusterrole', 'agg', '--aggregation-rule=team=a'],
      ['create', 'poddisruptionbudget', 'pdb', '--selector=app=web', '--min-available=50%'],
      ['create', 'ingress', 'ing', '--rule=foo.com/bar*=svc1:8080,tls=my-cert'],
      ['create', 'quota', 'q', '--hard=cpu=1,pods=2', '--scopes=BestEffort'],
      ['create', 'priorityclass', 'pc', '--value=1000', '--description=high'],
      ['create', 'serviceaccount', 'sa'],
    ];
    for (const args of commands) {
      const { request, decoded, dryRun } = await capture(args);
      protobufOf(request);
      expect(decoded, args.join(' ')).toEqual(dryRun);
    }
    const pdb = posted.find((r) => r.url.includes('poddisruptionbudgets'));
    const decodedPdb = decodeKubernetesProtobuf(pdb?.body as Uint8Array) as Obj;
    expect(decodedPdb.spec.minAvailable).toBe('50%'); // an IntOrString holding a string
  });
});

describe('kubectl auth can-i', () => {
  it('POSTs a SelfSubjectAccessReview in protobuf and reads the answer', async () => {
    const before = posted.length;
    const out = await server.kubectl(['auth', 'can-i', 'get', 'pods']);
    expect(out.code).toBe(0);
    expect(out.stdout.trim()).toBe('yes');
    const request = posted[before];
    protobufOf(request);
    expect(request.url).toBe('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
    expect(decodeKubernetesProtobuf(request.body)).toEqual({
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } },
      status: { allowed: false },
    });
  });
});

describe('kubectl run', () => {
  it('sends its Pod as JSON, not protobuf', async () => {
    const { request, decoded } = await capture(['run', 'p', '--image=busybox', '--', 'sleep', '1']);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.url).toBe('/api/v1/namespaces/default/pods?fieldManager=kubectl-run');
    expect(decoded.metadata).toEqual({ name: 'p', creationTimestamp: null, labels: { run: 'p' } });
    expect(decoded.spec.containers).toEqual([
      { name: 'p', image: 'busybox', args: ['sleep', '1'], resources: {} },
    ]);
    expect(decoded.spec.restartPolicy).toBe('Always');
  });
});
