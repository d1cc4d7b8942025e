/**
 * The `paths` of a group-version OpenAPI document: one entry per REST path of each resource, with
 * operations for the verbs the resource serves. kubectl looks for the operation carrying a kind's
 * x-kubernetes-group-version-kind and, on it, the `fieldValidation` parameter before it trusts
 * the server to validate fields (otherwise `apply` refuses without --validate=false).
 */
import type { ResourceInfo } from '../../store/resource-info.ts';
import type { GroupVersionKind } from '../schema/types.ts';
import { type JsonSchema, ref } from './schemas.ts';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** Component names the operations of one resource refer to. */
export interface ResourceSchemas {
  kind: string;
  list: string;
}

function query(name: string, description: string, type = 'string'): JsonSchema {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

function pathParam(name: string, description: string): JsonSchema {
  return { name, in: 'path', required: true, description, schema: { type: 'string', uniqueItems: true } };
}

const P = {
  pretty: query('pretty', "If 'true', the output is pretty printed."),
  dryRun: query(
    'dryRun',
    'When present, the request is processed but not persisted. The only valid value is All.',
  ),
  fieldManager: query('fieldManager', 'A name for the actor making the change, recorded in managedFields.'),
  fieldValidation: query(
    'fieldValidation',
    'How to treat fields the schema does not know: Ignore drops them, Warn drops them with a warning, Strict fails the request.',
  ),
  force: query(
    'force',
    'Apply requests only: take ownership of fields that conflict with other managers.',
    'boolean',
  ),
  name: (kind: string) => pathParam('name', `name of the ${kind}`),
  namespace: pathParam('namespace', 'object name and auth scope, such as for teams and projects'),
  list: [
    query('allowWatchBookmarks', 'Ask for BOOKMARK events in a watch.', 'boolean'),
    query('continue', 'The continue token of a previous, limited list call.'),
    query('fieldSelector', 'Return only objects whose fields match this selector.'),
    query('labelSelector', 'Return only objects whose labels match this selector.'),
    query('limit', 'The maximum number of objects to return in one call.', 'integer'),
    query('resourceVersion', 'The resource version the list or watch starts from.'),
    query('resourceVersionMatch', 'How resourceVersion applies to a list: Exact or NotOlderThan.'),
    query('sendInitialEvents', 'Start a watch with the current state as synthetic ADDED events.', 'boolean'),
    query('timeoutSeconds', 'Time limit for the list or watch call.', 'integer'),
    query('watch', 'Watch for changes and return them as a stream of events.', 'boolean'),
  ],
  delete: [
    query('gracePeriodSeconds', 'Seconds before the object is deleted; zero means now.', 'integer'),
    query(
      'ignoreStoreReadErrorWithClusterBreakingPotential',
      'Delete objects that can not be read.',
      'boolean',
    ),
    query('orphanDependents', 'Deprecated: use propagationPolicy.', 'boolean'),
    query(
      'propagationPolicy',
      'Whether and how dependents are garbage collected: Orphan, Background or Foreground.',
    ),
  ],
};

const MEDIA = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

function ok(schemaName: string, codes: string[] = ['200']): JsonSchema {
  const content = Object.fromEntries(MEDIA.map((m) => [m, { schema: ref(schemaName) }]));
  const responses: JsonSchema = Object.fromEntries(
    codes.map((c) => [
      c,
      { description: c === '201' ? 'Created' : c === '202' ? 'Accepted' : 'OK', content },
    ]),
  );
  responses['401'] = { description: 'Unauthorized' };
  return responses;
}

function body(schemaName: string, types = ['*/*']): JsonSchema {
  return { required: true, content: Object.fromEntries(types.map((t) => [t, { schema: ref(schemaName) }])) };
}

const PATCH_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

/** `Core`, `Apps`, `RbacAuthorization`, `Networking`: the group part of upstream operationIds. */
function groupWord(group: string): string {
  if (!group) return 'Core';
  const trimmed = group.endsWith('.k8s.io') ? group.slice(0, -'.k8s.io'.length) : group;
  return trimmed
    .split(/[.-]/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

function cap(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}

export function groupVersionPrefix(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/** Adds the paths of one resource (and its status/scale subresources) to `paths`. */
export function addResourcePaths(
  paths: Record<string, JsonSchema>,
  res: ResourceInfo,
  schemas: ResourceSchemas,
  scale?: { schema: string; gvk: GroupVersionKind },
): void {
  const gvk = { group: res.group, kind: res.kind, version: res.version };
  const ext = (action: string, kind = gvk) => ({
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: kind.group, kind: kind.kind, version: kind.version },
  });
  const base = groupVersionPrefix(res.group, res.version);
  const ns = res.namespaced ? 'Namespaced' : '';
  const idBase = `${groupWord(res.group)}${cap(res.version)}${ns}${res.kind}`;
  const tags = [`${groupWord(res.group).toLowerCase()}_${res.version}`];
  const collection = res.namespaced
    ? `${base}/namespaces/{namespace}/${res.resource}`
    : `${base}/${res.resource}`;
  const scope = res.namespaced ? [P.namespace] : [];
  const verbs = new Set(res.verbs);
  const writeParams = [P.dryRun, P.fieldManager, P.fieldValidation];

  const coll: JsonSchema = { parameters: [...scope, P.pretty] };
  if (verbs.has('list')) {
    coll.get = {
      operationId: `list${idBase}`,
      description: `list or watch objects of kind ${res.kind}`,
      tags,
      parameters: P.list,
      responses: ok(schemas.list),
      ...ext('list'),
    };
  }
  if (verbs.has('create')) {
    coll.post = {
      operationId: `create${idBase}`,
      description: `create a ${res.kind}`,
      tags,
      parameters: writeParams,
      requestBody: body(schemas.kind),
      responses: ok(schemas.kind, ['200', '201', '202']),
      ...ext('post'),
    };
  }
  if (verbs.has('deletecollection')) {
    coll.delete = {
      operationId: `deletecollection${idBase}`,
      description: `delete collection of ${res.kind}`,
      tags,
      parameters: [...P.list, ...P.delete, P.dryRun],
      requestBody: body(`${META}.DeleteOptions`),
      responses: ok(`${META}.Status`),
      ...ext('deletecollection'),
    };
  }
  if (coll.get || coll.post || coll.delete) paths[collection] = coll;

  if (res.namespaced && verbs.has('list')) {
    paths[`${base}/${res.resource}`] = {
      parameters: [P.pretty],
      get: {
        operationId: `list${groupWord(res.group)}${cap(res.version)}${res.kind}ForAllNamespaces`,
        description: `list or watch objects of kind ${res.kind}`,
        tags,
        parameters: P.list,
        responses: ok(schemas.list),
        ...ext('list'),
      },
    };
  }

  const item: JsonSchema = { parameters: [P.name(res.kind), ...scope, P.pretty] };
  if (verbs.has('get')) {
    item.get = {
      operationId: `read${idBase}`,
      description: `read the specified ${res.kind}`,
      tags,
      responses: ok(schemas.kind),
      ...ext('get'),
    };
  }
  if (verbs.has('update')) {
    item.put = {
      operationId: `replace${idBase}`,
      description: `replace the specified ${res.kind}`,
      tags,
      parameters: writeParams,
      requestBody: body(schemas.kind),
      responses: ok(schemas.kind, ['200', '201']),
      ...ext('put'),
    };
  }
  if (verbs.has('patch')) {
    item.patch = {
      operationId: `patch${idBase}`,
      description: `partially update the specified ${res.kind}`,
      tags,
      parameters: [...writeParams, P.force],
      requestBody: body(`${META}.Patch`, PATCH_TYPES),
      responses: ok(schemas.kind, ['200', '201']),
      ...ext('patch'),
    };
  }
  if (verbs.has('delete')) {
    item.delete = {
      operationId: `delete${idBase}`,
      description: `delete a ${res.kind}`,
      tags,
      parameters: [...P.delete, P.dryRun],
      requestBody: body(`${META}.DeleteOptions`),
      responses: ok(`${META}.Status`, ['200', '202']),
      ...ext('delete'),
    };
  }
  if (item.get || item.put || item.patch || item.delete) paths[`${collection}/{name}`] = item;

  for (const sub of res.subresources) {
    const target =
      sub === 'status' ? { schema: schemas.kind, gvk } : sub === 'scale' && scale ? scale : undefined;
    if (!target) continue; // streaming and action subresources have no schema to describe
    const id = `${idBase}${cap(sub)}`;
    paths[`${collection}/{name}/${sub}`] = {
      parameters: [P.name(res.kind), ...scope, P.pretty],
      get: {
        operationId: `read${id}`,
        description: `read ${sub} of the specified ${res.kind}`,
        tags,
        responses: ok(target.schema),
        ...ext('get', target.gvk),
      },
      put: {
        operationId: `replace${id}`,
        description: `replace ${sub} of the specified ${res.kind}`,
        tags,
        parameters: writeParams,
        requestBody: body(target.schema),
        responses: ok(target.schema, ['200', '201']),
        ...ext('put', target.gvk),
      },
      patch: {
        operationId: `patch${id}`,
        description: `partially update ${sub} of the specified ${res.kind}`,
        tags,
        parameters: [...writeParams, P.force],
        requestBody: body(`${META}.Patch`, PATCH_TYPES),
        responses: ok(target.schema, ['200', '201']),
        ...ext('patch', target.gvk),
      },
    };
  }
}
