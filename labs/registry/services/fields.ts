/**
 * Service field handling that happens before validation: v1 defaulting, the type-change cleanup
 * of dropTypeDependentFields, carrying allocated values over on update (patchAllocatedValues), and
 * keeping clusterIP/clusterIPs and the IP family fields consistent.
 */
import { invalid as invalidStatus } from '../../kube/errors.ts';
import type { KObject } from '../../kube/object.ts';
import { specOf } from '../lib/base.ts';
import { invalid, sameJSON } from '../lib/field.ts';
import { isIPv6 } from '../lib/names.ts';

type Obj = Record<string, any>;

export const ports = (svc: KObject): Obj[] =>
  Array.isArray(svc.spec?.ports) ? svc.spec.ports.filter((p: unknown) => p && typeof p === 'object') : [];

export const isHeadless = (svc: KObject): boolean => {
  const ips = svc.spec?.clusterIPs;
  return Array.isArray(ips) && ips.length === 1 && ips[0] === 'None';
};

export const needsClusterIP = (svc: KObject): boolean => svc.spec?.type !== 'ExternalName';

export const needsNodePort = (svc: KObject): boolean =>
  svc.spec?.type === 'NodePort' ||
  (svc.spec?.type === 'LoadBalancer' && svc.spec?.allocateLoadBalancerNodePorts !== false);

export const needsHealthCheckNodePort = (svc: KObject): boolean =>
  svc.spec?.type === 'LoadBalancer' && svc.spec?.externalTrafficPolicy === 'Local';

export const externallyAccessible = (svc: KObject): boolean =>
  svc.spec?.type === 'LoadBalancer' ||
  svc.spec?.type === 'NodePort' ||
  (svc.spec?.type === 'ClusterIP' && (svc.spec?.externalIPs ?? []).length > 0);

/** SetDefaults_Service. */
export function defaultService(svc: KObject): void {
  const spec = specOf(svc);
  if (!spec.type) spec.type = 'ClusterIP';
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = (spec.sessionAffinityConfig ??= {});
    cfg.clientIP ??= {};
    cfg.clientIP.timeoutSeconds ??= 10800;
  }
  for (const p of ports(svc)) {
    if (!p.protocol) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '')
      p.targetPort = p.port;
  }
  if (spec.type !== 'ExternalName' && !spec.internalTrafficPolicy) spec.internalTrafficPolicy = 'Cluster';
  if (externallyAccessible(svc) && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined)
    spec.allocateLoadBalancerNodePorts = true;
}

/** On a type change, drop what the old type needed and the client did not touch. */
export function dropTypeDependentFields(svc: KObject, old: KObject): void {
  const spec = svc.spec;
  const o = old.spec ?? {};
  if (needsClusterIP(old) && !needsClusterIP(svc)) {
    if (sameJSON(spec.clusterIP, o.clusterIP) && sameJSON(spec.clusterIPs, o.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (sameJSON(spec.ipFamilies, o.ipFamilies)) delete spec.ipFamilies;
    if (sameJSON(spec.ipFamilyPolicy, o.ipFamilyPolicy)) delete spec.ipFamilyPolicy;
  }
  if (needsNodePort(old) && !needsNodePort(svc) && sameJSON(nodePortsOf(svc), nodePortsOf(old))) {
    for (const p of ports(svc)) delete p.nodePort;
  }
  if (
    needsHealthCheckNodePort(old) &&
    !needsHealthCheckNodePort(svc) &&
    spec.healthCheckNodePort === o.healthCheckNodePort
  ) {
    delete spec.healthCheckNodePort;
  }
  if (o.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (
      spec.allocateLoadBalancerNodePorts !== undefined &&
      spec.allocateLoadBalancerNodePorts === o.allocateLoadBalancerNodePorts
    ) {
      delete spec.allocateLoadBalancerNodePorts;
    }
    if (spec.loadBalancerClass !== undefined && spec.loadBalancerClass === o.loadBalancerClass)
      delete spec.loadBalancerClass;
  }
  if (
    externallyAccessible(old) &&
    !externallyAccessible(svc) &&
    spec.externalTrafficPolicy === o.externalTrafficPolicy
  ) {
    delete spec.externalTrafficPolicy;
  }
  if (spec.type !== 'LoadBalancer') svc.status = { ...(svc.status ?? {}), loadBalancer: {} };
}

function nodePortsOf(svc: KObject): number[] {
  return ports(svc).map((p) => p.nodePort ?? 0);
}

/** Fill in allocated values an update left out, so `kubectl apply` of the original manifest is a no-op. */
export function patchAllocatedValues(svc: KObject, old: KObject): void {
  const spec = svc.spec;
  const o = old.spec ?? {};
  if (needsClusterIP(old) && needsClusterIP(svc)) {
    if (!spec.clusterIP && o.clusterIP) spec.clusterIP = o.clusterIP;
    if (!(spec.clusterIPs ?? []).length && (o.clusterIPs ?? []).length) spec.clusterIPs = [...o.clusterIPs];
  }
  if (needsNodePort(old) && needsNodePort(svc)) {
    const oldUsed = new Set(nodePortsOf(old).filter(Boolean));
    const used = new Set(nodePortsOf(svc).filter((p) => p && oldUsed.has(p)));
    const byName = new Map<string, number>(ports(old).map((p) => [p.name ?? '', p.nodePort ?? 0]));
    for (const p of ports(svc)) {
      if (!p.nodePort) {
        const prev = byName.get(p.name ?? '') ?? 0;
        if (prev && !used.has(prev)) p.nodePort = prev;
      }
    }
  }
  if (needsHealthCheckNodePort(old) && needsHealthCheckNodePort(svc) && !spec.healthCheckNodePort) {
    spec.healthCheckNodePort = o.healthCheckNodePort;
  }
}

/** Keep clusterIP and clusterIPs in step, whichever one the client manages. */
export function normalizeClusterIPs(svc: KObject, old?: KObject): void {
  const spec = svc.spec;
  const ips: string[] = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
  if (!spec.clusterIP && !ips.length) return;
  if (old) {
    const o = old.spec ?? {};
    if (o.clusterIP !== spec.clusterIP && sameJSON(o.clusterIPs, spec.clusterIPs)) {
      if (!spec.clusterIP) delete spec.clusterIPs;
      else spec.clusterIPs = [spec.clusterIP, ...ips.slice(1)];
      return;
    }
  }
  if (spec.clusterIP && !ips.length) spec.clusterIPs = [spec.clusterIP];
  else if (!spec.clusterIP && ips.length) spec.clusterIP = ips[0];
}

/**
 * initIPFamilyFields for a single-stack IPv4 cluster: the policy and families the apiserver
 * fills in, and the refusals for dual-stack or IPv6 requests it cannot honour.
 */
export function initIPFamilyFields(svc: KObject, old?: KObject): void {
  const spec = svc.spec;
  if (spec.type === 'ExternalName') return;
  const name = svc.metadata.name ?? '';
  const fail = (field: string, value: unknown, detail: string) => {
    throw invalidStatus('Service', '', name, [invalid(field, value, detail)]);
  };
  const headless = isHeadless(svc);
  const selectorless = !Object.keys(spec.selector ?? {}).length;
  if (old && needsClusterIP(old)) {
    if (!spec.ipFamilyPolicy && old.spec?.ipFamilyPolicy) spec.ipFamilyPolicy = old.spec.ipFamilyPolicy;
    if (!(spec.ipFamilies ?? []).length && (old.spec?.ipFamilies ?? []).length)
      spec.ipFamilies = [...old.spec.ipFamilies];
  }
  if (!spec.ipFamilyPolicy)
    spec.ipFamilyPolicy = headless && selectorless ? 'RequireDualStack' : 'SingleStack';
  if (spec.ipFamilyPolicy === 'RequireDualStack' && !(headless && selectorless)) {
    fail('spec.ipFamilyPolicy', 'RequireDualStack', 'this cluster is not configured for dual-stack services');
  }
  const families: string[] = Array.isArray(spec.ipFamilies) ? spec.ipFamilies : [];
  families.forEach((f, i) => {
    if (f === 'IPv6') fail(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster');
  });
  if (families.length > 1 && !(headless && selectorless)) {
    fail(
      'spec.ipFamilies',
      families,
      'when multiple IP families are specified, the cluster must be configured for dual-stack',
    );
  }
  const ips: string[] = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
  ips.forEach((ip, i) => {
    if (ip !== 'None' && isIPv6(ip)) fail(`spec.clusterIPs[${i}]`, ip, 'not configured on this cluster');
  });
  if (!families.length) spec.ipFamilies = ['IPv4'];
}
