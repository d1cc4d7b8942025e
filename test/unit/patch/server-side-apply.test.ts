import { describe, expect, it } from 'vitest';
import {
  type ApplyOptions,
  type JsonObject,
  PatchError,
  recordUpdate,
  serverSideApply,
} from '../../../labs/apiserver/patch/index.ts';
import { DEPLOYMENT, SERVICE, schema } from './fixtures.ts';

const T0 = '2025-01-01T00:00:00Z';
const T1 = '2025-01-01T00:05:00Z';
const T2 = '2025-01-01T00:10:00Z';

const opts = (manager: string, now = T0, extra: Partial<ApplyOptions> = {}): ApplyOptions => ({
  manager,
  schema,
  typeName: DEPLOYMENT,
  now,
  ...extra,
});

interface Shape {
  replicas?: number;
  labels?: Record<string, string>;
  image?: string;
  env?: JsonObject[];
  ports?: JsonObject[];
}

/** A Deployment manifest as a user would apply it. */
function manifest({
  replicas = 2,
  labels = { app: 'web' },
  image = 'nginx:1.25',
  env,
  ports,
}: Shape = {}): JsonObject {
  const c: JsonObject = { name: 'web', image };
  if (env) c.env = env;
  if (ports) c.ports = ports;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [c] } },
    },
  };
}

/** Stores an apply result the way the registry would: uid and resourceVersion set. */
function stored(o: JsonObject | undefined): JsonObject {
  const c = structuredClone(o!);
  (c.metadata as any).uid ??= 'uid-1';
  (c.metadata as any).resourceVersion = '7';
  return c;
}

const entries = (o: JsonObject) => ((o.metadata as any).managedFields ?? []) as any[];
const entry = (o: JsonObject, manager: string) => entries(o).find((e) => e.manager === manager);
const webContainer = (o: JsonObject) => (o.spec as any).template.spec.containers[0];

describe('server-side apply: ownership', () => {
  it('creating by apply records one Apply entry holding exactly the applied fields', () => {
    const r = serverSideApply(undefined, manifest({ ports: [{ containerPort: 80 }] }), opts('kubectl'));
    expect(r.conflicts).toEqual([]);
    expect(r.changed).toBe(true);
    expect(entries(r.object!)).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            // LabelSelector is atomic: owned as one value.
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': {
                'f:containers': {
                  'k:{"name":"web"}': {
                    '.': {},
                    'f:image': {},
                    'f:name': {},
                    'f:ports': {
                      // The key includes the protocol the server defaults.
                      'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ]);
    expect(r.object!.spec).toEqual(manifest({ ports: [{ containerPort: 80 }] }).spec);
  });

  it('fields the applier applied before and leaves out now are removed', () => {
    const first = serverSideApply(
      undefined,
      manifest({
        labels: { app: 'web', tier: 'fe' },
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
      }),
      opts('kubectl'),
    );
    const r = serverSideApply(
      stored(first.object),
      manifest({ env: [{ name: 'A', value: '1' }] }),
      opts('kubectl', T1),
    );
    expect((r.object!.metadata as any).labels).toEqual({ app: 'web' });
    expect(webContainer(r.object!).env).toEqual([{ name: 'A', value: '1' }]);
    expect(entry(r.object!, 'kubectl').time).toBe(T1);
  });

  it('a field another manager also owns survives when the applier leaves it out', () => {
    const first = serverSideApply(
      undefined,
      manifest({ labels: { app: 'web', tier: 'fe' } }),
      opts('kubectl'),
    );
    const shared = serverSideApply(stored(first.object), manifest({ labels: { tier: 'fe' } }), opts('helm'));
    expect(shared.conflicts).toEqual([]);
    const r = serverSideApply(
      stored(shared.object),
      manifest({ labels: { app: 'web' } }),
      opts('kubectl', T1),
    );
    expect((r.object!.metadata as any).labels).toEqual({ app: 'web', tier: 'fe' });
    expect(entry(r.object!, 'helm').fieldsV1['f:metadata']).toEqual({ 'f:labels': { 'f:tier': {} } });
  });

  it('applying the value another manager set is no conflict; both then own the field', () => {
    const created = recordUpdate(undefined, manifest({ replicas: 3 }), opts('kubectl-create'));
    const r = serverSideApply(stored(created), manifest({ replicas: 3 }), opts('kubectl'));
    expect(r.conflicts).toEqual([]);
    expect(entry(r.object!, 'kubectl').fieldsV1['f:spec']).toHaveProperty('f:replicas');
    expect(entry(r.object!, 'kubectl-create').fieldsV1['f:spec']).toHaveProperty('f:replicas');
  });

  it('items another writer added to a keyed list are kept; applied items merge in applied order', () => {
    const first = serverSideApply(undefined, manifest({ env: [{ name: 'A', value: '1' }] }), opts('kubectl'));
    const edited = structuredClone(stored(first.object)) as any;
    edited.spec.template.spec.containers[0].env.unshift({ name: 'INJECTED', value: 'x' });
    const live = recordUpdate(stored(first.object), edited, opts('injector', T1));
    const r = serverSideApply(
      stored(live),
      manifest({
        env: [
          { name: 'A', value: '2' },
          { name: 'B', value: '3' },
        ],
      }),
      opts('kubectl', T2),
    );
    expect(webContainer(r.object!).env).toEqual([
      { name: 'INJECTED', value: 'x' },
      { name: 'A', value: '2' },
      { name: 'B', value: '3' },
    ]);
  });
});

describe('server-side apply: conflicts', () => {
  const scaled = () => {
    const created = serverSideApply(undefined, manifest(), opts('kubectl')).object!;
    const next = structuredClone(stored(created)) as any;
    next.spec.replicas = 5;
    return recordUpdate(stored(created), next, opts('kubectl-scale', T1));
  };

  it('changing a field another manager owns fails with the server 409 and leaves the object alone', () => {
    const live = scaled();
    const r = serverSideApply(live, manifest({ replicas: 3 }), opts('kubectl', T2));
    expect(r.object).toEqual(live);
    expect(r.changed).toBe(false);
    expect(r.conflicts).toEqual([
      {
        manager: '"kubectl-scale" using apps/v1',
        managerName: 'kubectl-scale',
        operation: 'Update',
        apiVersion: 'apps/v1',
        path: '.spec.replicas',
      },
    ]);
    expect(r.error).toBeInstanceOf(PatchError);
    expect(r.error!.toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas',
      reason: 'Conflict',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kubectl-scale" using apps/v1',
            field: '.spec.replicas',
          },
        ],
      },
      code: 409,
    });
  });

  it('force takes the field: the other manager loses it, and its entry goes when it owns nothing', () => {
    const r = serverSideApply(scaled(), manifest({ replicas: 3 }), opts('kubectl', T2, { force: true }));
    expect(r.conflicts).toEqual([]);
    expect((r.object!.spec as any).replicas).toBe(3);
    expect(entries(r.object!).map((e) => e.manager)).toEqual(['kubectl']);
    expect(entry(r.object!, 'kubectl').fieldsV1['f:spec']).toHaveProperty('f:replicas');
  });

  it('lists every conflict, grouped by manager', () => {
    const created = recordUpdate(undefined, manifest(), opts('kubectl-client-side-apply'));
    const r = serverSideApply(stored(created), manifest({ replicas: 4, image: 'nginx:2' }), opts('kubectl'));
    expect(r.error!.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n' +
        '- .spec.replicas\n' +
        '- .spec.template.spec.containers[name="web"].image',
    );
  });

  it('kubectl upgrading from client-side apply is not blocked where the live value still matches last-applied', () => {
    const applied = manifest();
    const live = recordUpdate(
      undefined,
      {
        ...applied,
        metadata: {
          ...(applied.metadata as JsonObject),
          uid: 'uid-1',
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied) },
        },
      },
      opts('kubectl-client-side-apply'),
    );
    const r = serverSideApply(live, manifest({ replicas: 6 }), opts('kubectl', T1));
    expect(r.conflicts).toEqual([]);
    expect((r.object!.spec as any).replicas).toBe(6);
    const annotation = (r.object!.metadata as any).annotations[
      'kubectl.kubernetes.io/last-applied-configuration'
    ];
    expect(JSON.parse(annotation).spec.replicas).toBe(6);
    // Another field manager name gets no such pass.
    expect(serverSideApply(live, manifest({ replicas: 6 }), opts('my-tool', T1)).conflicts).toHaveLength(1);
  });
});

describe('server-side apply: details', () => {
  it('an apply that changes nothing keeps the object and the timestamps', () => {
    const first = stored(serverSideApply(undefined, manifest(), opts('kubectl')).object);
    const r = serverSideApply(first, manifest(), opts('kubectl', T2));
    expect(r.changed).toBe(false);
    expect(r.object).toEqual(first);
  });

  it('service ports are keyed by port and protocol, so the same port on UDP is another item', () => {
    const svc = (ports: JsonObject[]) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports },
    });
    const o = { ...opts('kubectl'), typeName: SERVICE };
    const first = serverSideApply(undefined, svc([{ port: 53, targetPort: 5353 }]), o);
    const r = serverSideApply(
      stored(first.object),
      svc([
        { port: 53, targetPort: 5353 },
        { port: 53, protocol: 'UDP' },
      ]),
      o,
    );
    expect((r.object!.spec as any).ports).toEqual([
      { port: 53, targetPort: 5353 },
      { port: 53, protocol: 'UDP' },
    ]);
    expect(Object.keys(entry(r.object!, 'kubectl').fieldsV1['f:spec']['f:ports'])).toEqual([
      'k:{"port":53,"protocol":"TCP"}',
      'k:{"port":53,"protocol":"UDP"}',
    ]);
  });

  it('an existing object without managedFields gets its fields attributed to before-first-apply', () => {
    const untracked = stored(manifest({ labels: { app: 'web', tier: 'fe' } }));
    const r = serverSideApply(untracked, manifest(), opts('kubectl'));
    // tier belongs to the synthetic earlier writer, so leaving it out does not remove it.
    expect((r.object!.metadata as any).labels).toEqual({ app: 'web', tier: 'fe' });
    expect(entries(r.object!).map((e) => [e.manager, e.operation])).toEqual([
      ['kubectl', 'Apply'],
      ['before-first-apply', 'Update'],
    ]);
  });

  it('reset fields (status on the main resource) are neither applied nor owned', () => {
    const withStatus = { ...manifest(), status: { replicas: 9 } };
    const r = serverSideApply(undefined, withStatus, opts('kubectl', T0, { resetFields: [['status']] }));
    expect(r.object!.status).toBeUndefined();
    expect(entry(r.object!, 'kubectl').fieldsV1).not.toHaveProperty('f:status');
  });

  it('an applied configuration carrying managedFields is a 400', () => {
    const bad = manifest();
    (bad.metadata as any).managedFields = [];
    expect(() => serverSideApply(undefined, bad, opts('kubectl'))).toThrowError(
      'metadata.managedFields must be nil',
    );
  });
});

describe('recordUpdate: ownership by ordinary writes', () => {
  it('a create records one Update entry; new maps, optional lists and list items carry "."', () => {
    const o = recordUpdate(
      undefined,
      manifest({ ports: [{ containerPort: 80, protocol: 'TCP' }] }),
      opts('kubectl-create'),
    );
    expect(entries(o)).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
              'f:spec': {
                'f:containers': {
                  'k:{"name":"web"}': {
                    '.': {},
                    'f:image': {},
                    'f:name': {},
                    'f:ports': {
                      '.': {},
                      'k:{"containerPort":80,"protocol":"TCP"}': {
                        '.': {},
                        'f:containerPort': {},
                        'f:protocol': {},
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ]);
  });

  it('a write takes the fields it changes; untouched managers keep their fields and time', () => {
    const created = stored(recordUpdate(undefined, manifest(), opts('kubectl-create')));
    const next = structuredClone(created) as any;
    next.spec.replicas = 4;
    next.metadata.labels.team = 'a';
    const o = recordUpdate(created, next, opts('kubectl-edit', T1));
    expect(entries(o).map((e) => [e.manager, e.time])).toEqual([
      ['kubectl-create', T0],
      ['kubectl-edit', T1],
    ]);
    expect(entry(o, 'kubectl-edit').fieldsV1).toEqual({
      'f:metadata': { 'f:labels': { 'f:team': {} } },
      'f:spec': { 'f:replicas': {} },
    });
    expect(entry(o, 'kubectl-create').fieldsV1['f:spec']).not.toHaveProperty('f:replicas');
  });

  it('a write that changes nothing adds no entry', () => {
    const created = stored(recordUpdate(undefined, manifest(), opts('kubectl-create')));
    expect(
      entries(recordUpdate(created, structuredClone(created), opts('kubectl-edit', T1))).map(
        (e) => e.manager,
      ),
    ).toEqual(['kubectl-create']);
  });

  it('an object that exists untracked stays untracked', () => {
    const untracked = stored(manifest());
    const next = structuredClone(untracked) as any;
    next.spec.replicas = 9;
    expect(
      (recordUpdate(untracked, next, opts('kubectl-edit')).metadata as any).managedFields,
    ).toBeUndefined();
  });

  it('managedFields sent by the client replace the stored ones', () => {
    const created = stored(recordUpdate(undefined, manifest(), opts('kubectl-create')));
    const next = structuredClone(created) as any;
    next.metadata.managedFields = [
      {
        manager: 'someone',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      },
    ];
    expect(entries(recordUpdate(created, next, opts('kubectl-edit', T1))).map((e) => e.manager)).toEqual([
      'someone',
    ]);
  });

  it('more than ten update managers are folded, oldest first, into ancient-changes', () => {
    let o = stored(recordUpdate(undefined, manifest(), opts('m0')));
    for (let i = 1; i <= 11; i++) {
      const next = structuredClone(o) as any;
      next.metadata.labels[`l${i}`] = 'x';
      o = recordUpdate(o, next, opts(`m${i}`, `2025-01-01T00:${String(i).padStart(2, '0')}:00Z`));
    }
    const names = entries(o).map((e) => e.manager);
    expect(names).toHaveLength(10);
    expect(names).toContain('ancient-changes');
    expect(names).not.toContain('m0');
    expect(names).not.toContain('m1');
    expect(names).toContain('m11');
  });
});
