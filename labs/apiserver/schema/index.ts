/**
 * The Kubernetes type schema: every TypeDef svc-labs knows, with the lookups its consumers need.
 */
import { appsTypes } from './data/apps.ts';
import { authenticationTypes } from './data/authentication.ts';
import { authorizationTypes } from './data/authorization.ts';
import { autoscalingTypes } from './data/autoscaling.ts';
import { batchTypes } from './data/batch.ts';
import { coordinationTypes } from './data/coordination.ts';
import { coreTypes } from './data/core.ts';
import { corePodTypes } from './data/core-pod.ts';
import { coreStorageTypes } from './data/core-storage.ts';
import { discoveryTypes } from './data/discovery.ts';
import { metaTypes } from './data/meta.ts';
import { networkingTypes } from './data/networking.ts';
import { policyTypes } from './data/policy.ts';
import { rbacTypes } from './data/rbac.ts';
import { runtimeTypes } from './data/runtime.ts';
import { schedulingTypes } from './data/scheduling.ts';
import { SCALARS } from './define.ts';
import { gvkKey, indexKinds, kindOfType, SHARED_META_KINDS } from './kinds.ts';
import type { FieldDef, GroupVersionKind, TypeDef, TypeSchema } from './types.ts';

export { gvkKey, kindOfType } from './kinds.ts';
export type { FieldDef, GroupVersionKind, Scalar, TypeDef, TypeSchema } from './types.ts';

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export const ALL_TYPES: readonly TypeDef[] = [
  ...runtimeTypes,
  ...metaTypes,
  ...corePodTypes,
  ...coreStorageTypes,
  ...coreTypes,
  ...appsTypes,
  ...batchTypes,
  ...rbacTypes,
  ...discoveryTypes,
  ...coordinationTypes,
  ...authorizationTypes,
  ...authenticationTypes,
  ...autoscalingTypes,
  ...policyTypes,
  ...networkingTypes,
  ...schedulingTypes,
];

export function isScalar(type: string): boolean {
  return SCALARS.has(type);
}

/** Builds a TypeSchema over a set of types; throws if a field refers to a type not in the set. */
export function createSchema(types: readonly TypeDef[]): TypeSchema {
  const byName = new Map(types.map((t) => [t.name, t]));
  for (const t of types) {
    for (const f of t.fields) {
      if (!isScalar(f.type) && !byName.has(f.type)) {
        throw new Error(`${t.name}.${f.name} refers to unknown type ${f.type}`);
      }
    }
  }
  const byKind = indexKinds(types);
  const jsonFieldCache = new Map<string, Map<string, FieldDef>>();
  const schema: TypeSchema = {
    type: (name) => byName.get(name),
    typeForKind(gvk: GroupVersionKind) {
      const found = byKind.get(gvkKey(gvk));
      if (found) return found;
      return SHARED_META_KINDS.has(gvk.kind) ? byName.get(`${META}.${gvk.kind}`) : undefined;
    },
    field(typeName, fieldName) {
      let fields = jsonFieldCache.get(typeName);
      if (!fields) {
        fields = new Map(jsonFields(schema, typeName).map((f) => [f.name, f]));
        jsonFieldCache.set(typeName, fields);
      }
      return fields.get(fieldName);
    },
  };
  return schema;
}

/**
 * The fields a type shows on the JSON side, in declaration order: inline (embedded) structs are
 * replaced by their own fields, as Go's encoding/json does.
 */
export function jsonFields(schema: TypeSchema, typeName: string): FieldDef[] {
  const type = schema.type(typeName);
  if (!type) return [];
  const out: FieldDef[] = [];
  for (const f of type.fields) {
    if (f.inline) out.push(...jsonFields(schema, f.type));
    else out.push(f);
  }
  return out;
}

/** The schema of every type svc-labs knows (k8s.io/api v1.32). */
export const k8sSchema: TypeSchema = createSchema(ALL_TYPES);

/** Top-level kinds by `group/version/Kind` (see gvkKey); `''` is the core group. */
export const kindTypes: ReadonlyMap<string, TypeDef> = indexKinds(ALL_TYPES);

/** Every top-level kind with its type, for callers that list them (OpenAPI, tests). */
export function allKinds(): { gvk: GroupVersionKind; type: TypeDef }[] {
  return ALL_TYPES.flatMap((type) => {
    const gvk = kindOfType(type);
    return gvk ? [{ gvk, type }] : [];
  });
}
