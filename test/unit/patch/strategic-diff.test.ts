import { describe, expect, it } from 'vitest';
import {
  applyStrategicMergePatch,
  computeStrategicMergePatch,
  type JsonObject,
} from '../../../labs/apiserver/patch/index.ts';
import { DEPLOYMENT, POD, schema } from './fixtures.ts';

const diff = (a: unknown, b: unknown, type = POD) =>
  computeStrategicMergePatch(a as JsonObject, b as JsonObject, type, schema);

function pod(spec: JsonObject, metadata: JsonObject = {}): JsonObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...metadata }, spec };
}

describe('two-way strategic merge patch', () => {
  it('is empty when nothing changed', () => {
    const p = pod({ containers: [{ name: 'a', image: 'x' }] }, { labels: { app: 'a' } });
    expect(diff(p, structuredClone(p))).toEqual({});
  });

  it('sets changed and added fields and nulls removed ones', () => {
    const a = pod(
      { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' },
      { labels: { app: 'a', tier: 'fe' } },
    );
    const b = pod({ restartPolicy: 'Never', hostNetwork: true }, { labels: { app: 'a' } });
    expect(diff(a, b)).toEqual({
      metadata: { labels: { tier: null } },
      spec: { dnsPolicy: null, hostNetwork: true, restartPolicy: 'Never' },
    });
  });

  it('describes merge-list changes with changed items, $patch: delete items and $setElementOrder', () => {
    const a = pod({ containers: [{ name: 'a', image: '1' }, { name: 'b' }, { name: 'c' }] });
    const b = pod({ containers: [{ name: 'c' }, { name: 'a', image: '2' }, { name: 'd' }] });
    expect(diff(a, b)).toEqual({
      spec: {
        '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'd' }],
        containers: [{ image: '2', name: 'a' }, { name: 'd' }, { $patch: 'delete', name: 'b' }],
      },
    });
  });

  it('describes primitive merge lists with $deleteFromPrimitiveList', () => {
    const a = pod({}, { finalizers: ['x', 'y', 'z'] });
    const b = pod({}, { finalizers: ['x', 'z', 'w'] });
    expect(diff(a, b)).toEqual({
      metadata: {
        '$deleteFromPrimitiveList/finalizers': ['y'],
        '$setElementOrder/finalizers': ['x', 'z', 'w'],
        finalizers: ['w'],
      },
    });
  });

  it('sends whole lists that have no merge strategy', () => {
    const a = pod({ tolerations: [{ key: 'a' }, { key: 'b' }] });
    const b = pod({ tolerations: [{ key: 'b' }] });
    expect(diff(a, b)).toEqual({ spec: { tolerations: [{ key: 'b' }] } });
  });

  it('adds $retainKeys for fields with the retainKeys strategy', () => {
    const dep = (strategy: JsonObject) => ({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { strategy } });
    const a = dep({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } });
    const b = dep({ type: 'Recreate' });
    expect(diff(a, b, DEPLOYMENT)).toEqual({
      spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } },
    });
  });

  it('applied to the original, gives back the modified object', () => {
    const a = pod(
      {
        containers: [
          {
            name: 'web',
            image: 'nginx:1',
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
            ports: [{ containerPort: 80 }],
          },
          { name: 'log', image: 'busybox' },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
        tolerations: [{ key: 'k' }],
      },
      { labels: { app: 'web' }, finalizers: ['a', 'b'] },
    );
    const b = pod(
      {
        containers: [
          { name: 'sidecar', image: 'envoy' },
          {
            name: 'web',
            image: 'nginx:2',
            env: [{ name: 'B', value: '3' }],
            ports: [{ containerPort: 8080 }],
          },
        ],
        volumes: [{ name: 'data', hostPath: { path: '/srv' } }],
      },
      { labels: { app: 'web', env: 'prod' }, finalizers: ['b', 'c'] },
    );
    const patch = diff(a, b);
    expect(applyStrategicMergePatch(a, patch, POD, schema)).toEqual(b);
  });
});
