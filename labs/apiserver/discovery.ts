/**
 * Legacy discovery documents (/api, /apis, /api/v1, /apis/<g>/<v>). kubectl caches them per server
 * address; labs are told apart by port, and the registry version lets a CRD change be noticed.
 */
import type { KindRegistry } from '../store/kind-registry.ts';

const PREFERRED_ORDER = [
  '',
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'networking.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'node.k8s.io',
  'discovery.k8s.io',
  'flowcontrol.apiserver.k8s.io',
];

function groupRank(group: string): number {
  const i = PREFERRED_ORDER.indexOf(group);
  return i < 0 ? PREFERRED_ORDER.length : i;
}

export function apiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupDoc(group: string, versions: string[]) {
  const gv = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: gv, preferredVersion: gv[0] };
}

export function apiGroupList(kinds: KindRegistry) {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: kinds
      .groups()
      .filter((g) => g.group !== '')
      .sort((a, b) => groupRank(a.group) - groupRank(b.group) || a.group.localeCompare(b.group))
      .map((g) => groupDoc(g.group, g.versions)),
  };
}

export function apiGroup(kinds: KindRegistry, group: string) {
  const g = kinds.groups().find((x) => x.group === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g.group, g.versions) } : undefined;
}

export function apiResourceList(kinds: KindRegistry, group: string, version: string) {
  const defs = kinds.inGroupVersion(group, version);
  if (!defs.length) return undefined;
  const resources: object[] = [];
  for (const d of defs) {
    const i = d.info;
    resources.push({
      name: i.resource,
      singularName: i.singular,
      namespaced: i.namespaced,
      kind: i.kind,
      verbs: i.verbs,
      ...(i.shortNames.length ? { shortNames: i.shortNames } : {}),
      ...(i.categories.length ? { categories: i.categories } : {}),
      storageVersionHash: storageHash(`${group}/${version}/${i.resource}`),
    });
    for (const sub of i.subresources) {
      resources.push({
        name: `${i.resource}/${sub}`,
        singularName: '',
        namespaced: i.namespaced,
        kind: subresourceKind(i.kind, sub),
        ...(sub === 'scale' ? { group: 'autoscaling', version: 'v1' } : {}),
        verbs: subresourceVerbs(sub),
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

function subresourceKind(kind: string, sub: string): string {
  switch (sub) {
    case 'scale':
      return 'Scale';
    case 'exec':
    case 'attach':
    case 'portforward':
      return 'PodExecOptions';
    case 'log':
      return 'Pod';
    case 'binding':
      return 'Binding';
    case 'eviction':
      return 'Eviction';
    case 'proxy':
      return `${kind}ProxyOptions`;
    default:
      return kind;
  }
}

function subresourceVerbs(sub: string): string[] {
  switch (sub) {
    case 'status':
    case 'scale':
    case 'ephemeralcontainers':
      return ['get', 'patch', 'update'];
    case 'log':
      return ['get'];
    case 'exec':
    case 'attach':
    case 'portforward':
    case 'proxy':
      return ['create', 'get'];
    case 'binding':
    case 'eviction':
      return ['create'];
    case 'finalize':
      return ['update'];
    default:
      return ['get'];
  }
}

function storageHash(text: string): string {
  let h = 0x811c9dc5;
  for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return Buffer.from(h.toString(16).padStart(8, '0')).toString('base64').slice(0, 11);
}
