/**
 * What the default admission plugins add to every new Pod before it is stored: the service
 * account and its token volume (ServiceAccount), the not-ready/unreachable tolerations
 * (DefaultTolerationSeconds) and the priority (Priority). `kubectl get pod -o yaml` shows all of them.
 */
import type { KObject } from '../../kube/object.ts';
import { randomSuffix } from '../../store/store.ts';

type Obj = Record<string, any>;

const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Priorities of the classes every cluster has; anything else is resolved by the scheduler's view. */
const SYSTEM_PRIORITIES: Record<string, number> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

function isMirrorPod(pod: KObject): boolean {
  return Boolean(pod.metadata.annotations?.['kubernetes.io/config.mirror']);
}

function addServiceAccount(pod: KObject, spec: Obj): void {
  if (isMirrorPod(pod)) return;
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
  spec.serviceAccount = spec.serviceAccountName;
  if (spec.automountServiceAccountToken === false) return;
  const containers: Obj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].filter(
    (c) => c && typeof c === 'object',
  );
  if (containers.some((c) => (c.volumeMounts ?? []).some((m: Obj) => m?.mountPath === TOKEN_MOUNT_PATH)))
    return;
  const name = `kube-api-access-${randomSuffix()}`;
  spec.volumes = [
    ...(Array.isArray(spec.volumes) ? spec.volumes : []),
    {
      name,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          {
            downwardAPI: {
              items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
            },
          },
        ],
      },
    },
  ];
  for (const c of containers) {
    c.volumeMounts = [
      ...(Array.isArray(c.volumeMounts) ? c.volumeMounts : []),
      { name, readOnly: true, mountPath: TOKEN_MOUNT_PATH },
    ];
  }
}

function addDefaultTolerations(spec: Obj): void {
  const tolerations: Obj[] = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  const tolerates = (key: string) =>
    tolerations.some(
      (t) =>
        t &&
        (t.effect === 'NoExecute' || !t.effect) &&
        (t.key === key || (!t.key && t.operator === 'Exists')),
    );
  const added: Obj[] = [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerates(key)) added.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  if (added.length) spec.tolerations = [...tolerations, ...added];
}

function addPriority(spec: Obj): void {
  if (spec.priority === undefined || spec.priority === null) {
    spec.priority = SYSTEM_PRIORITIES[spec.priorityClassName] ?? 0;
  }
  if (!spec.preemptionPolicy) spec.preemptionPolicy = 'PreemptLowerPriority';
}

export function admitPod(pod: KObject): void {
  const spec: Obj = pod.spec;
  addServiceAccount(pod, spec);
  addPriority(spec);
  addDefaultTolerations(spec);
}

/** qos.GetPodQOS over cpu and memory. */
export function qosClass(spec: Obj): 'BestEffort' | 'Burstable' | 'Guaranteed' {
  const containers: Obj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].filter(
    (c) => c && typeof c === 'object',
  );
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined || lim[r] !== undefined) any = true;
      if (lim[r] === undefined || String(req[r] ?? lim[r]) !== String(lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
