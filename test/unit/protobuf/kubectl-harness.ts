/**
 * A throwaway API server for tests that run the real kubectl: it answers /version and legacy
 * discovery, records every request, and lets a test plug in handlers for the rest. Nothing here
 * is the real server; it only gets kubectl far enough to show what it sends.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResourceInfo } from '../../../labs/store/resource-info.ts';
import { READ_WRITE_VERBS } from '../../../labs/store/resource-info.ts';

export const KUBECTL = '/usr/bin/kubectl';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Handler = (
  req: RecordedRequest,
  res: http.ServerResponse,
) => boolean | undefined | Promise<boolean | undefined>;

function r(
  group: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  shortNames: string[] = [],
  subresources: string[] = [],
  verbs: string[] = READ_WRITE_VERBS,
): ResourceInfo {
  return {
    group,
    version: 'v1',
    resource,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced,
    shortNames,
    categories: ['pods', 'services', 'deployments', 'replicasets', 'daemonsets', 'jobs', 'cronjobs'].includes(
      resource,
    )
      ? ['all']
      : [],
    verbs,
    subresources,
  };
}

/** Enough resources for the kubectl commands the tests run. */
export const TEST_RESOURCES: ResourceInfo[] = [
  r('', 'namespaces', 'Namespace', false, ['ns'], ['status']),
  r('', 'configmaps', 'ConfigMap', true, ['cm']),
  r('', 'secrets', 'Secret', true),
  r('', 'serviceaccounts', 'ServiceAccount', true, ['sa'], ['token']),
  r('', 'services', 'Service', true, ['svc'], ['status']),
  r('', 'pods', 'Pod', true, ['po'], ['status', 'log', 'exec', 'attach', 'binding']),
  r('', 'nodes', 'Node', false, ['no'], ['status']),
  r('', 'endpoints', 'Endpoints', true, ['ep']),
  r('', 'events', 'Event', true, ['ev']),
  r('', 'resourcequotas', 'ResourceQuota', true, ['quota'], ['status']),
  r('apps', 'deployments', 'Deployment', true, ['deploy'], ['status', 'scale']),
  r('apps', 'replicasets', 'ReplicaSet', true, ['rs'], ['status', 'scale']),
  r('apps', 'daemonsets', 'DaemonSet', true, ['ds'], ['status']),
  r('batch', 'jobs', 'Job', true, [], ['status']),
  r('batch', 'cronjobs', 'CronJob', true, ['cj'], ['status']),
  r('discovery.k8s.io', 'endpointslices', 'EndpointSlice', true),
  r('coordination.k8s.io', 'leases', 'Lease', true),
  r('rbac.authorization.k8s.io', 'roles', 'Role', true),
  r('rbac.authorization.k8s.io', 'clusterroles', 'ClusterRole', false),
  r('rbac.authorization.k8s.io', 'rolebindings', 'RoleBinding', true),
  r('rbac.authorization.k8s.io', 'clusterrolebindings', 'ClusterRoleBinding', false),
  r('authorization.k8s.io', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, [], [], ['create']),
  r('policy', 'poddisruptionbudgets', 'PodDisruptionBudget', true, ['pdb'], ['status']),
  r('networking.k8s.io', 'ingresses', 'Ingress', true, ['ing'], ['status']),
  r('scheduling.k8s.io', 'priorityclasses', 'PriorityClass', false, ['pc']),
  r('example.com', 'widgets', 'Widget', true, ['wd']),
];

function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Legacy discovery documents for a resource list. */
export function discoveryHandler(resources: ResourceInfo[]): Handler {
  const gvs = new Map<string, ResourceInfo[]>();
  for (const res of resources) {
    const gv = groupVersion(res.group, res.version);
    gvs.set(gv, [...(gvs.get(gv) ?? []), res]);
  }
  return (req, res) => {
    const path = req.url.split('?')[0];
    if (path === '/version') {
      return json(res, 200, {
        major: '1',
        minor: '32',
        gitVersion: 'v1.32.4',
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2025-01-01T00:00:00Z',
        goVersion: 'go1.23.8',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
    }
    if (path === '/api') {
      return json(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:443' }],
      });
    }
    if (path === '/apis') {
      const groups = [...new Set(resources.filter((x) => x.group).map((x) => x.group))].map((name) => {
        const versions = [...new Set(resources.filter((x) => x.group === name).map((x) => x.version))].map(
          (version) => ({ groupVersion: `${name}/${version}`, version }),
        );
        return { name, versions, preferredVersion: versions[0] };
      });
      return json(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
    }
    const gv =
      path === '/api/v1' ? 'v1' : path.startsWith('/apis/') ? path.slice('/apis/'.length) : undefined;
    if (gv && gvs.has(gv)) {
      const list = gvs.get(gv) ?? [];
      const entries = list.flatMap((x) => [
        {
          name: x.resource,
          singularName: x.singular,
          namespaced: x.namespaced,
          kind: x.kind,
          verbs: x.verbs,
          ...(x.shortNames.length ? { shortNames: x.shortNames } : {}),
          ...(x.categories.length ? { categories: x.categories } : {}),
        },
        ...x.subresources.map((sub) => ({
          name: `${x.resource}/${sub}`,
          singularName: '',
          namespaced: x.namespaced,
          kind: sub === 'scale' ? 'Scale' : x.kind,
          verbs: ['get', 'patch', 'update'],
          ...(sub === 'scale' ? { group: 'autoscaling', version: 'v1' } : {}),
        })),
      ]);
      return json(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: gv,
        resources: entries,
      });
    }
    return false;
  };
}

export function json(res: http.ServerResponse, code: number, body: unknown): true {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
  return true;
}

export function notFound(res: http.ServerResponse, what: string): true {
  return json(res, 404, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `${what} not found`,
    reason: 'NotFound',
    code: 404,
  });
}

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  /** Runs the real kubectl against this server; resolves with its output whatever the exit code. */
  kubectl(
    args: string[],
    opts?: { input?: string },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 that tries each handler in turn and answers 404 otherwise. */
export async function startFakeServer(handlers: Handler[]): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(rec);
      try {
        for (const h of handlers) if (await h(rec, res)) return;
        notFound(res, rec.url);
      } catch (err) {
        json(res, 500, {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: String(err),
          code: 500,
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'svcl-kubectl-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: t, cluster: {server: "' + url + '"}}]',
      'users: [{name: u, user: {}}]',
      'contexts: [{name: c, context: {cluster: t, user: u, namespace: default}}]',
      'current-context: c',
      '',
    ].join('\n'),
  );
  return {
    url,
    requests,
    kubectl(args, opts = {}) {
      return new Promise((resolve) => {
        const child = execFile(
          KUBECTL,
          ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args],
          { timeout: 60_000, env: { ...process.env, HOME: dir, KUBECONFIG: kubeconfig } },
          (err, stdout, stderr) => {
            const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
            resolve({ code, stdout, stderr });
          },
        );
        if (opts.input !== undefined) child.stdin?.end(opts.input);
        else child.stdin?.end();
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
