/**
 * What the CoreDNS kubernetes plugin keeps from the API objects it watches, and the indexes it
 * looks them up by. Inputs are the JSON objects as the API server stores them; the conversion
 * follows CoreDNS's object package: a Service keeps its ClusterIPs (or "None"), ports and
 * ExternalName; an EndpointSlice becomes one address set holding only its ready endpoints
 * (ready unset counts as ready) with its ports, or a "no port" sentinel when it has none.
 */
import { parseIP } from './ip.ts';

type Awaitable<T> = T | Promise<T>;

/** Any stored API object; only the fields named in this module are read. */
export interface KubeObject {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string> | null;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/**
 * Where the resolver reads the cluster from, on every query (the lead wires it to the control
 * plane store). EndpointSlices are used when given; legacy Endpoints otherwise.
 */
export interface ClusterSource {
  services(): Awaitable<readonly KubeObject[]>;
  endpointSlices?(): Awaitable<readonly KubeObject[]>;
  endpoints?(): Awaitable<readonly KubeObject[]>;
  /** Only `pods verified` reads pods. */
  pods?(): Awaitable<readonly KubeObject[]>;
  /**
   * Namespace objects. CoreDNS answers NXDOMAIN for names in namespaces that do not exist; without
   * this, a namespace exists when a Service, slice or Pod lives in it, or it is one of the four
   * namespaces every cluster has.
   */
  namespaces?(): Awaitable<readonly KubeObject[]>;
  /** Unix seconds of the last Service/endpoint change, the SOA serial. Tracked by the resolver when absent. */
  modified?(): number;
}

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface PortInfo {
  name: string;
  /** -1: the sentinel CoreDNS uses for an endpoint set without ports. */
  port: number;
  protocol: string;
}

export interface ServiceInfo {
  name: string;
  namespace: string;
  type: string;
  headless: boolean;
  clusterIPs: string[];
  externalName: string;
  ports: PortInfo[];
}

export interface EndpointAddress {
  ip: string;
  hostname: string;
  targetRefName: string;
  nodeName: string;
}

/** One EndpointSlice (or one subset of an Endpoints object): ready addresses x ports. */
export interface EndpointSet {
  service: string;
  namespace: string;
  addresses: EndpointAddress[];
  ports: PortInfo[];
}

export interface PodInfo {
  name: string;
  namespace: string;
  ips: string[];
}

export interface ClusterIndex {
  services: Map<string, ServiceInfo>;
  endpoints: Map<string, EndpointSet[]>;
  byClusterIP: Map<string, ServiceInfo[]>;
  byEndpointIP: Map<string, EndpointSet[]>;
  namespaces: Set<string>;
  pods: PodInfo[];
}

export function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function arr(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}

function canonicalIP(ip: string): string {
  return parseIP(ip)?.address ?? ip;
}

function toService(obj: KubeObject): ServiceInfo | undefined {
  const name = str(obj.metadata?.name);
  const namespace = str(obj.metadata?.namespace) || 'default';
  if (!name) return undefined;
  const spec = (obj.spec ?? {}) as Record<string, unknown>;
  const clusterIP = str(spec.clusterIP);
  const listed = arr(spec.clusterIPs).map(str).filter(Boolean);
  const ips = listed.length > 0 ? listed : clusterIP ? [clusterIP] : [];
  const type = str(spec.type) || 'ClusterIP';
  return {
    name,
    namespace,
    type,
    headless: clusterIP === 'None',
    clusterIPs: ips.filter((ip) => ip !== 'None').map(canonicalIP),
    externalName: type === 'ExternalName' ? str(spec.externalName) : '',
    ports: arr(spec.ports).map((p) => ({
      name: str(p?.name),
      port: typeof p?.port === 'number' ? p.port : -1,
      protocol: str(p?.protocol) || 'TCP',
    })),
  };
}

function slicePorts(ports: unknown): PortInfo[] {
  const list = arr(ports);
  if (list.length === 0) return [{ name: '', port: -1, protocol: '' }];
  return list.map((p) => ({
    name: str(p?.name),
    port: typeof p?.port === 'number' ? p.port : -1,
    protocol: str(p?.protocol) || 'TCP',
  }));
}

function fromSlice(obj: KubeObject): EndpointSet | undefined {
  const service = obj.metadata?.labels?.[LABEL_SERVICE_NAME];
  if (!service) return undefined;
  if (obj.addressType === 'FQDN') return undefined;
  const addresses: EndpointAddress[] = [];
  for (const ep of arr(obj.endpoints)) {
    // The API documents an unset ready condition as "unknown, treat as ready".
    if (ep?.conditions?.ready === false) continue;
    const targetRefName = str(ep?.targetRef?.name);
    for (const ip of arr(ep?.addresses).map(str).filter(Boolean)) {
      addresses.push({
        ip: canonicalIP(ip),
        hostname: str(ep?.hostname),
        targetRefName: targetRefName.length < 64 ? targetRefName : '',
        nodeName: str(ep?.nodeName),
      });
    }
  }
  return {
    service,
    namespace: str(obj.metadata?.namespace) || 'default',
    addresses,
    ports: slicePorts(obj.ports),
  };
}

function fromEndpoints(obj: KubeObject): EndpointSet[] {
  const service = str(obj.metadata?.name);
  const namespace = str(obj.metadata?.namespace) || 'default';
  if (!service) return [];
  return arr(obj.subsets).map((subset) => ({
    service,
    namespace,
    // notReadyAddresses are not served, exactly as for slices.
    addresses: arr(subset?.addresses).map((a) => ({
      ip: canonicalIP(str(a?.ip)),
      hostname: str(a?.hostname),
      targetRefName: str(a?.targetRef?.name),
      nodeName: str(a?.nodeName),
    })),
    ports: slicePorts(subset?.ports),
  }));
}

function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}

export interface ClusterSnapshot {
  services: readonly KubeObject[];
  slices?: readonly KubeObject[];
  endpoints?: readonly KubeObject[];
  pods: readonly KubeObject[];
  namespaces?: readonly KubeObject[];
}

export async function readSource(source: ClusterSource): Promise<ClusterSnapshot> {
  const [services, slices, endpoints, pods, namespaces] = await Promise.all([
    source.services(),
    source.endpointSlices?.(),
    source.endpointSlices ? undefined : source.endpoints?.(),
    source.pods?.() ?? [],
    source.namespaces?.(),
  ]);
  return { services, slices, endpoints, pods, namespaces };
}

export function buildIndex(snap: ClusterSnapshot): ClusterIndex {
  const index: ClusterIndex = {
    services: new Map(),
    endpoints: new Map(),
    byClusterIP: new Map(),
    byEndpointIP: new Map(),
    namespaces: new Set(),
    pods: [],
  };
  for (const obj of snap.services) {
    const svc = toService(obj);
    if (!svc) continue;
    index.services.set(key(svc.namespace, svc.name), svc);
    for (const ip of svc.clusterIPs) push(index.byClusterIP, ip, svc);
  }
  const sets = snap.slices ? snap.slices.map(fromSlice) : (snap.endpoints ?? []).flatMap(fromEndpoints);
  for (const set of sets) {
    if (!set) continue;
    push(index.endpoints, key(set.namespace, set.service), set);
    const seen = new Set<string>();
    for (const a of set.addresses) {
      if (seen.has(a.ip)) continue;
      seen.add(a.ip);
      push(index.byEndpointIP, a.ip, set);
    }
  }
  for (const obj of snap.pods) {
    const status = (obj.status ?? {}) as Record<string, unknown>;
    const ips = new Set<string>();
    if (str(status.podIP)) ips.add(canonicalIP(str(status.podIP)));
    for (const p of arr(status.podIPs)) if (str(p?.ip)) ips.add(canonicalIP(str(p.ip)));
    index.pods.push({
      name: str(obj.metadata?.name),
      namespace: str(obj.metadata?.namespace) || 'default',
      ips: [...ips],
    });
  }
  if (snap.namespaces) {
    for (const ns of snap.namespaces) if (ns.metadata?.name) index.namespaces.add(ns.metadata.name);
  } else {
    for (const ns of BUILTIN_NAMESPACES) index.namespaces.add(ns);
    for (const list of [snap.services, snap.slices ?? snap.endpoints ?? [], snap.pods]) {
      for (const o of list) index.namespaces.add(str(o.metadata?.namespace) || 'default');
    }
  }
  return index;
}

/** A stable digest of what DNS answers depend on, to notice changes for the SOA serial. */
export function fingerprint(snap: ClusterSnapshot): string {
  const pick = (o: KubeObject) => [
    o.metadata?.namespace,
    o.metadata?.name,
    o.spec,
    o.endpoints,
    o.ports,
    o.subsets,
  ];
  return JSON.stringify([
    snap.services.map(pick),
    (snap.slices ?? []).map(pick),
    (snap.endpoints ?? []).map(pick),
    (snap.namespaces ?? []).map((n) => n.metadata?.name),
  ]);
}
