/**
 * What kube-proxy (1.32, IPv4 proxier) derives from Service and EndpointSlice objects before it
 * writes a single rule: one entry per service port, and per service port the endpoints it may use.
 *
 * Inputs are the JSON objects as the API server stores them. Where the API server applies defaults
 * (port protocol TCP, EndpointSlice port name "", session affinity timeout 10800 s), missing fields
 * are read with the same default, so objects built by hand in tests behave like stored ones.
 */

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ServicePortSpec {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface ServiceObject {
  metadata: { name?: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    ports?: ServicePortSpec[];
    externalIPs?: string[];
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    externalTrafficPolicy?: string;
    internalTrafficPolicy?: string;
    healthCheckNodePort?: number;
    loadBalancerSourceRanges?: string[];
    [k: string]: unknown;
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string; ipMode?: string }[] } };
  [k: string]: unknown;
}

export interface EndpointSliceEndpoint {
  addresses: string[];
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
  nodeName?: string | null;
  zone?: string | null;
  hints?: { forZones?: { name: string }[] | null } | null;
  [k: string]: unknown;
}

export interface EndpointSliceObject {
  metadata: { name?: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  addressType?: string;
  endpoints?: EndpointSliceEndpoint[] | null;
  ports?: { name?: string | null; port?: number | null; protocol?: string | null }[] | null;
  [k: string]: unknown;
}

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_SERVICE_PROXY_NAME = 'service.kubernetes.io/service-proxy-name';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';

/** One port of one Service, as the proxier sees it. */
export interface ServicePortInfo {
  /** `ns/name` */
  serviceName: string;
  /** `ns/name:port`, or `ns/name` for an unnamed port: the string in comments and hashes. */
  nameString: string;
  protocol: Protocol;
  clusterIP: string;
  port: number;
  nodePort: number;
  externalIPs: string[];
  loadBalancerVIPs: string[];
  loadBalancerSourceRanges: string[];
  healthCheckNodePort: number;
  sessionAffinityClientIP: boolean;
  stickyMaxAgeSeconds: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
}

export interface EndpointInfo {
  ip: string;
  port: number;
  /** `ip:port` */
  endpoint: string;
  isLocal: boolean;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  zoneHints: string[];
}

export function externallyAccessible(sp: ServicePortInfo): boolean {
  return sp.nodePort !== 0 || sp.loadBalancerVIPs.length > 0 || sp.externalIPs.length > 0;
}

/** Cluster endpoints are needed for Cluster internal policy, and for short-circuiting external traffic. */
export function usesClusterEndpoints(sp: ServicePortInfo): boolean {
  return !sp.internalPolicyLocal || externallyAccessible(sp);
}

export function usesLocalEndpoints(sp: ServicePortInfo): boolean {
  return sp.internalPolicyLocal || (sp.externalPolicyLocal && externallyAccessible(sp));
}

/** Key that ties a service port to its endpoints: name string plus protocol. */
export function servicePortKey(nameString: string, protocol: string): string {
  return `${nameString}/${protocol}`;
}

/** Canonical dotted-quad (drops leading zeros the way Go's ParseIPSloppy does), or undefined. */
export function parseIPv4(text: string | undefined | null): string | undefined {
  if (typeof text !== 'string') return undefined;
  const parts = text.trim().split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.map((p) => String(Number(p))).join('.');
}

/** `a.b.c.d/n` normalised to its network address, or undefined when not an IPv4 CIDR. */
export function parseIPv4Cidr(text: string | undefined | null): string | undefined {
  if (typeof text !== 'string') return undefined;
  const [ip, bits, extra] = text.trim().split('/');
  const addr = parseIPv4(ip);
  if (addr === undefined || extra !== undefined || !/^\d{1,2}$/.test(bits ?? '') || Number(bits) > 32) {
    return undefined;
  }
  const n = Number(bits);
  const value = ipv4ToInt(addr);
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  return `${intToIPv4((value & mask) >>> 0)}/${n}`;
}

export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}

function intToIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function cidrContainsIPv4(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = Number(bits);
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  return (ipv4ToInt(ip) & mask) >>> 0 === (ipv4ToInt(base!) & mask) >>> 0;
}

function normaliseProtocol(p: string | null | undefined): Protocol {
  const up = (p ?? 'TCP').toUpperCase();
  return up === 'UDP' || up === 'SCTP' ? up : 'TCP';
}

function namespacedName(meta: { name?: string; namespace?: string }): string {
  return `${meta.namespace || 'default'}/${meta.name ?? ''}`;
}

/** The IPv4 cluster IP, as GetClusterIPByFamily picks it; '' when the Service has none. */
function ipv4ClusterIP(spec: NonNullable<ServiceObject['spec']>): string {
  const candidates = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  for (const c of candidates) {
    const ip = parseIPv4(c);
    if (ip !== undefined) return ip;
  }
  return '';
}

/**
 * The service ports kube-proxy programs: Services with a cluster IP (not headless, not
 * ExternalName, not claimed by another proxy through service.kubernetes.io/service-proxy-name).
 */
export function servicePortsOf(services: readonly ServiceObject[]): ServicePortInfo[] {
  const out: ServicePortInfo[] = [];
  for (const svc of services) {
    const spec = svc.spec ?? {};
    if (svc.metadata.labels?.[LABEL_SERVICE_PROXY_NAME] !== undefined) continue;
    if (spec.type === 'ExternalName') continue;
    const clusterIP = ipv4ClusterIP(spec);
    if (clusterIP === '') continue;
    const type = spec.type ?? 'ClusterIP';
    const accessible =
      type === 'LoadBalancer' ||
      type === 'NodePort' ||
      (type === 'ClusterIP' && (spec.externalIPs?.length ?? 0) > 0);
    const externalPolicyLocal = accessible && spec.externalTrafficPolicy === 'Local';
    const internalPolicyLocal = spec.internalTrafficPolicy === 'Local';
    const affinity = spec.sessionAffinity === 'ClientIP';
    const externalIPs = (spec.externalIPs ?? []).map(parseIPv4).filter((x): x is string => x !== undefined);
    const sourceRanges = (spec.loadBalancerSourceRanges ?? [])
      .map(parseIPv4Cidr)
      .filter((x): x is string => x !== undefined);
    const lbVIPs: string[] = [];
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
      // Proxy-mode load balancers are not programmed locally.
      if (!ing.ip || (ing.ipMode !== undefined && ing.ipMode !== 'VIP')) continue;
      const ip = parseIPv4(ing.ip);
      if (ip !== undefined) lbVIPs.push(ip);
    }
    const needsHealthCheck = type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
    const serviceName = namespacedName(svc.metadata);
    for (const port of spec.ports ?? []) {
      const nameString = port.name ? `${serviceName}:${port.name}` : serviceName;
      out.push({
        serviceName,
        nameString,
        protocol: normaliseProtocol(port.protocol),
        clusterIP,
        port: port.port,
        nodePort: port.nodePort ?? 0,
        externalIPs,
        loadBalancerVIPs: lbVIPs,
        loadBalancerSourceRanges: sourceRanges,
        healthCheckNodePort: needsHealthCheck ? (spec.healthCheckNodePort ?? 0) : 0,
        sessionAffinityClientIP: affinity,
        stickyMaxAgeSeconds: affinity ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : 0,
        externalPolicyLocal,
        internalPolicyLocal,
      });
    }
  }
  return out;
}

/**
 * Endpoints per service port key, merged across all IPv4 slices of a Service and sorted by
 * `ip:port` string (as kube-proxy sorts them, so `10.244.10.2` comes before `10.244.2.3`).
 * An address seen twice keeps the non-terminating copy.
 */
export function endpointsOf(
  slices: readonly EndpointSliceObject[],
  nodeName: string,
): Map<string, EndpointInfo[]> {
  const sets = new Map<string, Map<string, EndpointInfo>>();
  for (const slice of slices) {
    const labels = slice.metadata.labels ?? {};
    const owner = labels[LABEL_SERVICE_NAME];
    if (!owner) continue;
    if (labels[LABEL_SERVICE_PROXY_NAME] !== undefined || labels[LABEL_HEADLESS] !== undefined) continue;
    if ((slice.addressType ?? 'IPv4') !== 'IPv4') continue;
    const serviceName = `${slice.metadata.namespace || 'default'}/${owner}`;
    for (const port of slice.ports ?? []) {
      if (port.port === null || port.port === undefined || port.port === 0) continue;
      const name = port.name ?? '';
      const nameString = name ? `${serviceName}:${name}` : serviceName;
      const key = servicePortKey(nameString, normaliseProtocol(port.protocol));
      let set = sets.get(key);
      if (!set) sets.set(key, (set = new Map()));
      for (const ep of slice.endpoints ?? []) {
        const ip = parseIPv4(ep.addresses?.[0]);
        if (ip === undefined) continue;
        const c = ep.conditions ?? {};
        const info: EndpointInfo = {
          ip,
          port: port.port,
          endpoint: `${ip}:${port.port}`,
          isLocal: nodeName !== '' && ep.nodeName === nodeName,
          ready: c.ready === undefined || c.ready === null || c.ready === true,
          serving: c.serving === undefined || c.serving === null || c.serving === true,
          terminating: c.terminating === true,
          zoneHints: (ep.hints?.forZones ?? []).map((z) => z.name),
        };
        if (!set.has(info.endpoint) || !info.terminating) set.set(info.endpoint, info);
      }
    }
  }
  const out = new Map<string, EndpointInfo[]>();
  for (const [key, set] of sets) {
    if (set.size === 0) continue;
    out.set(
      key,
      [...set.values()].sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0)),
    );
  }
  return out;
}

export interface CategorizedEndpoints {
  clusterEndpoints: EndpointInfo[];
  localEndpoints: EndpointInfo[];
  allReachableEndpoints: EndpointInfo[];
  hasAnyEndpoints: boolean;
}

/**
 * Which endpoints each traffic policy uses on this node. Ready endpoints first; when none are
 * ready, serving-and-terminating ones (independently for Cluster and Local). Zone hints narrow
 * Cluster endpoints when every ready endpoint carries one and one names this node's zone.
 */
export function categorizeEndpoints(
  endpoints: readonly EndpointInfo[],
  sp: ServicePortInfo,
  nodeZone: string | undefined,
): CategorizedEndpoints {
  let clusterEndpoints: EndpointInfo[] = [];
  let localEndpoints: EndpointInfo[] = [];
  let hasAnyEndpoints = false;
  let useTopology = false;
  let useServingTerminating = false;

  if (usesClusterEndpoints(sp)) {
    useTopology = canUseTopology(endpoints, nodeZone);
    clusterEndpoints = endpoints.filter(
      (ep) => ep.ready && (!useTopology || ep.zoneHints.includes(nodeZone!)),
    );
    if (clusterEndpoints.length === 0)
      clusterEndpoints = endpoints.filter((ep) => ep.serving && ep.terminating);
    if (clusterEndpoints.length > 0) hasAnyEndpoints = true;
  }
  if (!usesLocalEndpoints(sp)) {
    return { clusterEndpoints, localEndpoints, allReachableEndpoints: clusterEndpoints, hasAnyEndpoints };
  }

  let hasLocalReady = false;
  let hasLocalServingTerminating = false;
  for (const ep of endpoints) {
    if (ep.ready) {
      hasAnyEndpoints = true;
      if (ep.isLocal) hasLocalReady = true;
    } else if (ep.serving && ep.terminating) {
      hasAnyEndpoints = true;
      if (ep.isLocal) hasLocalServingTerminating = true;
    }
  }
  if (hasLocalReady) {
    localEndpoints = endpoints.filter((ep) => ep.isLocal && ep.ready);
  } else if (hasLocalServingTerminating) {
    useServingTerminating = true;
    localEndpoints = endpoints.filter((ep) => ep.isLocal && ep.serving && ep.terminating);
  }
  if (!usesClusterEndpoints(sp)) {
    return { clusterEndpoints, localEndpoints, allReachableEndpoints: localEndpoints, hasAnyEndpoints };
  }
  if (!useTopology && !useServingTerminating) {
    return { clusterEndpoints, localEndpoints, allReachableEndpoints: clusterEndpoints, hasAnyEndpoints };
  }
  // kube-proxy merges through a map (random order); sorting keeps the output stable.
  const merged = new Map<string, EndpointInfo>();
  for (const ep of [...clusterEndpoints, ...localEndpoints]) merged.set(ep.endpoint, ep);
  const allReachableEndpoints = [...merged.values()].sort((a, b) =>
    a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0,
  );
  return { clusterEndpoints, localEndpoints, allReachableEndpoints, hasAnyEndpoints };
}

function canUseTopology(endpoints: readonly EndpointInfo[], nodeZone: string | undefined): boolean {
  if (!nodeZone) return false;
  let hasEndpointForZone = false;
  for (const ep of endpoints) {
    if (!ep.ready) continue;
    if (ep.zoneHints.length === 0) return false;
    if (ep.zoneHints.includes(nodeZone)) hasEndpointForZone = true;
  }
  return hasEndpointForZone;
}
