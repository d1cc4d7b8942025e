/**
 * The patch engines driven by the project's real type schema (labs/apiserver/schema), not the
 * inline fixtures: merge keys, inline structs and list types come from the k8s.io/api data there.
 */
import { describe, expect, it } from 'vitest';
import {
  applyStrategicMergePatch,
  computeStrategicMergePatch,
  type JsonObject,
  serverSideApply,
  strategicMergePatchSupported,
} from '../../../labs/apiserver/patch/index.ts';
import { k8sSchema } from '../../../labs/apiserver/schema/index.ts';

const POD = 'io.k8s.api.core.v1.Pod';
const SERVICE = 'io.k8s.api.core.v1.Service';
const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';

function pod(spec: JsonObject): JsonObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec };
}

describe('with the real schema', () => {
  it('every known kind takes strategic merge patches; a custom resource does not', () => {
    expect(strategicMergePatchSupported(POD, k8sSchema)).toBe(true);
    expect(strategicMergePatchSupported(DEPLOYMENT, k8sSchema)).toBe(true);
    expect(strategicMergePatchSupported('com.example.v1.Widget', k8sSchema)).toBe(false);
  });

  it('merges containers, env and ports by their merge keys', () => {
    const live = pod({
      containers: [
        {
          name: 'web',
          image: 'nginx',
          env: [{ name: 'A', value: '1' }],
          ports: [{ containerPort: 80, protocol: 'TCP' }],
        },
      ],
    });
    const out = applyStrategicMergePatch(
      live,
      {
        spec: {
          containers: [
            { name: 'web', env: [{ name: 'B', value: '2' }], ports: [{ containerPort: 80, name: 'http' }] },
          ],
        },
      },
      POD,
      k8sSchema,
    );
    expect((out.spec as any).containers[0]).toEqual({
      name: 'web',
      image: 'nginx',
      env: [
        { name: 'B', value: '2' },
        { name: 'A', value: '1' },
      ],
      ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }],
    });
  });

  it('resolves the fields of inline structs: a volume source swapped with $retainKeys', () => {
    const live = pod({ containers: [{ name: 'c' }], volumes: [{ name: 'data', emptyDir: {} }] });
    const out = applyStrategicMergePatch(
      live,
      {
        spec: {
          volumes: [
            {
              $retainKeys: ['name', 'persistentVolumeClaim'],
              name: 'data',
              persistentVolumeClaim: { claimName: 'pvc' },
            },
          ],
        },
      },
      POD,
      k8sSchema,
    );
    expect((out.spec as any).volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'pvc' } },
    ]);
  });

  it('tolerations are atomic: a patch replaces them', () => {
    const live = pod({ containers: [{ name: 'c' }], tolerations: [{ key: 'a', operator: 'Exists' }] });
    const out = applyStrategicMergePatch(
      live,
      { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } },
      POD,
      k8sSchema,
    );
    expect((out.spec as any).tolerations).toEqual([{ key: 'b', operator: 'Exists' }]);
  });

  it('a Deployment strategy change with $retainKeys comes out of the diff and goes back in', () => {
    const a = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } } },
    };
    const b = { ...a, spec: { strategy: { type: 'Recreate' } } };
    const patch = computeStrategicMergePatch(a, b, DEPLOYMENT, k8sSchema);
    expect(patch).toEqual({
      spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } },
    });
    expect(applyStrategicMergePatch(a, patch, DEPLOYMENT, k8sSchema)).toEqual(b);
  });

  it('server-side apply keys service ports by port and protocol, and container ports by containerPort and protocol', () => {
    const svc = serverSideApply(
      undefined,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 's' },
        spec: { ports: [{ port: 80, targetPort: 8080 }] },
      },
      { manager: 'kubectl', schema: k8sSchema, typeName: SERVICE, now: '2025-01-01T00:00:00Z' },
    );
    expect((svc.object!.metadata as any).managedFields[0].fieldsV1).toEqual({
      'f:spec': {
        'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:targetPort': {} } },
      },
    });

    const p = serverSideApply(
      undefined,
      pod({ containers: [{ name: 'c', ports: [{ containerPort: 53, protocol: 'UDP' }] }] }),
      {
        manager: 'kubectl',
        schema: k8sSchema,
        typeName: POD,
        now: '2025-01-01T00:00:00Z',
      },
    );
    const c = (p.object!.metadata as any).managedFields[0].fieldsV1['f:spec']['f:containers'][
      'k:{"name":"c"}'
    ];
    expect(Object.keys(c['f:ports'])).toEqual(['k:{"containerPort":53,"protocol":"UDP"}']);
  });
});
