/**
 * A throwaway API server for one object, enough for the real kubectl to GET and PATCH it. Every
 * PATCH is recorded verbatim and applied with our patch engines, so a test can check both what
 * kubectl sends and what the object becomes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  type JsonObject,
  PatchError,
  recordUpdate,
  serverSideApply,
  strategicMergePatchSupported,
  unsupportedMediaType,
} from '../../../labs/apiserver/patch/index.ts';
import type { TypeSchema } from '../../../labs/apiserver/schema/types.ts';

export interface RecordedPatch {
  contentType: string;
  query: URLSearchParams;
  body: string;
}

interface Resource {
  group: string;
  version: string;
  plural: string;
  kind: string;
  typeName: string;
}

export const RESOURCES: Resource[] = [
  {
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    kind: 'Deployment',
    typeName: 'io.k8s.api.apps.v1.Deployment',
  },
  { group: '', version: 'v1', plural: 'services', kind: 'Service', typeName: 'io.k8s.api.core.v1.Service' },
  {
    group: 'example.com',
    version: 'v1',
    plural: 'widgets',
    kind: 'Widget',
    typeName: 'com.example.v1.Widget',
  },
];

export class FakeApiServer {
  object: JsonObject;
  readonly patches: RecordedPatch[] = [];
  private server?: http.Server;
  private dir = mkdtempSync(join(tmpdir(), 'svcl-patch-'));
  private rv = 1;
  private readonly schema: TypeSchema;
  private readonly resource: Resource;
  now = '2025-03-01T10:00:00Z';

  constructor(object: JsonObject, schema: TypeSchema) {
    this.object = structuredClone(object);
    this.schema = schema;
    const kind = object.kind;
    const r = RESOURCES.find((x) => x.kind === kind);
    if (!r) throw new Error(`no resource for kind ${String(kind)}`);
    this.resource = r;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    writeFileSync(
      join(this.dir, 'kubeconfig'),
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]`,
        'users: [{name: u, user: {}}]',
        'contexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]',
        'current-context: c',
      ].join('\n'),
    );
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs the real kubectl against this server; never rejects, returns the exit code. */
  kubectl(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}) {
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        '/usr/bin/kubectl',
        ['--kubeconfig', join(this.dir, 'kubeconfig'), '--cache-dir', join(this.dir, 'cache'), ...args],
        { env: { ...process.env, ...opts.env }, timeout: 30_000 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
    });
  }

  /** Writes a file into the server's scratch directory and returns its path. */
  file(name: string, content: string): string {
    const p = join(this.dir, name);
    writeFileSync(p, content);
    return p;
  }

  private send(res: http.ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    if (path === '/version') return this.send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.4' });
    if (path === '/api')
      return this.send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (path === '/apis') {
      const groups = [...new Set(RESOURCES.filter((r) => r.group).map((r) => r.group))].map((g) => {
        const gv = { groupVersion: `${g}/v1`, version: 'v1' };
        return { name: g, versions: [gv], preferredVersion: gv };
      });
      return this.send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
    }
    const list = RESOURCES.find(
      (r) => path === (r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`),
    );
    if (list) {
      const resources = RESOURCES.filter((r) => r.group === list.group).map((r) => ({
        name: r.plural,
        singularName: r.kind.toLowerCase(),
        namespaced: true,
        kind: r.kind,
        verbs: ['get', 'list', 'patch', 'create', 'update', 'delete'],
      }));
      const groupVersion = list.group ? `${list.group}/${list.version}` : list.version;
      return this.send(res, 200, { kind: 'APIResourceList', groupVersion, resources });
    }
    const r = this.resource;
    const meta = this.object.metadata as JsonObject;
    const objectPath = `${r.group ? `/apis/${r.group}` : '/api'}/${r.version}/namespaces/${meta.namespace}/${r.plural}/${meta.name}`;
    if (path !== objectPath) {
      return this.send(res, 404, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'NotFound',
        code: 404,
        message: 'not found',
      });
    }
    if (req.method === 'GET') return this.send(res, 200, this.object);
    if (req.method !== 'PATCH')
      return this.send(res, 405, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 405 });

    const contentType = (req.headers['content-type'] ?? '').split(';')[0];
    this.patches.push({ contentType, query: url.searchParams, body });
    try {
      this.object = this.applyPatch(contentType, body, url.searchParams);
      this.send(res, 200, this.object);
    } catch (e) {
      if (e instanceof PatchError) return this.send(res, e.code, e.toStatus());
      throw e;
    }
  }

  private applyPatch(contentType: string, body: string, query: URLSearchParams): JsonObject {
    const r = this.resource;
    const manager = query.get('fieldManager') ?? 'kubectl';
    const opts = { manager, schema: this.schema, typeName: r.typeName, now: this.now };
    const old = this.object;
    let next: JsonObject;
    switch (contentType) {
      case 'application/strategic-merge-patch+json':
        if (!strategicMergePatchSupported(r.typeName, this.schema)) throw unsupportedMediaType();
        next = applyStrategicMergePatch(old, JSON.parse(body), r.typeName, this.schema);
        break;
      case 'application/merge-patch+json':
        next = applyMergePatch(old, JSON.parse(body)) as JsonObject;
        break;
      case 'application/json-patch+json':
        next = applyJsonPatch(old, JSON.parse(body)) as JsonObject;
        break;
      case 'application/apply-patch+yaml': {
        const result = serverSideApply(old, parseYaml(body), {
          ...opts,
          force: query.get('force') === 'true',
        });
        if (result.error) throw result.error;
        return this.stored(result.object!);
      }
      default:
        throw unsupportedMediaType(['application/strategic-merge-patch+json']);
    }
    return this.stored(recordUpdate(old, next, opts));
  }

  private stored(o: JsonObject): JsonObject {
    (o.metadata as JsonObject).resourceVersion = String(++this.rv);
    return o;
  }
}
