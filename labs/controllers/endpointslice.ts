/**
 * EndpointSlice controllers. `kubectl describe svc` reads only EndpointSlices, so both matter:
 * - endpointslice-controller: for Services with a selector, slices `<svc>-xxxxx` owned by the
 *   Service, one per distinct port set, with ready/serving/terminating conditions per pod;
 * - endpointslicemirroring-controller: for selector-less Services, the user's Endpoints mirrored
 *   into slices owned by that Endpoints object (unless it opts out with skip-mirror).
 */
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { ApiError } from '../kube/errors.ts';
import { controllerRef, type KObject, ownerReferenceTo } from '../kube/object.ts';
import type { KindDefinition } from '../registry/strategy.ts';
import {
  findPort,
  HEADLESS_LABEL,
  hasSelector,
  podBelongsInEndpoints,
  podChangeMatters,
  selectedPods,
  servicesForPod,
  shouldSetHostname,
  TRIGGER_TIME,
} from './endpoints.ts';
import {
  type Change,
  type Controller,
  isKind,
  keyOf,
  kindOf,
  splitKey,
  type WorkQueue,
} from './framework.ts';
import { isPodReady } from './pods.ts';
import { canonicalJson, sameJson, stamp } from './util.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const SLICE_CONTROLLER = 'endpointslice-controller.k8s.io';
export const MIRROR_CONTROLLER = 'endpointslicemirroring-controller.k8s.io';
export const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

interface DesiredSlice {
  ports: any[];
  endpoints: any[];
}

/** Write `desired` slices over the `existing` ones of one owner: reuse by port set, create, delete. */
function reconcileSlices(
  cp: ControlPlaneCore,
  def: KindDefinition,
  owner: KObject,
  existing: KObject[],
  desired: DesiredSlice[],
  meta: { generateName: string; labels: Record<string, string>; annotations: Record<string, string> },
): void {
  const store = cp.store;
  const namespace = owner.metadata.namespace;
  const unused = [...existing].sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  const now = stamp(cp.ctx.now());
  for (const want of desired) {
    const portsKey = canonicalJson(want.ports);
    let i = unused.findIndex((s) => canonicalJson(s.ports ?? []) === portsKey);
    if (i < 0 && unused.length) i = 0;
    const body = (s: KObject) => {
      s.addressType = 'IPv4';
      s.endpoints = want.endpoints;
      s.ports = want.ports;
      s.metadata.labels = { ...meta.labels };
      const trigger = s.metadata.annotations?.[TRIGGER_TIME];
      s.metadata.annotations = { ...meta.annotations };
      if (trigger) s.metadata.annotations[TRIGGER_TIME] = trigger;
    };
    if (i >= 0) {
      const slice = unused.splice(i, 1)[0];
      const probe = JSON.parse(JSON.stringify(slice)) as KObject;
      body(probe);
      if (sameJson(probe, slice)) continue;
      store.mutate(def, namespace, slice.metadata.name!, (o) => {
        body(o);
        o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [TRIGGER_TIME]: now };
      });
      continue;
    }
    const slice: KObject = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { generateName: meta.generateName, namespace, ownerReferences: [ownerReferenceTo(owner)] },
    };
    body(slice);
    slice.metadata.annotations = { ...(slice.metadata.annotations ?? {}), [TRIGGER_TIME]: now };
    try {
      store.create(def, slice);
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'Forbidden') return; // namespace terminating
      throw e;
    }
  }
  for (const s of unused) {
    try {
      store.delete(def, namespace, s.metadata.name!);
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
    }
  }
}

function ownedSlices(
  cp: ControlPlaneCore,
  def: KindDefinition,
  owner: KObject,
  managedBy: string,
): KObject[] {
  const out: KObject[] = [];
  for (const s of cp.store.peek(def)) {
    if (s.metadata.namespace !== owner.metadata.namespace) continue;
    if (s.metadata.labels?.[MANAGED_BY_LABEL] !== managedBy) continue;
    if (s.metadata.labels?.[SERVICE_NAME_LABEL] !== owner.metadata.name) continue;
    out.push(JSON.parse(JSON.stringify(s)));
  }
  return out;
}

function deleteAll(cp: ControlPlaneCore, def: KindDefinition, slices: KObject[]): void {
  for (const s of slices) {
    try {
      cp.store.delete(def, s.metadata.namespace, s.metadata.name!);
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
    }
  }
}

// ---------- endpointslice-controller ----------

export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice-controller';
  private readonly cp: ControlPlaneCore;

  constructor(cp: ControlPlaneCore) {
    this.cp = cp;
  }

  private get svcDef() {
    return kindOf(this.cp, '', 'services');
  }
  private get sliceDef() {
    return kindOf(this.cp, 'discovery.k8s.io', 'endpointslices');
  }
  private get nodeDef() {
    return kindOf(this.cp, '', 'nodes');
  }

  resyncKeys(): Iterable<string> {
    const def = this.svcDef;
    return def ? [...this.cp.store.peek(def)].map(keyOf) : [];
  }

  onChange(change: Change, queue: WorkQueue): void {
    const { def, object, old } = change;
    if (isKind(def, '', 'services')) queue.add(keyOf(object));
    else if (isKind(def, 'discovery.k8s.io', 'endpointslices')) {
      if (change.type === 'ADDED') return;
      if (object.metadata.labels?.[MANAGED_BY_LABEL] !== SLICE_CONTROLLER) return;
      const svc = object.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc) queue.add(`${object.metadata.namespace}/${svc}`);
    } else if (isKind(def, '', 'pods')) {
      if (change.type === 'MODIFIED' && !podChangeMatters(object, old)) return;
      for (const k of servicesForPod(this.cp, object, old)) queue.add(k);
    }
  }

  reconcile(key: string): void {
    const svcDef = this.svcDef;
    const sliceDef = this.sliceDef;
    if (!svcDef || !sliceDef) return;
    const { namespace, name } = splitKey(key);
    const svc = this.cp.store.tryGet(svcDef, namespace, name);
    if (!svc) {
      // The garbage collector removes owned slices too; doing it here spares the wait.
      const stale = [...this.cp.store.peek(sliceDef)].filter(
        (s) =>
          s.metadata.namespace === namespace &&
          s.metadata.labels?.[SERVICE_NAME_LABEL] === name &&
          s.metadata.labels?.[MANAGED_BY_LABEL] === SLICE_CONTROLLER,
      );
      deleteAll(this.cp, sliceDef, stale);
      return;
    }
    const existing = ownedSlices(this.cp, sliceDef, svc, SLICE_CONTROLLER).filter(
      (s) => controllerRef(s)?.uid === svc.metadata.uid,
    );
    if (!hasSelector(svc) || svc.spec?.type === 'ExternalName') {
      deleteAll(this.cp, sliceDef, existing);
      return;
    }
    if (svc.metadata.deletionTimestamp) return;
    const desired = this.desiredSlices(svc);
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries<string>(svc.metadata.labels ?? {})) {
      if (k !== SERVICE_NAME_LABEL && k !== MANAGED_BY_LABEL) labels[k] = v;
    }
    labels[SERVICE_NAME_LABEL] = name;
    labels[MANAGED_BY_LABEL] = SLICE_CONTROLLER;
    if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    reconcileSlices(this.cp, sliceDef, svc, existing, desired, {
      generateName: `${name}-`,
      labels,
      annotations: {},
    });
  }

  private zoneOf(nodeName: string | undefined): string | undefined {
    const def = this.nodeDef;
    if (!def || !nodeName) return undefined;
    return this.cp.store.tryGet(def, undefined, nodeName)?.metadata.labels?.['topology.kubernetes.io/zone'];
  }

  private desiredSlices(svc: KObject): DesiredSlice[] {
    const publishNotReady = !!svc.spec?.publishNotReadyAddresses;
    const groups = new Map<string, DesiredSlice>();
    const pods = selectedPods(this.cp, svc).sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
    for (const pod of pods) {
      if (!podBelongsInEndpoints(pod, true)) continue;
      const ports: any[] = [];
      for (const sp of svc.spec?.ports ?? []) {
        const port = findPort(pod, sp);
        if (port === undefined) continue;
        ports.push({
          name: sp.name ?? '',
          port,
          protocol: sp.protocol ?? 'TCP',
          ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}),
        });
      }
      if ((svc.spec?.ports ?? []).length && !ports.length) continue;
      const serving = isPodReady(pod);
      const terminating = !!pod.metadata.deletionTimestamp;
      const ready = publishNotReady || (serving && !terminating);
      const zone = this.zoneOf(pod.spec?.nodeName);
      const endpoint: any = {
        addresses: [pod.status.podIP ?? pod.status.podIPs?.[0]?.ip],
        conditions: { ready, serving, terminating },
        ...(shouldSetHostname(pod, svc) ? { hostname: pod.spec.hostname } : {}),
        targetRef: {
          kind: 'Pod',
          namespace: pod.metadata.namespace,
          name: pod.metadata.name,
          uid: pod.metadata.uid,
        },
        ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
        ...(zone ? { zone } : {}),
      };
      const key = canonicalJson(ports);
      const g = groups.get(key) ?? { ports, endpoints: [] };
      g.endpoints.push(endpoint);
      groups.set(key, g);
    }
    // A Service with nothing behind it still gets one empty placeholder slice.
    if (!groups.size) return [{ ports: [], endpoints: [] }];
    return [...groups.values()];
  }
}

// ---------- endpointslicemirroring-controller ----------

export class EndpointSliceMirroringController implements Controller {
  readonly name = 'endpointslicemirroring-controller';
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
  private get sliceDef() {
    return kindOf(this.cp, 'discovery.k8s.io', 'endpointslices');
  }

  resyncKeys(): Iterable<string> {
    const def = this.epDef;
    return def ? [...this.cp.store.peek(def)].map(keyOf) : [];
  }

  onChange(change: Change, queue: WorkQueue): void {
    const { def, object } = change;
    if (isKind(def, '', 'endpoints') || isKind(def, '', 'services')) queue.add(keyOf(object));
    else if (isKind(def, 'discovery.k8s.io', 'endpointslices')) {
      if (change.type === 'ADDED' || object.metadata.labels?.[MANAGED_BY_LABEL] !== MIRROR_CONTROLLER) return;
      const svc = object.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc) queue.add(`${object.metadata.namespace}/${svc}`);
    }
  }

  reconcile(key: string): void {
    const svcDef = this.svcDef;
    const epDef = this.epDef;
    const sliceDef = this.sliceDef;
    if (!svcDef || !epDef || !sliceDef) return;
    const { namespace, name } = splitKey(key);
    const store = this.cp.store;
    const ep = store.tryGet(epDef, namespace, name);
    const svc = store.tryGet(svcDef, namespace, name);
    const mirrored = [...store.peek(sliceDef)]
      .filter(
        (s) =>
          s.metadata.namespace === namespace &&
          s.metadata.labels?.[SERVICE_NAME_LABEL] === name &&
          s.metadata.labels?.[MANAGED_BY_LABEL] === MIRROR_CONTROLLER,
      )
      .map((s) => JSON.parse(JSON.stringify(s)) as KObject);
    const mirror = ep && svc && !hasSelector(svc) && ep.metadata.labels?.[SKIP_MIRROR_LABEL] !== 'true';
    if (!mirror || ep.metadata.deletionTimestamp) {
      deleteAll(this.cp, sliceDef, mirrored);
      return;
    }
    const desired: DesiredSlice[] = [];
    for (const subset of ep.subsets ?? []) {
      const ports = (subset.ports ?? []).map((p: any) => ({
        name: p.name ?? '',
        port: p.port,
        protocol: p.protocol ?? 'TCP',
        ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
      }));
      const endpoints = [
        ...(subset.addresses ?? []).map((a: any) => mirrorAddress(a, true)),
        ...(subset.notReadyAddresses ?? []).map((a: any) => mirrorAddress(a, false)),
      ];
      if (!endpoints.length) continue;
      const existing = desired.find((d) => canonicalJson(d.ports) === canonicalJson(ports));
      if (existing) existing.endpoints.push(...endpoints);
      else desired.push({ ports, endpoints });
    }
    const labels: Record<string, string> = { ...(ep.metadata.labels ?? {}) };
    labels[SERVICE_NAME_LABEL] = name;
    labels[MANAGED_BY_LABEL] = MIRROR_CONTROLLER;
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries<string>(ep.metadata.annotations ?? {})) {
      if (k !== LAST_APPLIED && k !== TRIGGER_TIME) annotations[k] = v;
    }
    const owned = mirrored.filter((s) => controllerRef(s)?.uid === ep.metadata.uid);
    deleteAll(
      this.cp,
      sliceDef,
      mirrored.filter((s) => !owned.includes(s)),
    );
    reconcileSlices(this.cp, sliceDef, ep, owned, desired, { generateName: `${name}-`, labels, annotations });
  }
}

function mirrorAddress(a: any, ready: boolean): any {
  return {
    addresses: [a.ip],
    conditions: { ready },
    ...(a.hostname ? { hostname: a.hostname } : {}),
    ...(a.targetRef ? { targetRef: a.targetRef } : {}),
    ...(a.nodeName ? { nodeName: a.nodeName } : {}),
  };
}
