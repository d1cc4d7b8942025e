import { describe, expect, it } from 'vitest';
import {
  buildGroupVersionDocument,
  buildOpenAPIV3,
  documentHash,
  type JsonSchema,
  openAPIV3Response,
} from '../../../labs/apiserver/openapi/index.ts';
import type { ResourceInfo } from '../../../labs/store/resource-info.ts';
import { TEST_RESOURCES } from '../protobuf/kubectl-harness.ts';

type Any = Record<string, any>;

const apps = buildGroupVersionDocument('apps', 'v1', TEST_RESOURCES) as Any;
const core = buildGroupVersionDocument('', 'v1', TEST_RESOURCES) as Any;
const schemas = (doc: Any) => doc.components.schemas as Record<string, Any>;

function paramNames(op: Any): string[] {
  return (op.parameters ?? []).map((p: Any) => p.name);
}

describe('the /openapi/v3 index', () => {
  const api = buildOpenAPIV3(TEST_RESOURCES);

  it('lists one document per group version, each at a hashed server-relative URL', () => {
    expect(Object.keys(api.index.paths)).toEqual(
      expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/batch/v1', 'apis/example.com/v1']),
    );
    for (const [key, { serverRelativeURL }] of Object.entries(api.index.paths)) {
      const doc = api.documents.get(key);
      expect(serverRelativeURL).toBe(`/openapi/v3/${key}?hash=${doc?.hash}`);
      expect(doc?.hash).toMatch(/^[0-9A-F]{128}$/);
      expect(doc?.hash).toBe(documentHash(JSON.parse(doc?.json ?? '')));
    }
  });

  it('changes a hash exactly when its document changes', () => {
    const again = buildOpenAPIV3(TEST_RESOURCES);
    expect(again.index).toEqual(api.index);
    const statefulsets: ResourceInfo = {
      ...(TEST_RESOURCES.find((r) => r.resource === 'deployments') as ResourceInfo),
      resource: 'statefulsets',
      singular: 'statefulset',
      kind: 'StatefulSet',
      listKind: 'StatefulSetList',
    };
    const more = buildOpenAPIV3([...TEST_RESOURCES, statefulsets]);
    expect(more.index.paths['apis/apps/v1']).not.toEqual(api.index.paths['apis/apps/v1']);
    expect(more.index.paths['api/v1']).toEqual(api.index.paths['api/v1']);
  });

  it('answers the index, hashed documents (cacheable for good) and unknown documents', () => {
    const index = openAPIV3Response('/openapi/v3', api);
    expect(index?.status).toBe(200);
    expect(JSON.parse(index?.body ?? '')).toEqual(api.index);
    const hash = api.documents.get('apis/apps/v1')?.hash;
    const doc = openAPIV3Response('/openapi/v3/apis/apps/v1', api, `hash=${hash}&timeout=32s`);
    expect(doc?.headers['cache-control']).toBe('public, immutable');
    expect(JSON.parse(doc?.body ?? '').paths).toBeDefined();
    expect(openAPIV3Response('/openapi/v3/apis/nope/v1', api)?.status).toBe(404);
    expect(openAPIV3Response('/api/v1', api)).toBeUndefined();
  });
});

describe('group-version documents', () => {
  it('is an OpenAPI 3.0 document', () => {
    expect(apps.openapi).toBe('3.0.0');
    expect(apps.info.title).toBe('Kubernetes');
  });

  it('tags each operation with its action and group-version-kind, and offers the write parameters', () => {
    const collection = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments'];
    const gvk = { group: 'apps', kind: 'Deployment', version: 'v1' };
    expect(collection.post['x-kubernetes-group-version-kind']).toEqual(gvk);
    expect(collection.post['x-kubernetes-action']).toBe('post');
    expect(paramNames(collection.post)).toEqual(['dryRun', 'fieldManager', 'fieldValidation']);
    expect(collection.get['x-kubernetes-action']).toBe('list');
    expect(collection.delete['x-kubernetes-action']).toBe('deletecollection');
    expect(collection.post.requestBody.content['*/*'].schema.$ref).toBe(
      '#/components/schemas/io.k8s.api.apps.v1.Deployment',
    );

    const item = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
    expect(Object.keys(item).filter((k) => k !== 'parameters')).toEqual(['get', 'put', 'patch', 'delete']);
    expect(paramNames(item.patch)).toEqual(['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    expect(Object.keys(item.patch.requestBody.content)).toContain('application/strategic-merge-patch+json');
    expect(item.patch['x-kubernetes-group-version-kind']).toEqual(gvk);

    expect(apps.paths['/apis/apps/v1/deployments'].get['x-kubernetes-action']).toBe('list');
  });

  it('describes status and scale subresources, scale with the autoscaling/v1 kind', () => {
    const status = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status'];
    expect(status.patch['x-kubernetes-group-version-kind'].kind).toBe('Deployment');
    const scale = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
    expect(scale.put['x-kubernetes-group-version-kind']).toEqual({
      group: 'autoscaling',
      kind: 'Scale',
      version: 'v1',
    });
    expect(schemas(apps)['io.k8s.api.autoscaling.v1.Scale']).toBeDefined();
  });

  it('places cluster-scoped and create-only resources at their paths with only their verbs', () => {
    expect(core.paths['/api/v1/namespaces/{name}'].get['x-kubernetes-group-version-kind'].kind).toBe(
      'Namespace',
    );
    expect(core.paths['/api/v1/pods']).toBeDefined(); // pods across all namespaces
    expect(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/log']).toBeUndefined();
    const authz = buildGroupVersionDocument('authorization.k8s.io', 'v1', TEST_RESOURCES) as Any;
    const ssar = authz.paths['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'];
    expect(Object.keys(ssar)).toEqual(['parameters', 'post']);
    expect(authz.paths['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews/{name}']).toBeUndefined();
  });

  it('carries the patch, list and kind extensions in component schemas', () => {
    const s = schemas(apps);
    expect(s['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', kind: 'Deployment', version: 'v1' },
    ]);
    const containers = s['io.k8s.api.core.v1.PodSpec'].properties.containers;
    expect(containers).toMatchObject({
      type: 'array',
      items: { $ref: '#/components/schemas/io.k8s.api.core.v1.Container' },
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    });
    expect(s['io.k8s.api.core.v1.PodSpec'].properties.volumes['x-kubernetes-patch-strategy']).toBe(
      'merge,retainKeys',
    );
    expect(s['io.k8s.api.core.v1.Container'].properties.ports['x-kubernetes-list-map-keys']).toEqual([
      'containerPort',
      'protocol',
    ]);
    expect(s['io.k8s.api.core.v1.Container'].required).toEqual(['name']);
    expect(s['io.k8s.api.core.v1.PodSpec'].properties.nodeSelector).toEqual({
      type: 'object',
      additionalProperties: { type: 'string' },
    });
    expect(s['io.k8s.api.core.v1.ResourceRequirements'].properties.limits.additionalProperties.$ref).toBe(
      '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity',
    );
  });

  it('flattens embedded structs into their parents', () => {
    const probe = schemas(apps)['io.k8s.api.core.v1.Probe'].properties;
    expect(Object.keys(probe)).toEqual(
      expect.arrayContaining(['httpGet', 'exec', 'tcpSocket', 'grpc', 'periodSeconds']),
    );
    expect(probe.handler).toBeUndefined();
    expect(schemas(apps)['io.k8s.api.core.v1.ProbeHandler']).toBeUndefined();
  });

  it('describes value formats: int-or-string, quantity, date-time, byte', () => {
    const s = schemas(core);
    expect(s['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({
      format: 'int-or-string',
      oneOf: [{ type: 'integer' }, { type: 'string' }],
    });
    expect(s['io.k8s.apimachinery.pkg.api.resource.Quantity']).toMatchObject({ format: 'quantity' });
    expect(s['io.k8s.apimachinery.pkg.apis.meta.v1.Time']).toMatchObject({
      type: 'string',
      format: 'date-time',
    });
    expect(s['io.k8s.api.core.v1.Secret'].properties.data.additionalProperties).toEqual({
      type: 'string',
      format: 'byte',
    });
  });

  it('describes kinds without a TypeDef as objects that keep unknown fields', () => {
    const doc = buildGroupVersionDocument('example.com', 'v1', TEST_RESOURCES) as Any;
    const widget = schemas(doc)['com.example.v1.Widget'];
    expect(widget['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect(widget['x-kubernetes-group-version-kind']).toEqual([
      { group: 'example.com', kind: 'Widget', version: 'v1' },
    ]);
    expect(schemas(doc)['com.example.v1.WidgetList'].properties.items.items.$ref).toBe(
      '#/components/schemas/com.example.v1.Widget',
    );
    expect(
      doc.paths['/apis/example.com/v1/namespaces/{namespace}/widgets'].post[
        'x-kubernetes-group-version-kind'
      ],
    ).toEqual({ group: 'example.com', kind: 'Widget', version: 'v1' });
  });

  it('resolves every $ref inside the same document', () => {
    for (const key of [
      'api/v1',
      'apis/apps/v1',
      'apis/rbac.authorization.k8s.io/v1',
      'apis/example.com/v1',
    ]) {
      const [, group, version] = key.startsWith('api/') ? ['', '', 'v1'] : key.split('/');
      const doc = buildGroupVersionDocument(group, version, TEST_RESOURCES) as Any;
      const refs: string[] = [];
      const walk = (v: unknown) => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object') {
          for (const [k, x] of Object.entries(v as JsonSchema)) {
            if (k === '$ref') refs.push(x as string);
            else walk(x);
          }
        }
      };
      walk(doc);
      expect(refs.length).toBeGreaterThan(0);
      for (const r of refs)
        expect(schemas(doc)[r.replace('#/components/schemas/', '')], `${key}: ${r}`).toBeDefined();
    }
  });
});
