/**
 * What every kube-apiserver does for the `default/kubernetes` Service: keep the Service itself
 * (first address of the service CIDR, https 443 -> the apiserver port), and, as the lease endpoint
 * reconciler, list the live apiservers as its Endpoints and EndpointSlice. An apiserver that stops
 * keeps its endpoint until its lease expires (15 s by default).
 */
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { ApiError } from '../kube/errors.ts';
import { hostAddress } from '../kube/ipnet.ts';
import type { KObject } from '../kube/object.ts';
import { SERVICE_NAME_LABEL, SKIP_MIRROR_LABEL } from './endpointslice.ts';
import { type Change, type Controller, isKind, kindOf, type WorkQueue } from './framework.ts';
import { sameJson } from './util.ts';

export const KUBERNETES_SERVICE = 'kubernetes';
export const DEFAULT_LEASE_TTL_MS = 15_000;
const KEY = 'default/kubernetes';

export class KubernetesServiceController implements Controller {
  readonly name = 'kubernetes-service-controller';
  private readonly cp: ControlPlaneCore;
  private readonly leaseTtlMs: number;
  /** apiserver IP -> when its lease runs out (Infinity while it is alive) */
  private readonly leases = new Map<string, number>();
  private queue?: WorkQueue;

  constructor(cp: ControlPlaneCore, leaseTtlMs = DEFAULT_LEASE_TTL_MS) {
    this.cp = cp;
    this.leaseTtlMs = leaseTtlMs;
    for (const a of cp.config.apiservers) this.leases.set(a.ip, Infinity);
  }

  /** The dataplane reports an apiserver going down or coming back. */
  setAlive(ip: string, alive: boolean): void {
    if (alive) this.leases.set(ip, Infinity);
    else if (this.leases.get(ip) === Infinity) this.leases.set(ip, Date.now() + this.leaseTtlMs);
    this.queue?.add(KEY);
    if (!alive) this.queue?.addAfter(KEY, this.leaseTtlMs + 10);
  }

  attach(queue: WorkQueue): void {
    this.queue = queue;
  }

  resyncKeys(): Iterable<string> {
    return [KEY];
  }

  onChange(change: Change, queue: WorkQueue): void {
    const { def, object } = change;
    if (object.metadata.namespace !== 'default') return;
    if (isKind(def, '', 'services') || isKind(def, '', 'endpoints')) {
      if (object.metadata.name === KUBERNETES_SERVICE) queue.add(KEY);
    } else if (isKind(def, 'discovery.k8s.io', 'endpointslices')) {
      if (object.metadata.name === KUBERNETES_SERVICE) queue.add(KEY);
    } else if (isKind(def, '', 'namespaces') && object.metadata.name === 'default') queue.add(KEY);
  }

  private liveAddresses(): string[] {
    const now = Date.now();
    const out: string[] = [];
    for (const [ip, until] of this.leases) if (until > now) out.push(ip);
    return out.sort((a, b) => ipNum(a) - ipNum(b));
  }

  reconcile(_key: string, queue: WorkQueue): void {
    const store = this.cp.store;
    const svcDef = kindOf(this.cp, '', 'services');
    if (!svcDef) return;
    const port = this.cp.config.apiservers[0]?.port ?? 6443;
    if (!store.tryGet(svcDef, 'default', KUBERNETES_SERVICE)) {
      const ip = hostAddress(this.cp.config.serviceCIDR, 1);
      this.tryCreate(() =>
        store.create(svcDef, {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: {
            name: KUBERNETES_SERVICE,
            namespace: 'default',
            labels: { component: 'apiserver', provider: 'kubernetes' },
          },
          spec: {
            type: 'ClusterIP',
            clusterIP: ip,
            clusterIPs: [ip],
            ipFamilies: ['IPv4'],
            ipFamilyPolicy: 'SingleStack',
            internalTrafficPolicy: 'Cluster',
            sessionAffinity: 'None',
            ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }],
          },
        }),
      );
    }
    const live = this.liveAddresses();
    // Wake up when the next lease of a stopped apiserver runs out.
    const now = Date.now();
    const pending = [...this.leases.values()].filter((t) => t !== Infinity && t > now);
    if (pending.length) queue.addAfter(KEY, Math.min(...pending) - now + 10);

    const epDef = kindOf(this.cp, '', 'endpoints');
    if (epDef) {
      const want: KObject = {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: KUBERNETES_SERVICE, namespace: 'default', labels: { [SKIP_MIRROR_LABEL]: 'true' } },
        ...(live.length
          ? {
              subsets: [
                { addresses: live.map((ip) => ({ ip })), ports: [{ name: 'https', port, protocol: 'TCP' }] },
              ],
            }
          : {}),
      };
      this.apply(
        epDef,
        want,
        (cur) =>
          sameJson(cur.subsets ?? [], want.subsets ?? []) &&
          cur.metadata.labels?.[SKIP_MIRROR_LABEL] === 'true',
        (o) => {
          if (want.subsets) o.subsets = want.subsets;
          else delete o.subsets;
          o.metadata.labels = { ...(o.metadata.labels ?? {}), [SKIP_MIRROR_LABEL]: 'true' };
        },
      );
    }
    const sliceDef = kindOf(this.cp, 'discovery.k8s.io', 'endpointslices');
    if (sliceDef) {
      const endpoints = live.map((ip) => ({ addresses: [ip], conditions: { ready: true } }));
      const ports = [{ name: 'https', port, protocol: 'TCP' }];
      const want: KObject = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: KUBERNETES_SERVICE,
          namespace: 'default',
          labels: { [SERVICE_NAME_LABEL]: KUBERNETES_SERVICE },
        },
        addressType: 'IPv4',
        endpoints,
        ports,
      };
      this.apply(
        sliceDef,
        want,
        (cur) =>
          sameJson([cur.endpoints ?? [], cur.ports ?? []], [endpoints, ports]) && cur.addressType === 'IPv4',
        (o) => {
          o.endpoints = endpoints;
          o.ports = ports;
          o.addressType = 'IPv4';
          o.metadata.labels = { ...(o.metadata.labels ?? {}), [SERVICE_NAME_LABEL]: KUBERNETES_SERVICE };
        },
      );
    }
  }

  private apply(
    def: Parameters<ControlPlaneCore['store']['create']>[0],
    want: KObject,
    same: (cur: KObject) => boolean,
    fix: (o: KObject) => void,
  ): void {
    const store = this.cp.store;
    const cur = store.tryGet(def, 'default', KUBERNETES_SERVICE);
    if (!cur) {
      this.tryCreate(() => store.create(def, want));
      return;
    }
    if (same(cur)) return;
    store.mutate(def, 'default', KUBERNETES_SERVICE, (o) => {
      fix(o);
    });
  }

  private tryCreate(fn: () => unknown): void {
    try {
      fn();
    } catch (e) {
      if (
        e instanceof ApiError &&
        (e.reason === 'AlreadyExists' || e.reason === 'NotFound' || e.reason === 'Forbidden')
      )
        return;
      throw e;
    }
  }
}

function ipNum(ip: string): number {
  return ip.split('.').reduce((acc, x) => acc * 256 + Number(x), 0);
}
