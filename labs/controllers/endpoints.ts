/**
 * Endpoints controller, after pkg/controller/endpoint: for every Service with a selector, an
 * Endpoints object of the same name whose subsets group pod addresses by identical port sets;
 * ready pods in `addresses`, others in `notReadyAddresses`. Services without a selector are left
 * to their users; the Endpoints object goes when its Service goes.
 */
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { ApiError } from '../kube/errors.ts';
import type { KObject } from '../kube/object.ts';
import { matchesSelector, selectorFromMap } from '../kube/selectors.ts';
import {
  type Change,
  type Controller,
  isKind,
  keyOf,
  kindOf,
  splitKey,
  type WorkQueue,
} from './framework.ts';
import { isPodReady, isPodTerminal } from './pods.ts';
import { canonicalJson, sameJson, stamp } from './util.ts';

export const TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
const SOURCE = { component: 'endpoint-controller' };

export function hasSelector(svc: KObject): boolean {
  return !!svc.spec?.selector && Object.keys(svc.spec.selector).length > 0;
}

/** ShouldPodBeInEndpoints */
export function podBelongsInEndpoints(pod: KObject, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!pod.status?.podIP && !pod.status?.podIPs?.length) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** podutil.FindPort: a numeric targetPort as is; a named one from the pod's container ports. */
export function findPort(pod: KObject, svcPort: any): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(String(target))) return Number(target);
  const protocol = svcPort.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** Pods of the Service's namespace its selector picks. */
export function selectedPods(cp: ControlPlaneCore, svc: KObject): KObject[] {
  const podDef = kindOf(cp, '', 'pods');
  if (!podDef) return [];
  const sel = selectorFromMap(svc.spec?.selector);
  const out: KObject[] = [];
  for (const p of cp.store.peek(podDef)) {
    if (p.metadata.namespace === svc.metadata.namespace && matchesSelector(sel, p.metadata.labels))
      out.push(p);
  }
  return out;
}

/** Services in the pod's namespace whose selector picks the pod now or picked it before. */
export function servicesForPod(cp: ControlPlaneCore, pod: KObject, old?: KObject): string[] {
  const svcDef = kindOf(cp, '', 'services');
  if (!svcDef) return [];
  const out: string[] = [];
  for (const svc of cp.store.peek(svcDef)) {
    if (svc.metadata.namespace !== pod.metadata.namespace || !hasSelector(svc)) continue;
    const sel = selectorFromMap(svc.spec.selector);
    if (matchesSelector(sel, pod.metadata.labels) || (old && matchesSelector(sel, old.metadata.labels)))
      out.push(keyOf(svc));
  }
  return out;
}

/** Whether a pod change can change any endpoint (not every status write does). */
export function podChangeMatters(pod: KObject, old: KObject | undefined): boolean {
  if (!old) return true;
  const view = (p: KObject) =>
    canonicalJson([
      p.metadata.labels,
      p.metadata.deletionTimestamp,
      p.status?.podIP,
      p.status?.phase,
      isPodReady(p),
      p.spec?.nodeName,
      p.spec?.hostname,
      p.spec?.subdomain,
    ]);
  return view(pod) !== view(old);
}

export function shouldSetHostname(pod: KObject, svc: KObject): boolean {
  return (
    !!pod.spec?.hostname &&
    pod.spec?.subdomain === svc.metadata.name &&
    pod.metadata.namespace === svc.metadata.namespace
  );
}

function addressFor(pod: KObject, svc: KObject): any {
  return {
    ip: pod.status.podIP ?? pod.status.podIPs?.[0]?.ip,
    ...(shouldSetHostname(pod, svc) ? { hostname: pod.spec.hostname } : {}),
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    targetRef: {
      kind: 'Pod',
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
    },
  };
}

/** The subsets for a Service: one per distinct port set, addresses sorted, ready beating not ready. */
export function computeSubsets(svc: KObject, pods: KObject[]): any[] {
  const tolerateUnready = !!svc.spec?.publishNotReadyAddresses;
  const groups = new Map<string, { ports: any[]; ready: Map<string, any>; notReady: Map<string, any> }>();
  const add = (ports: any[], addr: any, ready: boolean) => {
    const key = canonicalJson(ports);
    let g = groups.get(key);
    if (!g) {
      g = { ports, ready: new Map(), notReady: new Map() };
      groups.set(key, g);
    }
    const id = `${addr.ip}/${addr.targetRef?.uid ?? ''}`;
    if (ready) {
      g.ready.set(id, addr);
      g.notReady.delete(id);
    } else if (!g.ready.has(id)) g.notReady.set(id, addr);
  };
  for (const pod of pods) {
    if (!podBelongsInEndpoints(pod, tolerateUnready)) continue;
    const addr = addressFor(pod, svc);
    const ready = tolerateUnready || isPodReady(pod);
    const svcPorts: any[] = svc.spec?.ports ?? [];
    if (!svcPorts.length) {
      if (svc.spec?.clusterIP === 'None') add([], addr, ready);
      continue;
    }
    for (const sp of svcPorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue; // the pod lacks the named port: not an endpoint for it
      const epp: any = { ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol) epp.appProtocol = sp.appProtocol;
      add([epp], addr, ready);
    }
  }
  // RepackSubsets: addresses that share the same ports end up in one subset.
  const byAddresses = new Map<string, { ports: any[]; addresses: any[]; notReadyAddresses: any[] }>();
  for (const g of groups.values()) {
    const ready = [...g.ready.values()].sort(byIp);
    const notReady = [...g.notReady.values()].sort(byIp);
    const key = canonicalJson([ready, notReady]);
    const existing = byAddresses.get(key);
    if (existing) existing.ports.push(...g.ports);
    else byAddresses.set(key, { ports: [...g.ports], addresses: ready, notReadyAddresses: notReady });
  }
  const subsets = [...byAddresses.values()].map((s) => {
    const out: any = {};
    if (s.addresses.length) out.addresses = s.addresses;
    if (s.notReadyAddresses.length) out.notReadyAddresses = s.notReadyAddresses;
    s.ports.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port);
    if (s.ports.length) out.ports = s.ports;
    return out;
  });
  return subsets.sort((a, b) => canonicalJson(a).localeCompare(canonicalJson(b)));
}

function byIp(a: any, b: any): number {
  const n = (ip: string) => ip.split('.').reduce((acc, x) => acc * 256 + Number(x), 0);
  return n(a.ip) - n(b.ip) || (a.targetRef?.uid ?? '').localeCompare(b.targetRef?.uid ?? '');
}

export class EndpointsController implements Controller {
  readonly name = 'endpoint-controller';
  private readonly cp: ControlPlaneCore;

  constructor(cp: ControlPlaneCore) {
    this.cp = cp;
  }

  private get svcDef() {
    return kindOf(this.cp, '', 'services');
  }
  private get epDef() {
    return kindOf(this.cp, '', 'endpoints');
  }

  resyncKeys(): Iterable<string> {
    const def = this.svcDef;
    return def ? [...this.cp.store.peek(def)].map(keyOf) : [];
  }

  onChange(change: Change, queue: WorkQueue): void {
    const { def, object, old } = change;
    if (isKind(def, '', 'services')) queue.add(keyOf(object));
    else if (isKind(def, '', 'endpoints')) {
      // Someone edited or deleted what we manage: put it back.
      if (change.type !== 'ADDED') queue.add(keyOf(object));
    } else if (isKind(def, '', 'pods')) {
      if (change.type === 'MODIFIED' && !podChangeMatters(object, old)) return;
      for (const k of servicesForPod(this.cp, object, old)) queue.add(k);
    }
  }

  reconcile(key: string): void {
    const svcDef = this.svcDef;
    const epDef = this.epDef;
    if (!svcDef || !epDef) return;
    const { namespace, name } = splitKey(key);
    const store = this.cp.store;
    const svc = store.tryGet(svcDef, namespace, name);
    if (!svc) {
      try {
        store.delete(epDef, namespace, name);
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
      }
      return;
    }
    if (!hasSelector(svc) || svc.spec?.type === 'ExternalName') return;
    if (svc.metadata.deletionTimestamp) return;
    const subsets = computeSubsets(svc, selectedPods(this.cp, svc));
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    else delete labels[HEADLESS_LABEL];
    const current = store.tryGet(epDef, namespace, name);
    if (
      current &&
      sameJson(current.subsets ?? [], subsets) &&
      sameJson(current.metadata.labels ?? {}, labels)
    )
      return;
    const now = stamp(this.cp.ctx.now());
    if (!current) {
      try {
        store.create(epDef, {
          apiVersion: 'v1',
          kind: 'Endpoints',
          metadata: {
            name,
            namespace,
            ...(Object.keys(labels).length ? { labels } : {}),
            annotations: { [TRIGGER_TIME]: now },
          },
          ...(subsets.length ? { subsets } : {}),
        });
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'Forbidden') return; // namespace terminating
        this.cp.events.record(
          svc,
          'Warning',
          'FailedToCreateEndpoint',
          `Failed to create endpoint for service ${namespace}/${name}: ${(e as Error).message}`,
          SOURCE,
        );
        throw e;
      }
      return;
    }
    store.mutate(epDef, namespace, name, (o) => {
      if (subsets.length) o.subsets = subsets;
      else delete o.subsets;
      if (Object.keys(labels).length) o.metadata.labels = labels;
      else delete o.metadata.labels;
      o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [TRIGGER_TIME]: now };
    });
  }
}
