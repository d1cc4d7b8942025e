/**
 * /openapi/v3: an index of group-version documents, each an OpenAPI 3.0 document describing the
 * resources of one group version. kubectl downloads them for `apply` (field validation support,
 * strategic merge patch metadata) and `explain`.
 *
 * Documents are built from the resource list the server serves, so custom kinds appear as soon as
 * they are registered; a kind without a TypeDef is described as preserving unknown fields.
 */
import { createHash } from 'node:crypto';
import type { ResourceInfo } from '../../store/resource-info.ts';
import { k8sSchema } from '../schema/index.ts';
import type { TypeSchema } from '../schema/types.ts';
import { addResourcePaths, type ResourceSchemas } from './paths.ts';
import { type JsonSchema, SchemaCollector } from './schemas.ts';

export type { JsonSchema } from './schemas.ts';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const SCALE = { group: 'autoscaling', version: 'v1', kind: 'Scale' };

export const OPENAPI_V3_PREFIX = '/openapi/v3';

/** The index key of a group version: `api/v1` for the core group, `apis/<group>/<version>` otherwise. */
export function groupVersionKey(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** Component name for a kind with no TypeDef, following the reversed-group naming of upstream. */
export function genericSchemaName(group: string, version: string, kind: string): string {
  const reversed = group ? group.split('.').reverse().join('.') : 'io.k8s.api.core';
  return `${reversed}.${version}.${kind}`;
}

/** Builds the OpenAPI 3.0 document of one group version from the resources it serves. */
export function buildGroupVersionDocument(
  group: string,
  version: string,
  resources: readonly ResourceInfo[],
  schema: TypeSchema = k8sSchema,
  serverVersion = 'v1.32.4',
): JsonSchema {
  const collector = new SchemaCollector(schema);
  const paths: Record<string, JsonSchema> = {};
  collector.add(`${META}.DeleteOptions`, [{ group, version, kind: 'DeleteOptions' }]);
  collector.add(`${META}.Status`);
  collector.addRaw(`${META}.Patch`, {
    description: 'A patch document; its format is given by the request Content-Type.',
    type: 'object',
  });
  const mine = resources
    .filter((r) => r.group === group && r.version === version)
    .sort((a, b) => a.resource.localeCompare(b.resource));
  for (const res of mine) {
    const schemas = describeResource(res, collector, schema);
    const wantsScale = res.subresources.includes('scale') && schema.typeForKind(SCALE);
    const scale = wantsScale ? { schema: collector.add(wantsScale.name), gvk: SCALE } : undefined;
    addResourcePaths(paths, res, schemas, scale);
  }
  const sortedSchemas = Object.fromEntries(
    Object.entries(collector.schemas).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: serverVersion },
    paths,
    components: {
      schemas: sortedSchemas,
      securitySchemes: {
        BearerToken: { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer token' },
      },
    },
    security: [{ BearerToken: [] }],
  };
}

function describeResource(
  res: ResourceInfo,
  collector: SchemaCollector,
  schema: TypeSchema,
): ResourceSchemas {
  const gvk = { group: res.group, version: res.version, kind: res.kind };
  const listGvk = { ...gvk, kind: res.listKind };
  const type = schema.typeForKind(gvk);
  const kind = type
    ? collector.add(type.name)
    : collector.addGeneric(genericSchemaName(res.group, res.version, res.kind), gvk);
  const listType = schema.typeForKind(listGvk);
  const list = listType
    ? collector.add(listType.name)
    : collector.addGenericList(genericSchemaName(res.group, res.version, res.listKind), kind, listGvk);
  return { kind, list };
}

/** A stable digest of a document; it changes whenever the document does. */
export function documentHash(document: unknown): string {
  return createHash('sha512').update(JSON.stringify(document)).digest('hex').toUpperCase();
}

export interface OpenAPIV3 {
  /** The body of GET /openapi/v3. */
  index: { paths: Record<string, { serverRelativeURL: string }> };
  /** Serialized documents by index key (`api/v1`, `apis/apps/v1`). */
  documents: Map<string, { json: string; hash: string }>;
}

/** Builds the index and every group-version document for a resource list. */
export function buildOpenAPIV3(
  resources: readonly ResourceInfo[],
  schema: TypeSchema = k8sSchema,
): OpenAPIV3 {
  const gvs = new Map<string, { group: string; version: string }>();
  for (const r of resources)
    gvs.set(groupVersionKey(r.group, r.version), { group: r.group, version: r.version });
  const documents = new Map<string, { json: string; hash: string }>();
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const key of [...gvs.keys()].sort()) {
    const { group, version } = gvs.get(key) as { group: string; version: string };
    const document = buildGroupVersionDocument(group, version, resources, schema);
    const json = JSON.stringify(document);
    const hash = documentHash(document);
    documents.set(key, { json, hash });
    paths[key] = { serverRelativeURL: `${OPENAPI_V3_PREFIX}/${key}?hash=${hash}` };
  }
  return { index: { paths }, documents };
}

export interface OpenAPIResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Answers a GET under /openapi/v3 (path without the query string); undefined for other paths.
 * A document asked for by hash can be cached forever, since another hash means another URL.
 */
export function openAPIV3Response(path: string, api: OpenAPIV3, query = ''): OpenAPIResponse | undefined {
  const json = { 'content-type': 'application/json' };
  if (path === OPENAPI_V3_PREFIX || path === `${OPENAPI_V3_PREFIX}/`) {
    return {
      status: 200,
      headers: { ...json, 'cache-control': 'no-cache, private' },
      body: JSON.stringify(api.index),
    };
  }
  if (!path.startsWith(`${OPENAPI_V3_PREFIX}/`)) return undefined;
  const doc = api.documents.get(path.slice(OPENAPI_V3_PREFIX.length + 1));
  if (!doc) {
    return { status: 404, headers: { 'content-type': 'text/plain' }, body: '404 page not found\n' };
  }
  const hashed = new URLSearchParams(query).get('hash') === doc.hash;
  return {
    status: 200,
    headers: {
      ...json,
      etag: `"${doc.hash}"`,
      'cache-control': hashed ? 'public, immutable' : 'no-cache, private',
    },
    body: doc.json,
  };
}
