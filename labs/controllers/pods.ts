/**
 * Pod facts the workload controllers agree on (k8s.io/kubernetes/pkg/api/v1/pod and
 * pkg/controller): readiness, availability, activity, and the order in which a controller picks
 * pods to delete when it scales down.
 */
import type { KObject } from '../kube/object.ts';

export function podCondition(pod: KObject, type: string): any | undefined {
  return (pod.status?.conditions ?? []).find((c: any) => c.type === type);
}

export function isPodReady(pod: KObject): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** Ready for at least minReadySeconds. */
export function isPodAvailable(pod: KObject, minReadySeconds: number, now: number): boolean {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = Date.parse(ready.lastTransitionTime ?? '');
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

/** When a ready-but-not-yet-available pod becomes available (ms since epoch), for requeues. */
export function availableAt(pod: KObject, minReadySeconds: number): number | undefined {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True' || !minReadySeconds) return undefined;
  const since = Date.parse(ready.lastTransitionTime ?? '');
  return Number.isFinite(since) ? since + minReadySeconds * 1000 : undefined;
}

export function isPodTerminal(pod: KObject): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Counts toward a controller's replicas: not finished and not being deleted. */
export function isPodActive(pod: KObject): boolean {
  return !isPodTerminal(pod) && !pod.metadata.deletionTimestamp;
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function maxRestarts(pod: KObject): number {
  let max = 0;
  for (const s of pod.status?.containerStatuses ?? []) max = Math.max(max, s.restartCount ?? 0);
  return max;
}

function deletionCost(pod: KObject): number {
  const v = Number(pod.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost']);
  return Number.isFinite(v) ? v : 0;
}

/** log2 bucket of a duration, as LogarithmicScaleDown compares ages: similar ages tie. */
function ageBucket(since: number | undefined, now: number): number {
  if (since === undefined || !Number.isFinite(since)) return -1;
  const seconds = Math.max(0, (now - since) / 1000);
  return seconds < 1 ? 0 : Math.floor(Math.log2(seconds)) + 1;
}

function readySince(pod: KObject): number | undefined {
  const ready = podCondition(pod, 'Ready');
  return ready?.status === 'True' ? Date.parse(ready.lastTransitionTime ?? '') : undefined;
}

/**
 * Order pods so the ones to delete first come first (controller.ActivePodsWithRanks):
 * unassigned < assigned; Pending < Unknown < Running; not ready < ready; lower deletion cost first;
 * more pods of the same owner on the node first; ready for less time first; more restarts first;
 * newer first.
 * `rank` is the number of related active pods sharing the pod's node.
 */
export function rankPodsForDeletion(pods: KObject[], rank: Map<string, number>, now: number): KObject[] {
  const key = (p: KObject) => p.metadata.uid ?? p.metadata.name!;
  return [...pods].sort((a, b) => {
    const an = a.spec?.nodeName ? 1 : 0;
    const bn = b.spec?.nodeName ? 1 : 0;
    if (an !== bn) return an - bn;
    const ap = PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0;
    const bp = PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0;
    if (ap !== bp) return ap - bp;
    const ar = isPodReady(a) ? 1 : 0;
    const br = isPodReady(b) ? 1 : 0;
    if (ar !== br) return ar - br;
    const ac = deletionCost(a);
    const bc = deletionCost(b);
    if (ac !== bc) return ac - bc;
    const ark = rank.get(key(a)) ?? 0;
    const brk = rank.get(key(b)) ?? 0;
    if (ark !== brk) return brk - ark;
    if (ar && br) {
      const at = ageBucket(readySince(a), now);
      const bt = ageBucket(readySince(b), now);
      if (at !== bt) return at - bt;
    }
    const rs = maxRestarts(b) - maxRestarts(a);
    if (rs !== 0) return rs;
    const aa = ageBucket(Date.parse(a.metadata.creationTimestamp ?? ''), now);
    const ba = ageBucket(Date.parse(b.metadata.creationTimestamp ?? ''), now);
    return aa - ba;
  });
}

/** For each pod, how many of `related` active pods share its node (getPodsRankedByRelatedPodsOnSameNode). */
export function sameNodeRanks(pods: KObject[], related: KObject[]): Map<string, number> {
  const perNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p) || !p.spec?.nodeName) continue;
    perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  }
  const out = new Map<string, number>();
  for (const p of pods)
    out.set(p.metadata.uid ?? p.metadata.name!, p.spec?.nodeName ? (perNode.get(p.spec.nodeName) ?? 0) : 0);
  return out;
}

/** A pod from a controller's template: what controller.GetPodFromTemplate builds. */
export function podFromTemplate(template: any, owner: KObject, generateName: string): KObject {
  const meta = template?.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace: owner.metadata.namespace,
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [
        {
          apiVersion: owner.apiVersion,
          kind: owner.kind,
          name: owner.metadata.name!,
          uid: owner.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: JSON.parse(JSON.stringify(template?.spec ?? {})),
  };
}

export function byCreation(a: KObject, b: KObject): number {
  return (
    (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
    a.metadata.name!.localeCompare(b.metadata.name!)
  );
}
