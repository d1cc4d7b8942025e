/**
 * A compact notation for declaring TypeDefs, so the data files read like the upstream type
 * listings. Each field is one string:
 *
 *   '<jsonName> <protoNumber> <type> [flags...]'
 *
 * - type: a Scalar (`string`, `int32`, `quantity`, `time`, ...), a type of the same package
 *   (`PodSpec`) or of another package by alias (`meta.ObjectMeta`); `[]T` is a list, `{}T` a
 *   map from string to T.
 * - flags: `req` (JSON written even when zero), `ptr` (Go pointer scalar), `inline` (embedded
 *   struct), `patch=<strategy>`, `key=<patchMergeKey>`, `list=atomic|set|map(k1,k2)`,
 *   `go=<Go type>` (only where the Go type is a named one, e.g. `go=v1.Protocol`).
 *
 * A type declared as `{ listOf: 'string' }` is a Go named slice that protobuf wraps in a message
 * with a repeated `items` field (see TypeDef.listWrapper).
 */
import type { FieldDef, Scalar, TypeDef } from './types.ts';

/** Package aliases usable in type references, mapped to OpenAPI name prefixes. */
export const PACKAGES = {
  core: 'io.k8s.api.core.v1',
  meta: 'io.k8s.apimachinery.pkg.apis.meta.v1',
  runtime: 'io.k8s.apimachinery.pkg.runtime',
  apps: 'io.k8s.api.apps.v1',
  batch: 'io.k8s.api.batch.v1',
  rbac: 'io.k8s.api.rbac.v1',
  discovery: 'io.k8s.api.discovery.v1',
  coordination: 'io.k8s.api.coordination.v1',
  authorization: 'io.k8s.api.authorization.v1',
  authentication: 'io.k8s.api.authentication.v1',
  autoscaling: 'io.k8s.api.autoscaling.v1',
  policy: 'io.k8s.api.policy.v1',
  networking: 'io.k8s.api.networking.v1',
  scheduling: 'io.k8s.api.scheduling.v1',
} as const;

export type PackageAlias = keyof typeof PACKAGES;

export const SCALARS: ReadonlySet<string> = new Set<Scalar>([
  'string',
  'int32',
  'int64',
  'bool',
  'double',
  'bytes',
  'quantity',
  'time',
  'microTime',
  'intOrString',
  'json',
]);

const PATCH_STRATEGIES = new Set(['merge', 'replace', 'retainKeys', 'merge,retainKeys']);

function resolveType(ref: string, pkg: PackageAlias): string {
  if (SCALARS.has(ref)) return ref;
  const dot = ref.indexOf('.');
  if (dot < 0) return `${PACKAGES[pkg]}.${ref}`;
  const alias = ref.slice(0, dot) as PackageAlias;
  if (!(alias in PACKAGES)) throw new Error(`unknown package alias in type reference ${ref}`);
  return `${PACKAGES[alias]}.${ref.slice(dot + 1)}`;
}

/** Parses one field declaration; throws on anything it does not understand, so typos fail fast. */
export function parseField(spec: string, pkg: PackageAlias): FieldDef {
  const [name, num, rawType, ...flags] = spec.trim().split(/\s+/);
  const proto = Number(num);
  if (!name || !Number.isInteger(proto) || proto < 0 || !rawType) {
    throw new Error(`malformed field declaration: ${spec}`);
  }
  const field: FieldDef = { name, proto, type: '' };
  let type = rawType;
  if (type.startsWith('[]')) {
    field.list = true;
    type = type.slice(2);
  } else if (type.startsWith('{}')) {
    field.map = true;
    type = type.slice(2);
  }
  field.type = resolveType(type, pkg);
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const key = eq < 0 ? flag : flag.slice(0, eq);
    const value = eq < 0 ? '' : flag.slice(eq + 1);
    if (key === 'req') field.required = true;
    else if (key === 'ptr') field.pointer = true;
    else if (key === 'inline') field.inline = true;
    else if (key === 'key') field.mergeKey = value;
    else if (key === 'go' && value) field.goType = value;
    else if (key === 'patch' && PATCH_STRATEGIES.has(value)) {
      field.patchStrategy = value as FieldDef['patchStrategy'];
    } else if (key === 'list') {
      const m = /^(atomic|set)$|^map\(([^)]+)\)$/.exec(value);
      if (!m) throw new Error(`bad list flag in ${spec}`);
      if (m[1]) field.listType = m[1] as 'atomic' | 'set';
      else {
        field.listType = 'map';
        field.listMapKeys = m[2].split(',');
      }
    } else throw new Error(`unknown flag ${flag} in ${spec}`);
  }
  return field;
}

export type TypeDecl = readonly string[] | { readonly listOf: string };

/** Declares the types of one package; names are qualified with the package's OpenAPI prefix. */
export function defineTypes(pkg: PackageAlias, decls: Record<string, TypeDecl>): TypeDef[] {
  return Object.entries(decls).map(([short, decl]) => {
    const name = `${PACKAGES[pkg]}.${short}`;
    if ('listOf' in decl) {
      return { name, listWrapper: true, fields: [parseField(`items 1 []${decl.listOf}`, pkg)] };
    }
    return { name, fields: (decl as readonly string[]).map((spec) => parseField(spec, pkg)) };
  });
}
