import { describe, expect, it } from 'vitest';
import {
  applyStrategicMergePatch,
  type JsonObject,
  PatchError,
  strategicMergePatchSupported,
} from '../../../labs/apiserver/patch/index.ts';
import { DEPLOYMENT, POD, SERVICE, schema } from './fixtures.ts';

const smp = (original: unknown, patch: unknown, type = POD) =>
  applyStrategicMergePatch(original as JsonObject, patch, type, schema);

function error(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PatchError) return e;
    throw e;
  }
  throw new Error('expected a PatchError');
}

function pod(spec: JsonObject, metadata: JsonObject = {}): JsonObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...metadata }, spec };
}

const containers = (o: JsonObject) => (o.spec as any).containers;

describe('maps', () => {
  it('merge recursively; null deletes a key; new keys are added', () => {
    const live = pod(
      { nodeSelector: { disk: 'ssd', zone: 'a' }, restartPolicy: 'Always' },
      { labels: { app: 'web', tier: 'fe' } },
    );
    const out = smp(live, {
      metadata: { labels: { tier: null, env: 'prod' } },
      spec: { nodeSelector: { zone: 'b' } },
    });
    expect(out).toEqual(
      pod(
        { nodeSelector: { disk: 'ssd', zone: 'b' }, restartPolicy: 'Always' },
        { labels: { app: 'web', env: 'prod' } },
      ),
    );
  });

  it('never modify their inputs', () => {
    const live = pod({ containers: [{ name: 'a', image: 'x' }] });
    const patch = { spec: { containers: [{ name: 'a', image: 'y' }] } };
    const liveCopy = structuredClone(live);
    const patchCopy = structuredClone(patch);
    smp(live, patch);
    expect(live).toEqual(liveCopy);
    expect(patch).toEqual(patchCopy);
  });

  it('deleting a key that is not there is harmless, and a null patch changes nothing', () => {
    const live = pod({ restartPolicy: 'Always' });
    expect(smp(live, { spec: { dnsPolicy: null } })).toEqual(live);
    expect(smp(live, null)).toEqual(live);
  });

  it('$patch: replace replaces the map with the rest of the patch map', () => {
    const live = pod({ nodeSelector: { disk: 'ssd', zone: 'a' } });
    expect(smp(live, { spec: { nodeSelector: { $patch: 'replace', gpu: 'yes' } } })).toEqual(
      pod({ nodeSelector: { gpu: 'yes' } }),
    );
  });

  it('$patch: delete empties the map', () => {
    const live = pod({ nodeSelector: { disk: 'ssd' } });
    expect(smp(live, { spec: { nodeSelector: { $patch: 'delete' } } })).toEqual(pod({ nodeSelector: {} }));
  });

  it('$patch: merge on a map is refused, as upstream only knows replace and delete there', () => {
    const e = error(() =>
      smp(pod({ nodeSelector: { a: 'b' } }), { spec: { nodeSelector: { $patch: 'merge', c: 'd' } } }),
    );
    expect(e.code).toBe(500);
    expect(e.message).toBe('unknown patch type: merge in map: map[$patch:merge c:d]');
  });
});

describe('lists with patch strategy merge', () => {
  it('containers merge by name; a new item lands with the patch items, ahead of items only the live list has', () => {
    const live = pod({
      containers: [
        { name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }] },
        { name: 'log', image: 'busybox' },
      ],
    });
    const out = smp(live, {
      spec: {
        containers: [
          { name: 'web', image: 'nginx:2' },
          { name: 'sidecar', image: 'envoy' },
        ],
      },
    });
    expect(containers(out)).toEqual([
      { name: 'web', image: 'nginx:2', ports: [{ containerPort: 80 }] },
      { name: 'sidecar', image: 'envoy' },
      { name: 'log', image: 'busybox' },
    ]);
  });

  it('nested lists merge by their own keys: ports by containerPort, env by name, volumeMounts by mountPath', () => {
    const live = pod({
      containers: [
        {
          name: 'web',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          env: [{ name: 'A', value: '1' }],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
    });
    const out = smp(live, {
      spec: {
        containers: [
          {
            name: 'web',
            ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }],
            env: [{ name: 'A', value: '2' }],
            volumeMounts: [{ mountPath: '/data', readOnly: true }],
          },
        ],
      },
    });
    expect(containers(out)[0]).toEqual({
      name: 'web',
      ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 443 }],
      env: [{ name: 'A', value: '2' }],
      volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
    });
  });

  it('patch items come first in patch order and live-only items keep their place after the item they followed', () => {
    const live = pod({ containers: [{ name: 'a' }, { name: 'b', image: 'b' }, { name: 'c' }] });
    const out = smp(live, {
      spec: {
        containers: [
          { name: 'c', image: 'c' },
          { name: 'a', image: 'a' },
        ],
      },
    });
    expect(containers(out).map((c: any) => c.name)).toEqual(['b', 'c', 'a']);
  });

  it('$patch: delete removes the item with that key, duplicates included; a missing item is no error', () => {
    const live = pod({ containers: [{ name: 'a' }, { name: 'b' }, { name: 'a', image: 'dup' }] });
    const out = smp(live, {
      spec: {
        containers: [
          { name: 'a', $patch: 'delete' },
          { name: 'zz', $patch: 'delete' },
        ],
      },
    });
    expect(containers(out)).toEqual([{ name: 'b' }]);
  });

  it('$patch: replace makes the rest of the patch list the new list', () => {
    const live = pod({ containers: [{ name: 'a' }, { name: 'b' }] });
    expect(containers(smp(live, { spec: { containers: [{ $patch: 'replace' }, { name: 'c' }] } }))).toEqual([
      { name: 'c' },
    ]);
    expect(containers(smp(live, { spec: { containers: [{ $patch: 'replace' }] } }))).toEqual([]);
  });

  it('$patch: merge on a list item is refused like upstream', () => {
    const e = error(() =>
      smp(pod({ containers: [{ name: 'a' }] }), { spec: { containers: [{ $patch: 'merge', name: 'a' }] } }),
    );
    expect(e.code).toBe(500);
    expect(e.message).toBe('merging lists cannot yet be specified in the patch');
  });

  it('an item without its merge key is an error naming the key', () => {
    const e = error(() =>
      smp(pod({ containers: [{ name: 'a' }] }), { spec: { containers: [{ image: 'x' }] } }),
    );
    expect(e.code).toBe(500);
    expect(e.message).toBe('map: map[image:x] does not contain declared merge key: name');
  });

  it('other keyed lists: imagePullSecrets by name, hostAliases by ip, ownerReferences by uid, conditions by type', () => {
    const live = pod(
      { imagePullSecrets: [{ name: 'r1' }], hostAliases: [{ ip: '10.0.0.1', hostnames: ['a'] }] },
      { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1' }] },
    );
    (live as any).status = { conditions: [{ type: 'Ready', status: 'False' }] };
    const out = smp(live, {
      metadata: { ownerReferences: [{ uid: 'u1', controller: true }] },
      spec: { imagePullSecrets: [{ name: 'r2' }], hostAliases: [{ ip: '10.0.0.1', hostnames: ['b'] }] },
      status: {
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'Initialized', status: 'True' },
        ],
      },
    });
    expect((out.metadata as any).ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true },
    ]);
    expect((out.spec as any).imagePullSecrets).toEqual([{ name: 'r2' }, { name: 'r1' }]);
    expect((out.spec as any).hostAliases).toEqual([{ ip: '10.0.0.1', hostnames: ['b'] }]);
    expect((out as any).status.conditions).toEqual([
      { type: 'Ready', status: 'True' },
      { type: 'Initialized', status: 'True' },
    ]);
  });

  it('service ports merge by port', () => {
    const live = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [{ port: 80, targetPort: 8080 }] },
    };
    const out = smp(
      live,
      {
        spec: {
          ports: [
            { port: 80, name: 'http' },
            { port: 443, targetPort: 8443 },
          ],
        },
      },
      SERVICE,
    );
    expect((out.spec as any).ports).toEqual([
      { port: 80, targetPort: 8080, name: 'http' },
      { port: 443, targetPort: 8443 },
    ]);
  });
});

describe('primitive lists', () => {
  it('finalizers (merge, no key) become the union: patch values first, live-only values after', () => {
    const live = pod({}, { finalizers: ['a', 'b'] });
    expect((smp(live, { metadata: { finalizers: ['c', 'a'] } }).metadata as any).finalizers).toEqual([
      'c',
      'a',
      'b',
    ]);
  });

  it('$deleteFromPrimitiveList/<list> removes values; on a missing list it adds nothing', () => {
    const live = pod({}, { finalizers: ['a', 'b', 'c'] });
    const out = smp(live, { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'zz'] } });
    expect((out.metadata as any).finalizers).toEqual(['a', 'c']);
    const none = smp(pod({}), { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } });
    expect(none.metadata).toEqual({ name: 'p' });
  });

  it('a malformed parallel list key is a 400', () => {
    const e = error(() =>
      smp(pod({}, { finalizers: ['a'] }), { metadata: { $deleteFromPrimitiveListfinalizers: ['a'] } }),
    );
    expect(e.code).toBe(400);
    expect(e.message).toBe('invalid patch format of primitive list');
  });
});

describe('lists without a merge strategy', () => {
  it('are replaced: tolerations have no key, command is atomic', () => {
    const live = pod({
      tolerations: [{ key: 'a', operator: 'Exists' }],
      containers: [{ name: 'c', command: ['sh', '-c', 'sleep 1'] }],
    });
    const out = smp(live, {
      spec: {
        tolerations: [{ key: 'b', operator: 'Exists' }],
        containers: [{ name: 'c', command: ['true'] }],
      },
    });
    expect((out.spec as any).tolerations).toEqual([{ key: 'b', operator: 'Exists' }]);
    expect(containers(out)[0].command).toEqual(['true']);
  });
});

describe('$setElementOrder', () => {
  it('orders the merged list; items the order does not name keep their live position', () => {
    const live = pod({ containers: [{ name: 'a' }, { name: 'b' }, { name: 'x' }] });
    const out = smp(live, {
      spec: {
        '$setElementOrder/containers': [{ name: 'b' }, { name: 'c' }, { name: 'a' }],
        containers: [{ name: 'c' }],
      },
    });
    expect(containers(out).map((c: any) => c.name)).toEqual(['b', 'c', 'a', 'x']);
  });

  it('alone, it reorders without changing content', () => {
    const live = pod({
      containers: [
        { name: 'a', image: 'a' },
        { name: 'b', image: 'b' },
      ],
    });
    const out = smp(live, { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] } });
    expect(containers(out)).toEqual([
      { name: 'b', image: 'b' },
      { name: 'a', image: 'a' },
    ]);
  });

  it('with deletions and additions, a live-only item stays where the deleted one left room (upstream behaviour)', () => {
    const live = pod({
      containers: [{ name: 'one' }, { name: 'two', image: 'b' }, { name: 'four', image: 'c' }],
    });
    const out = smp(live, {
      spec: {
        '$setElementOrder/containers': [{ name: 'two' }, { name: 'three' }],
        containers: [{ name: 'three' }, { name: 'one', $patch: 'delete' }],
      },
    });
    expect(containers(out)).toEqual([
      { name: 'two', image: 'b' },
      { name: 'four', image: 'c' },
      { name: 'three' },
    ]);
  });

  it('a patch list whose order contradicts the directive is an error', () => {
    const live = pod({ containers: [{ name: 'a' }, { name: 'b' }] });
    const e = error(() =>
      smp(live, {
        spec: {
          '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }],
          containers: [{ name: 'b' }, { name: 'a' }],
        },
      }),
    );
    expect(e.code).toBe(500);
    expect(e.message).toContain("doesn't match $setElementOrder list");
  });

  it('works for primitive merge lists too', () => {
    const live = pod({}, { finalizers: ['a', 'b', 'c'] });
    const out = smp(live, {
      metadata: { '$setElementOrder/finalizers': ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] },
    });
    expect((out.metadata as any).finalizers).toEqual(['c', 'a']);
  });
});

describe('$retainKeys', () => {
  const deployment = (strategy: JsonObject) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: { replicas: 1, strategy },
  });

  it('clears the fields it does not list: switching a Deployment to Recreate drops rollingUpdate', () => {
    const live = deployment({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
    });
    const out = smp(live, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, DEPLOYMENT);
    expect((out.spec as any).strategy).toEqual({ type: 'Recreate' });
  });

  it('without the directive the same patch keeps rollingUpdate (what validation then rejects)', () => {
    const live = deployment({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } });
    const out = smp(live, { spec: { strategy: { type: 'Recreate' } } }, DEPLOYMENT);
    expect((out.spec as any).strategy).toEqual({ type: 'Recreate', rollingUpdate: { maxSurge: 1 } });
  });

  it('swaps a volume source inside a merged volume list item', () => {
    const live = pod({
      volumes: [
        { name: 'data', emptyDir: {} },
        { name: 'cfg', configMap: { name: 'c' } },
      ],
    });
    const out = smp(live, {
      spec: { volumes: [{ name: 'data', $retainKeys: ['hostPath', 'name'], hostPath: { path: '/srv' } }] },
    });
    expect((out.spec as any).volumes).toEqual([
      { name: 'data', hostPath: { path: '/srv' } },
      { name: 'cfg', configMap: { name: 'c' } },
    ]);
  });

  it('a patch field missing from the list is a 400', () => {
    const live = deployment({ type: 'RollingUpdate' });
    const e = error(() =>
      smp(
        live,
        { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: {} } } },
        DEPLOYMENT,
      ),
    );
    expect(e.code).toBe(400);
    expect(e.message).toBe('invalid patch format of retainKeys');
  });
});

describe('values copied into fields the object does not have', () => {
  it('lose their nulls and their $patch items', () => {
    const out = smp(pod({}), {
      spec: {
        initContainers: [
          { name: 'gone', $patch: 'delete' },
          { name: 'init', image: 'busybox', workingDir: null },
        ],
      },
    });
    expect((out.spec as any).initContainers).toEqual([{ name: 'init', image: 'busybox' }]);
  });

  it('do not leak directive keys into the stored object', () => {
    const live = pod({ containers: [{ name: 'a' }] });
    const out = smp(live, {
      spec: {
        '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }],
        containers: [
          { name: 'b', '$setElementOrder/env': [{ name: 'X' }], env: [{ name: 'X', value: '1' }] },
        ],
      },
    });
    expect(containers(out)).toEqual([{ name: 'a' }, { name: 'b', env: [{ name: 'X', value: '1' }] }]);
  });

  it('a field the type does not declare is copied as is (validation is the next step)', () => {
    expect((smp(pod({}), { spec: { colour: 'blue' } }).spec as any).colour).toBe('blue');
  });
});

describe('what kubectl sends', () => {
  // Captured from kubectl 1.32 `apply` after env B was removed and the port changed from 80 to 8080.
  const applyPatch = {
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'web' }],
          containers: [
            {
              '$setElementOrder/env': [{ name: 'A' }],
              '$setElementOrder/ports': [{ containerPort: 8080 }],
              env: [{ $patch: 'delete', name: 'B' }],
              name: 'web',
              ports: [{ containerPort: 8080 }, { $patch: 'delete', containerPort: 80 }],
            },
          ],
        },
      },
    },
  };
  const live = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              ports: [{ containerPort: 80, protocol: 'TCP' }],
            },
            { name: 'sidecar', image: 'envoy' },
          ],
        },
      },
    },
  };

  it('kubectl apply: env B deleted, port replaced, the sidecar another writer added is kept', () => {
    const out = smp(live, applyPatch, DEPLOYMENT);
    expect((out.spec as any).template.spec.containers).toEqual([
      { name: 'web', image: 'nginx', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 8080 }] },
      { name: 'sidecar', image: 'envoy' },
    ]);
  });

  it('kubectl rollout restart: only the template annotation changes', () => {
    const patch = {
      spec: {
        template: {
          metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' } },
        },
      },
    };
    const out = smp(live, patch, DEPLOYMENT);
    const expected = structuredClone(live) as any;
    expected.spec.template.metadata.annotations = {
      'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z',
    };
    expect(out).toEqual(expected);
  });
});

describe('types without a schema', () => {
  it('are not open to strategic merge patch (the server answers 415) but merge like a JSON merge patch', () => {
    expect(strategicMergePatchSupported('com.example.v1.Widget', schema)).toBe(false);
    expect(strategicMergePatchSupported(POD, schema)).toBe(true);
    const live = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      spec: { items: [{ name: 'a' }], size: 1, colour: 'red' },
    };
    const out = applyStrategicMergePatch(
      live,
      { spec: { items: [{ name: 'b' }], size: null } },
      'com.example.v1.Widget',
      schema,
    );
    expect(out).toEqual({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      spec: { items: [{ name: 'b' }], colour: 'red' },
    });
  });
});

describe('malformed patches', () => {
  it('a body that is not a JSON object is a 400 with the decoder message', () => {
    const e = error(() => smp(pod({}), [{ op: 'add' }]));
    expect(e.code).toBe(400);
    expect(e.reason).toBe('BadRequest');
    expect(e.message).toBe('json: cannot unmarshal array into Go value of type map[string]interface {}');
  });

  it('list element types must agree', () => {
    const e = error(() => smp(pod({}, { finalizers: ['a'] }), { metadata: { finalizers: [1] } }));
    expect(e.code).toBe(500);
    expect(e.message).toBe('list element types are not identical: [[a] [1]]');
  });

  it('a failure is a Status the HTTP layer can send as is', () => {
    const e = error(() =>
      smp(pod({ containers: [{ name: 'a' }] }), { spec: { containers: [{ image: 'x' }] } }),
    );
    expect(e.toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'map: map[image:x] does not contain declared merge key: name',
      code: 500,
    });
  });
});
