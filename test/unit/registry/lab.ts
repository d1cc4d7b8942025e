/** A store with every built-in kind and a lab-like cluster context, as the control plane builds it. */
import { ApiError } from '../../../labs/kube/errors.ts';
import type { KObject } from '../../../labs/kube/object.ts';
import { builtinKinds } from '../../../labs/registry/index.ts';
import type { ClusterContext, KindDefinition } from '../../../labs/registry/strategy.ts';
import { CidrAllocator, PortRangeAllocator } from '../../../labs/store/allocators.ts';
import { KindRegistry } from '../../../labs/store/kind-registry.ts';
import { ObjectStore } from '../../../labs/store/store.ts';

export const T0 = Date.parse('2025-03-01T10:00:00Z');

export function newLab() {
  let now = T0;
  const ctx: ClusterContext = {
    serviceCIDR: '10.96.0.0/12',
    nodePortRange: [30000, 32767],
    clusterDomain: 'cluster.local',
    allocators: {
      clusterIP: new CidrAllocator('10.96.0.0/12', 0.25),
      nodePort: new PortRangeAllocator(30000, 32767, 0.25),
    },
    now: () => now,
  };
  const kinds = new KindRegistry();
  for (const def of builtinKinds()) kinds.register(def);
  const store = new ObjectStore(kinds, ctx);
  const kind = (group: string, resource: string): KindDefinition => {
    const def = kinds.byResource(group, resource);
    if (!def) throw new Error(`no kind ${resource}.${group}`);
    return def;
  };
  store.create(kind('', 'namespaces'), {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'default' },
  });
  return {
    store,
    ctx,
    kinds,
    kind,
    /** Move the lab clock forward. */
    advance(ms: number) {
      now += ms;
    },
    row(def: KindDefinition, obj: KObject): unknown[] {
      return def.strategy.table!.cells(obj, ctx);
    },
    /** Column headers as kubectl prints them (upper-cased), with `-o wide` columns when asked. */
    headers(def: KindDefinition, wide = false): string[] {
      return def.strategy
        .table!.columns.filter((c) => wide || c.priority === 0)
        .map((c) => c.name.toUpperCase());
    },
  };
}

/** The message of the ApiError `fn` throws (fails the test when it does not throw one). */
export function errorOf(fn: () => unknown): { message: string; code: number; reason: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return { message: e.message, code: e.code, reason: e.reason };
    throw e;
  }
  throw new Error('expected an ApiError, but the call succeeded');
}

export function obj(
  apiVersion: string,
  kind: string,
  name: string,
  body: Record<string, unknown> = {},
  meta: Record<string, unknown> = {},
): KObject {
  return { apiVersion, kind, metadata: { name, ...meta }, ...body };
}
