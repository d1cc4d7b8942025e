/**
 * Which top-level kind each TypeDef is. A type is top-level when it carries the JSON-only
 * `kind`/`apiVersion` pair (proto 0); its group/version come from its package.
 */
import { PACKAGES, type PackageAlias } from './define.ts';
import type { GroupVersionKind, TypeDef } from './types.ts';

const GROUP_VERSIONS: Record<PackageAlias, { group: string; version: string } | undefined> = {
  core: { group: '', version: 'v1' },
  meta: { group: '', version: 'v1' },
  runtime: undefined,
  apps: { group: 'apps', version: 'v1' },
  batch: { group: 'batch', version: 'v1' },
  rbac: { group: 'rbac.authorization.k8s.io', version: 'v1' },
  discovery: { group: 'discovery.k8s.io', version: 'v1' },
  coordination: { group: 'coordination.k8s.io', version: 'v1' },
  authorization: { group: 'authorization.k8s.io', version: 'v1' },
  authentication: { group: 'authentication.k8s.io', version: 'v1' },
  autoscaling: { group: 'autoscaling', version: 'v1' },
  policy: { group: 'policy', version: 'v1' },
  networking: { group: 'networking.k8s.io', version: 'v1' },
  scheduling: { group: 'scheduling.k8s.io', version: 'v1' },
};

/** meta/v1 option kinds that every group version accepts (a DeleteOptions body may name any). */
export const SHARED_META_KINDS: ReadonlySet<string> = new Set(['DeleteOptions']);

export function gvkKey(gvk: GroupVersionKind): string {
  return `${gvk.group}/${gvk.version}/${gvk.kind}`;
}

export function isTopLevel(type: TypeDef): boolean {
  return type.fields.some((f) => f.proto === 0 && f.name === 'kind');
}

/** The GroupVersionKind a top-level type is served as, or undefined for nested types. */
export function kindOfType(type: TypeDef): GroupVersionKind | undefined {
  if (!isTopLevel(type)) return undefined;
  for (const [alias, prefix] of Object.entries(PACKAGES)) {
    if (!type.name.startsWith(`${prefix}.`)) continue;
    const gv = GROUP_VERSIONS[alias as PackageAlias];
    const kind = type.name.slice(prefix.length + 1);
    return gv && !kind.includes('.') ? { ...gv, kind } : undefined;
  }
  return undefined;
}

/** Index of top-level types by `group/version/Kind`. */
export function indexKinds(types: readonly TypeDef[]): Map<string, TypeDef> {
  const byKind = new Map<string, TypeDef>();
  for (const type of types) {
    const gvk = kindOfType(type);
    if (gvk) byKind.set(gvkKey(gvk), type);
  }
  return byKind;
}
