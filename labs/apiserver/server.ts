/**
 * The Kubernetes HTTP API of one lab, as the real kubectl uses it: discovery, OpenAPI, CRUD with
 * tables, watches, patches of every type, subresources and streams. It is transport-agnostic:
 * `handle` and `upgrade` are attached to any number of listeners (the host port for labctl and a
 * host kubectl; the apiserver addresses inside the lab's control-plane nodes).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { stringify as toYaml } from 'yaml';
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { ApiError, badRequest, internalError, methodNotSupported, statusError } from '../kube/errors.ts';
import { clone, type KObject } from '../kube/object.ts';
import type { KindDefinition } from '../registry/strategy.ts';
import type { DeleteOptions, WatchEvent } from '../store/store.ts';
import {
  decodeObject,
  mediaTypeOf,
  type ProtobufDecoder,
  parseJsonBody,
  parseYamlBody,
  readBody,
} from './bodies.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery.ts';
import { type IncludeObject, partialMetadata, toTable } from './tables.ts';

/** The pieces other modules provide; each is optional so the server degrades with a clear error. */
export interface ApiExtensions {
  decodeProtobuf?: ProtobufDecoder;
  /** Answers GET /openapi/v3[/...]; undefined when the path names no document. */
  openapi?(
    path: string,
    query: string,
  ): { status: number; headers: Record<string, string>; body: string } | undefined;
  /** Unknown fields of an object of this kind, as `spec.foo` paths (strict field validation). */
  unknownFields?(def: KindDefinition, obj: KObject): string[];
  /** Type errors found while "decoding" (e.g. a string where an int32 belongs). */
  typeErrors?(def: KindDefinition, obj: KObject): string[];
  patch: {
    json(original: KObject, ops: unknown): KObject;
    merge(original: KObject, patch: unknown): KObject;
    /** Throws ApiError 415 for kinds without a schema (custom resources), as the apiserver does. */
    strategic(def: KindDefinition, original: KObject, patch: unknown): KObject;
    /** Server-side apply; returns the merged object or throws a 409 conflict ApiError. */
    apply(
      def: KindDefinition,
      live: KObject | undefined,
      applied: KObject,
      manager: string,
      force: boolean,
    ): KObject;
  };
  streams?: {
    logs(
      req: IncomingMessage,
      res: ServerResponse,
      target: { namespace: string; name: string },
      query: URLSearchParams,
    ): Promise<void>;
    upgrade(
      req: IncomingMessage,
      socket: Duplex,
      head: Buffer,
      target: { namespace: string; name: string; subresource: 'exec' | 'attach' },
      query: URLSearchParams,
    ): void;
  };
}

interface Target {
  def: KindDefinition;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' };
/** Kinds a PUT may create, as their real registries allow (AllowCreateOnUpdate). */
const CREATE_ON_UPDATE = new Set(['endpoints', 'leases', 'events', 'nodes']);

function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(code, { ...JSON_HEADERS, ...headers, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, e: unknown): void {
  if (e instanceof ApiError) {
    send(res, e.status.code, e.status);
    return;
  }
  console.error('apiserver: unexpected error', e);
  const err = internalError(e instanceof Error ? e.message : String(e));
  send(res, err.status.code, err.status);
}

function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept);
}

function wantsPartialMetadata(accept: string | undefined): boolean {
  return !!accept && /as=PartialObjectMetadata/.test(accept);
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

export class ApiServer {
  readonly cp: ControlPlaneCore;
  readonly ext: ApiExtensions;
  private readonly openWatches = new Set<() => void>();

  constructor(cp: ControlPlaneCore, ext: ApiExtensions) {
    this.cp = cp;
    this.ext = ext;
  }

  /** Close every open watch (lab teardown). */
  closeAll(): void {
    for (const stop of this.openWatches) stop();
    this.openWatches.clear();
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.dispatch(req, res).catch((e) => sendError(res, e));
  };

  upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    try {
      const url = new URL(req.url ?? '/', 'http://apiserver');
      const target = this.resolve(url.pathname);
      if (
        target &&
        target.def.info.resource === 'pods' &&
        target.name &&
        (target.subresource === 'exec' || target.subresource === 'attach') &&
        this.ext.streams
      ) {
        this.ext.streams.upgrade(
          req,
          socket,
          head,
          { namespace: target.namespace ?? 'default', name: target.name, subresource: target.subresource },
          url.searchParams,
        );
        return;
      }
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    } catch {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    }
  };

  private serverAddress(req: IncomingMessage): string {
    return req.headers.host ?? 'localhost';
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://apiserver');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const kinds = this.cp.kinds;

    // Non-resource endpoints.
    if (path === '/version') {
      const v = this.cp.config.kubernetesVersion;
      const [major, minor] = v.replace(/^v/, '').split('.');
      return send(res, 200, {
        major,
        minor,
        gitVersion: v,
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2025-04-22T16:03:51Z',
        goVersion: 'go1.23.8',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (path === '/api') return send(res, 200, apiVersions(this.serverAddress(req)));
    if (path === '/apis') return send(res, 200, apiGroupList(kinds));
    if (path === '/openapi/v3' || path.startsWith('/openapi/v3/'))
      return this.openapi(res, path, url.search.slice(1));
    if (path === '/openapi/v2') {
      // kubectl falls back to v2 for kinds v3 does not describe; an empty document lets it go on
      // to its own "no matches for kind" error, as against a real server.
      const body = openapiV2Stub(this.cp.config.kubernetesVersion);
      res.writeHead(200, {
        'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
        'Content-Length': body.length,
      });
      res.end(body);
      return;
    }

    const gv = path.match(/^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/(.*))?$/);
    const groupOnly = path.match(/^\/apis\/([^/]+)$/);
    if (groupOnly) {
      const g = apiGroup(kinds, groupOnly[1]);
      if (g) return send(res, 200, g);
      throw notFoundPath();
    }
    if (!gv) throw notFoundPath();
    const group = gv[2] ?? '';
    const version = gv[1] ?? gv[3];
    if (!gv[4]) {
      const list = apiResourceList(kinds, group, version);
      if (!list) throw notFoundPath();
      return send(res, 200, list);
    }
    const target = this.resolve(path);
    if (!target) throw notFoundPath();
    const q = url.searchParams;

    switch (method) {
      case 'GET':
        return this.get(req, res, target, q);
      case 'POST':
        return this.post(req, res, target, q);
      case 'PUT':
        return this.put(req, res, target, q);
      case 'PATCH':
        return this.patch(req, res, target, q);
      case 'DELETE':
        return this.remove(req, res, target, q);
      default:
        throw methodNotSupported(`the server does not allow this method on the requested resource`);
    }
  }

  /** Map a resource path to the kind, namespace, name and subresource it names. */
  resolve(pathname: string): Target | undefined {
    const m = pathname.replace(/\/+$/, '').match(/^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/(.+)$/);
    if (!m) return undefined;
    const group = m[2] ?? '';
    const version = m[1] ?? m[3];
    const parts = m[4].split('/').map(decodeURIComponent);
    let namespace: string | undefined;
    if (parts[0] === 'namespaces' && parts.length >= 3) {
      const def = this.cp.kinds.byResource(group, parts[2], version);
      if (def?.info.namespaced) {
        namespace = parts[1];
        parts.splice(0, 2);
      }
    }
    const def = this.cp.kinds.byResource(group, parts[0], version);
    if (!def || parts.length > 3) return undefined;
    if (def.info.namespaced === false && namespace) return undefined;
    const subresource = parts[2];
    if (subresource && !def.info.subresources.includes(subresource)) return undefined;
    return { def, namespace, name: parts[1], subresource };
  }

  private openapi(res: ServerResponse, path: string, query: string): void {
    const answer = this.ext.openapi?.(path, query);
    if (!answer) throw notFoundPath();
    res.writeHead(answer.status, { ...answer.headers, 'Content-Length': Buffer.byteLength(answer.body) });
    res.end(answer.body);
  }

  // ---------- GET ----------

  private async get(req: IncomingMessage, res: ServerResponse, t: Target, q: URLSearchParams): Promise<void> {
    const { store } = this.cp;
    const accept = req.headers.accept;
    if (t.name && t.subresource === 'log' && t.def.info.resource === 'pods') {
      if (!this.ext.streams) throw badRequest('logs are not available in this lab');
      return this.ext.streams.logs(req, res, { namespace: t.namespace ?? 'default', name: t.name }, q);
    }
    if (t.name && (t.subresource === 'exec' || t.subresource === 'attach')) {
      throw badRequest('Upgrade request required');
    }
    if (t.name && !boolParam(q, 'watch')) {
      const obj = store.get(t.def, t.namespace, t.name);
      if (t.subresource === 'scale') return send(res, 200, toScale(t.def, obj));
      if (wantsTable(accept)) {
        return send(res, 200, toTable(t.def, [obj], this.cp.ctx, { include: includeParam(q) }));
      }
      if (wantsPartialMetadata(accept)) return send(res, 200, partialMetadata(obj));
      return send(res, 200, obj);
    }
    const fieldSelector = t.name
      ? [`metadata.name=${t.name}`, q.get('fieldSelector')].filter(Boolean).join(',')
      : (q.get('fieldSelector') ?? undefined);
    const opts = { labelSelector: q.get('labelSelector') ?? undefined, fieldSelector };
    if (boolParam(q, 'watch')) return this.watch(req, res, t, q, opts);
    const items = store.list(t.def, t.namespace, opts);
    const resourceVersion = store.resourceVersion;
    if (wantsTable(accept)) {
      return send(
        res,
        200,
        toTable(t.def, items, this.cp.ctx, { resourceVersion, include: includeParam(q) }),
      );
    }
    if (wantsPartialMetadata(accept)) {
      return send(res, 200, {
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { resourceVersion },
        items: items.map(partialMetadata),
      });
    }
    const apiVersion = t.def.info.group ? `${t.def.info.group}/${t.def.info.version}` : t.def.info.version;
    send(res, 200, { kind: t.def.info.listKind, apiVersion, metadata: { resourceVersion }, items });
  }

  private watch(
    req: IncomingMessage,
    res: ServerResponse,
    t: Target,
    q: URLSearchParams,
    opts: { labelSelector?: string; fieldSelector?: string },
  ): void {
    const asTable = wantsTable(req.headers.accept);
    const asMeta = wantsPartialMetadata(req.headers.accept);
    const include = includeParam(q);
    let headersSent = false;
    const encode = (e: WatchEvent): string => {
      let object: unknown = e.object;
      if (asTable) {
        object = toTable(t.def, [e.object], this.cp.ctx, { include, noHeaders: headersSent });
        headersSent = true;
      } else if (asMeta) object = partialMetadata(e.object);
      return `${JSON.stringify({ type: e.type, object })}\n`;
    };
    const buffered: string[] = [];
    let started = false;
    const write = (e: WatchEvent) => {
      const line = encode(e);
      if (started) res.write(line);
      else buffered.push(line);
    };
    // Validate and register before committing to a 200: a bad selector or an expired
    // resourceVersion must still come back as a proper Status error.
    const stop = this.cp.store.watch(
      t.def,
      t.namespace,
      {
        ...opts,
        resourceVersion: q.get('resourceVersion') ?? undefined,
        sendInitial: !q.get('resourceVersion'),
      },
      write,
    );
    res.writeHead(200, { ...JSON_HEADERS, 'Transfer-Encoding': 'chunked' });
    // client-go waits for the response headers before it considers the watch open.
    res.flushHeaders();
    started = true;
    for (const line of buffered) res.write(line);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      stop();
      clearTimeout(timer);
      this.openWatches.delete(finish);
      res.end();
    };
    this.openWatches.add(finish);
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? 1800 + Math.random() * 1800);
    const timer = setTimeout(finish, Math.max(1, timeoutSeconds) * 1000);
    req.on('close', finish);
    res.on('error', finish);
  }

  // ---------- writes ----------

  private async readObject(req: IncomingMessage): Promise<KObject> {
    const body = await readBody(req);
    return decodeObject(body, req.headers['content-type'], this.ext.decodeProtobuf);
  }

  /**
   * Field validation as kubectl requests it (`fieldValidation=Strict` by default for apply, create
   * and replace). Unknown or mistyped fields fail like the apiserver's strict decoder.
   */
  private checkFields(def: KindDefinition, obj: KObject, q: URLSearchParams, res: ServerResponse): void {
    const typeErrors = this.ext.typeErrors?.(def, obj) ?? [];
    if (typeErrors.length) {
      throw badRequest(
        `${def.info.kind} in version "${def.info.version}" cannot be handled as a ${def.info.kind}: ${typeErrors[0]}`,
      );
    }
    const mode = q.get('fieldValidation') ?? 'Warn';
    if (mode === 'Ignore' || !this.ext.unknownFields) return;
    const unknown = this.ext.unknownFields(def, obj);
    if (!unknown.length) return;
    if (mode === 'Strict') {
      const list = unknown.map((f) => `unknown field "${f}"`).join(', ');
      throw badRequest(
        `${def.info.kind} in version "${def.info.version}" cannot be handled as a ${def.info.kind}: strict decoding error: ${list}`,
      );
    }
    res.setHeader(
      'Warning',
      unknown.map((f) => `299 - "unknown field \\"${f}\\""`),
    );
  }

  private checkKindMatches(t: Target, obj: KObject): void {
    const info = t.def.info;
    const expected = info.group ? `${info.group}/${info.version}` : info.version;
    if (obj.apiVersion && obj.apiVersion !== expected) {
      throw badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${expected})`,
      );
    }
    if (obj.kind && obj.kind !== info.kind) {
      throw badRequest(
        `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: the kind in the data (${obj.kind}) does not match the expected kind (${info.kind})`,
      );
    }
    if (info.namespaced && t.namespace && obj.metadata.namespace && obj.metadata.namespace !== t.namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (info.namespaced && t.namespace) obj.metadata.namespace = t.namespace;
  }

  private async post(
    req: IncomingMessage,
    res: ServerResponse,
    t: Target,
    q: URLSearchParams,
  ): Promise<void> {
    const { store } = this.cp;
    const info = t.def.info;
    if (t.name && t.subresource === 'binding' && info.resource === 'pods') return this.bind(req, res, t);
    if (t.name && t.subresource === 'eviction' && info.resource === 'pods') {
      await readBody(req);
      store.delete(t.def, t.namespace, t.name, {});
      return send(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    }
    if (t.name) throw methodNotSupported('the server does not allow this method on the requested resource');
    const obj = await this.readObject(req);
    if (info.resource.endsWith('accessreviews') || info.resource.endsWith('rulesreviews')) {
      return send(res, 201, reviewAllowed(obj));
    }
    this.checkKindMatches(t, obj);
    this.checkFields(t.def, obj, q, res);
    const created = store.create(t.def, obj, { dryRun: q.get('dryRun') === 'All' });
    send(res, 201, created);
  }

  private async bind(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    const binding = await this.readObject(req);
    const node = binding.target?.name;
    if (!node) throw badRequest('binding target name is required');
    this.cp.store.mutate(t.def, t.namespace, t.name!, (pod) => {
      if (pod.spec.nodeName) {
        throw statusError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on pods/binding "${t.name}": pod ${t.name} is already assigned to node "${pod.spec.nodeName}"`,
        );
      }
      pod.spec.nodeName = node;
    });
    send(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  private async put(req: IncomingMessage, res: ServerResponse, t: Target, q: URLSearchParams): Promise<void> {
    const { store } = this.cp;
    if (!t.name) throw methodNotSupported('the server does not allow this method on the requested resource');
    const obj = await this.readObject(req);
    const dryRun = q.get('dryRun') === 'All';
    if (t.subresource === 'scale') {
      const updated = store.mutate(t.def, t.namespace, t.name, (cur) => {
        if (obj.metadata.resourceVersion) cur.metadata.resourceVersion = obj.metadata.resourceVersion;
        cur.spec.replicas = obj.spec?.replicas ?? 0;
      });
      return send(res, 200, toScale(t.def, updated));
    }
    if (obj.metadata.name && obj.metadata.name !== t.name) {
      throw badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${t.name})`,
      );
    }
    obj.metadata.name = t.name;
    this.checkKindMatches(t, obj);
    this.checkFields(t.def, obj, q, res);
    const exists = store.tryGet(t.def, t.namespace, t.name);
    if (!exists && CREATE_ON_UPDATE.has(t.def.info.resource) && !t.subresource) {
      delete obj.metadata.resourceVersion;
      return send(res, 201, store.create(t.def, obj, { dryRun }));
    }
    const subresource = t.subresource === 'status' ? 'status' : undefined;
    if (t.subresource === 'finalize')
      return send(res, 200, store.update(t.def, obj, { dryRun, subresource: 'finalize' }));
    send(res, 200, store.update(t.def, obj, { dryRun, subresource }));
  }

  private async patch(
    req: IncomingMessage,
    res: ServerResponse,
    t: Target,
    q: URLSearchParams,
  ): Promise<void> {
    const { store } = this.cp;
    if (!t.name) throw methodNotSupported('the server does not allow this method on the requested resource');
    const contentType = req.headers['content-type'];
    const media = mediaTypeOf(contentType);
    const body = await readBody(req);
    const dryRun = q.get('dryRun') === 'All';
    const patch = this.ext.patch;

    if (media === 'apply-patch') {
      const applied = parseYamlBody(body) as KObject;
      if (!applied || typeof applied !== 'object' || Array.isArray(applied))
        throw badRequest('apply patch must be an object');
      applied.metadata ??= {};
      applied.metadata.name ??= t.name;
      this.checkKindMatches(t, applied);
      this.checkFields(t.def, applied, q, res);
      const manager = q.get('fieldManager');
      if (!manager) throw badRequest('PATCH requests with apply must specify a fieldManager');
      const force = boolParam(q, 'force');
      const live = store.tryGet(t.def, t.namespace, t.name);
      const merged = patch.apply(t.def, live, applied, manager, force);
      if (!live) return send(res, 201, store.create(t.def, merged, { dryRun }));
      return send(
        res,
        200,
        store.update(
          t.def,
          { ...merged, metadata: { ...merged.metadata, resourceVersion: live.metadata.resourceVersion } },
          { dryRun },
        ),
      );
    }

    const patchBody =
      media === 'json-patch' || media === 'merge-patch' || media === 'strategic-merge-patch'
        ? parseJsonBody(body)
        : undefined;
    if (patchBody === undefined) {
      throw statusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
      );
    }
    const apply = (original: KObject): KObject => {
      let result: KObject;
      if (media === 'json-patch') result = patch.json(original, patchBody);
      else if (media === 'merge-patch') result = patch.merge(original, patchBody);
      else result = patch.strategic(t.def, original, patchBody);
      if (!result || typeof result !== 'object' || Array.isArray(result))
        throw badRequest('the patch produced something that is not an object');
      result.metadata ??= {};
      return result;
    };

    if (t.subresource === 'scale') {
      const updated = store.mutate(t.def, t.namespace, t.name, (cur) => {
        const scale = apply(toScale(t.def, cur) as KObject);
        cur.spec.replicas = scale.spec?.replicas ?? cur.spec.replicas;
      });
      return send(res, 200, toScale(t.def, updated));
    }
    const subresource = t.subresource === 'status' ? 'status' : undefined;
    for (let attempt = 0; ; attempt++) {
      const current = store.get(t.def, t.namespace, t.name);
      const patched = apply(clone(current));
      // A patch that names a resourceVersion is a precondition; otherwise it applies to the latest.
      const rv = patched.metadata.resourceVersion;
      const explicitRv = rv !== undefined && rv !== current.metadata.resourceVersion;
      if (!explicitRv) patched.metadata.resourceVersion = current.metadata.resourceVersion;
      if (patched.metadata.name !== t.name)
        throw badRequest(`metadata.name: Invalid value: "${patched.metadata.name}": field is immutable`);
      this.checkKindMatches(t, patched);
      this.checkFields(t.def, patched, q, res);
      try {
        return send(res, 200, store.update(t.def, patched, { dryRun, subresource }));
      } catch (e) {
        if (!explicitRv && attempt < 5 && e instanceof ApiError && e.reason === 'Conflict') continue;
        throw e;
      }
    }
  }

  private async remove(
    req: IncomingMessage,
    res: ServerResponse,
    t: Target,
    q: URLSearchParams,
  ): Promise<void> {
    const { store } = this.cp;
    const body = await readBody(req);
    let opts: DeleteOptions = {};
    if (body.length) {
      const parsed = parseJsonBody(body);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) opts = parsed as DeleteOptions;
      else throw badRequest('DeleteOptions must be an object');
    }
    const grace = q.get('gracePeriodSeconds');
    const policy = q.get('propagationPolicy') ?? opts.propagationPolicy;
    if (policy && !['Foreground', 'Background', 'Orphan'].includes(policy)) {
      throw statusError(
        422,
        'Invalid',
        `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`,
      );
    }
    const deleteOpts: DeleteOptions = {
      propagationPolicy: policy as DeleteOptions['propagationPolicy'],
      gracePeriodSeconds: grace !== null ? Number(grace) : opts.gracePeriodSeconds,
      preconditions: opts.preconditions,
      dryRun:
        q.get('dryRun') === 'All' ||
        (Array.isArray((opts as { dryRun?: unknown }).dryRun) &&
          ((opts as { dryRun?: string[] }).dryRun ?? []).includes('All')),
    };
    if (!t.name) {
      const items = store.list(t.def, t.namespace, {
        labelSelector: q.get('labelSelector') ?? undefined,
        fieldSelector: q.get('fieldSelector') ?? undefined,
      });
      const out = items.map(
        (i) => store.delete(t.def, i.metadata.namespace, i.metadata.name!, deleteOpts).object,
      );
      const apiVersion = t.def.info.group ? `${t.def.info.group}/${t.def.info.version}` : t.def.info.version;
      return send(res, 200, { kind: t.def.info.listKind, apiVersion, metadata: {}, items: out });
    }
    if (t.subresource)
      throw methodNotSupported('the server does not allow this method on the requested resource');
    const { object, deleted } = store.delete(t.def, t.namespace, t.name, deleteOpts);
    if (!deleted) return send(res, 200, object);
    send(res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: {
        name: t.name,
        group: t.def.info.group || undefined,
        kind: t.def.info.resource,
        uid: object.metadata.uid,
      },
    });
  }
}

/** A minimal openapi_v2.Document in protobuf: swagger (1) = "2.0", info (2) = {title, version}. */
function openapiV2Stub(version: string): Buffer {
  const str = (field: number, text: string) => {
    const b = Buffer.from(text);
    return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
  };
  const info = Buffer.concat([str(1, 'Kubernetes'), str(2, version)]);
  return Buffer.concat([str(1, '2.0'), Buffer.from([(2 << 3) | 2, info.length]), info]);
}

function includeParam(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

function notFoundPath(): ApiError {
  return statusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

function toScale(_def: KindDefinition, obj: KObject) {
  const selector = obj.spec?.selector?.matchLabels
    ? Object.entries(obj.spec.selector.matchLabels as Record<string, string>)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : undefined;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: { replicas: obj.status?.replicas ?? 0, ...(selector ? { selector } : {}) },
  };
}

/** Labs have no authorization: every learner is cluster-admin, as on a kubeadm admin.conf. */
function reviewAllowed(obj: KObject) {
  const review = clone(obj);
  review.metadata = { ...(review.metadata ?? {}), creationTimestamp: null as unknown as string };
  if (/RulesReview$/.test(obj.kind ?? '')) {
    review.status = {
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    };
  } else {
    review.status = { allowed: true, reason: 'labs grant every user cluster-admin' };
  }
  return review;
}

export { toYaml };
