/**
 * Defaults of the core/v1 PodSpec and Container (pkg/apis/core/v1/defaults.go). Applied to Pods and
 * to every pod template (Deployment, ReplicaSet, DaemonSet, StatefulSet, Job, ...), which is why a
 * Deployment read back from a real cluster carries dnsPolicy, schedulerName, terminationMessagePath...
 */
import { unset } from '../lib/base.ts';

type Obj = Record<string, any>;

/** The tag docker would pull: 'latest' when the reference names neither tag nor digest. */
export function imageTag(image: string | undefined): string {
  if (!image) return '';
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > lastSlash) return ref.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

function defaultHTTPGet(action: Obj | undefined): void {
  if (!action || typeof action !== 'object') return;
  if (unset(action.path)) action.path = '/';
  if (unset(action.scheme)) action.scheme = 'HTTP';
}

function defaultProbe(probe: Obj | undefined): void {
  if (!probe || typeof probe !== 'object') return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (probe.timeoutSeconds === 0) probe.timeoutSeconds = 1;
  if (probe.periodSeconds === 0) probe.periodSeconds = 10;
  if (probe.successThreshold === 0) probe.successThreshold = 1;
  if (probe.failureThreshold === 0) probe.failureThreshold = 3;
  defaultHTTPGet(probe.httpGet);
}

function defaultFieldRef(ref: Obj | undefined): void {
  if (ref && typeof ref === 'object' && unset(ref.apiVersion)) ref.apiVersion = 'v1';
}

export function defaultContainer(c: Obj): void {
  if (!c || typeof c !== 'object') return;
  if (unset(c.imagePullPolicy))
    c.imagePullPolicy = imageTag(c.image) === 'latest' ? 'Always' : 'IfNotPresent';
  if (unset(c.terminationMessagePath)) c.terminationMessagePath = '/dev/termination-log';
  if (unset(c.terminationMessagePolicy)) c.terminationMessagePolicy = 'File';
  // ResourceRequirements is a struct, so Go's encoder always writes it.
  if (!c.resources || typeof c.resources !== 'object') c.resources = {};
  for (const p of Array.isArray(c.ports) ? c.ports : []) if (p && unset(p.protocol)) p.protocol = 'TCP';
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultHTTPGet(c.lifecycle?.postStart?.httpGet);
  defaultHTTPGet(c.lifecycle?.preStop?.httpGet);
  for (const e of Array.isArray(c.env) ? c.env : []) defaultFieldRef(e?.valueFrom?.fieldRef);
}

const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
];

export function volumeSources(v: Obj): string[] {
  return VOLUME_SOURCES.filter((s) => v[s] !== undefined && v[s] !== null);
}

function defaultVolume(v: Obj): void {
  if (!v || typeof v !== 'object') return;
  if (!volumeSources(v).length) v.emptyDir = {};
  for (const kind of ['secret', 'configMap', 'projected', 'downwardAPI']) {
    if (v[kind] && typeof v[kind] === 'object') v[kind].defaultMode ??= 420;
  }
  if (v.hostPath && typeof v.hostPath === 'object') v.hostPath.type ??= '';
  for (const item of v.downwardAPI?.items ?? []) defaultFieldRef(item?.fieldRef);
  for (const source of v.projected?.sources ?? []) {
    for (const item of source?.downwardAPI?.items ?? []) defaultFieldRef(item?.fieldRef);
    if (source?.serviceAccountToken && typeof source.serviceAccountToken === 'object') {
      source.serviceAccountToken.expirationSeconds ??= 3600;
    }
  }
}

export function allContainers(spec: Obj): Obj[] {
  const lists = [spec.initContainers, spec.containers, spec.ephemeralContainers];
  return lists.flatMap((l) => (Array.isArray(l) ? l.filter((c) => c && typeof c === 'object') : []));
}

/** SetDefaults_PodSpec plus the per-container and per-volume defaults. */
export function defaultPodSpec(spec: Obj): void {
  if (unset(spec.dnsPolicy)) spec.dnsPolicy = 'ClusterFirst';
  if (unset(spec.restartPolicy)) spec.restartPolicy = 'Always';
  if (!spec.securityContext || typeof spec.securityContext !== 'object') spec.securityContext = {};
  spec.terminationGracePeriodSeconds ??= 30;
  if (unset(spec.schedulerName)) spec.schedulerName = 'default-scheduler';
  for (const c of allContainers(spec)) defaultContainer(c);
  for (const v of Array.isArray(spec.volumes) ? spec.volumes : []) defaultVolume(v);
}

/** SetDefaults_Pod: what only a Pod (not a template) gets. */
export function defaultPodOnly(spec: Obj): void {
  spec.enableServiceLinks ??= true;
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    if (!c || typeof c !== 'object') continue;
    // Requests default to limits when only limits are given.
    const limits = c.resources?.limits;
    if (limits && typeof limits === 'object') {
      c.resources.requests ??= {};
      for (const [k, v] of Object.entries(limits))
        if (c.resources.requests[k] === undefined) c.resources.requests[k] = v;
    }
    if (spec.hostNetwork) {
      for (const p of Array.isArray(c.ports) ? c.ports : [])
        if (p && !p.hostPort) p.hostPort = p.containerPort;
    }
  }
}

/** A template's metadata always carries `creationTimestamp: null` when read back, as Go encodes a zero time. */
export function defaultTemplateMeta(template: Obj): void {
  if (!template.metadata || typeof template.metadata !== 'object') template.metadata = {};
  if (!('creationTimestamp' in template.metadata)) template.metadata.creationTimestamp = null;
}

/** Defaults of a pod template inside a workload: template metadata and the spec. */
export function defaultPodTemplate(template: Obj | undefined): void {
  if (!template || typeof template !== 'object') return;
  defaultTemplateMeta(template);
  if (!template.spec || typeof template.spec !== 'object') template.spec = {};
  defaultPodSpec(template.spec);
}
