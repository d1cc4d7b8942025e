/**
 * Node predicates shared by the scheduler and the DaemonSet controller: node selectors and required
 * node affinity (matchExpressions on labels, matchFields on metadata.name), taints and tolerations,
 * and the taints a node's conditions imply.
 */
import type { KObject } from '../kube/object.ts';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' | string;
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if ((t.operator ?? 'Equal') === 'Exists') return !t.key || t.key === taint.key;
  return (t.key ?? '') === taint.key && (t.value ?? '') === (taint.value ?? '');
}

/** The first taint with one of `effects` that no toleration tolerates. */
export function untoleratedTaint(
  taints: Taint[],
  tolerations: Toleration[],
  effects: string[],
): Taint | undefined {
  return taints.find(
    (taint) => effects.includes(taint.effect) && !tolerations.some((t) => tolerates(t, taint)),
  );
}

function nodeCondition(node: KObject, type: string): any | undefined {
  return (node.status?.conditions ?? []).find((c: any) => c.type === type);
}

/** Ready unless the node reports (or was marked) otherwise; a node with no Ready condition yet counts as ready. */
export function isNodeReady(node: KObject): boolean {
  const ready = nodeCondition(node, 'Ready');
  return !ready || ready.status === 'True';
}

/**
 * The node's taints plus those its state implies (TaintNodesByCondition) even before the node
 * lifecycle controller has written them: a NotReady node repels pods at once.
 */
export function effectiveTaints(node: KObject): Taint[] {
  const taints: Taint[] = [...(node.spec?.taints ?? [])];
  const has = (key: string, effect: string) => taints.some((t) => t.key === key && t.effect === effect);
  const ready = nodeCondition(node, 'Ready');
  if (ready && ready.status !== 'True') {
    const key = ready.status === 'Unknown' ? TAINT_UNREACHABLE : TAINT_NOT_READY;
    if (!has(key, 'NoSchedule')) taints.push({ key, effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable && !has(TAINT_UNSCHEDULABLE, 'NoSchedule')) {
    taints.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
  }
  return taints;
}

interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

function matchRequirement(r: Requirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(values[0]);
    default:
      return false;
  }
}

function matchTerm(term: any, node: KObject): boolean {
  const exprs: Requirement[] = term?.matchExpressions ?? [];
  const fields: Requirement[] = term?.matchFields ?? [];
  if (!exprs.length && !fields.length) return false; // an empty term matches nothing
  const labels = node.metadata.labels ?? {};
  return (
    exprs.every((r) => matchRequirement(r, Object.hasOwn(labels, r.key) ? labels[r.key] : undefined)) &&
    fields.every((r) => matchRequirement(r, r.key === 'metadata.name' ? node.metadata.name : undefined))
  );
}

/** nodeSelector and requiredDuringSchedulingIgnoredDuringExecution both hold. */
export function matchesNodeAffinity(podSpec: any, node: KObject): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries<string>(podSpec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = podSpec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  const terms: any[] = required.nodeSelectorTerms ?? [];
  return terms.some((t) => matchTerm(t, node));
}

/** The node a DaemonSet pod is meant for: spec.nodeName, or its pinned matchFields affinity. */
export function targetNodeName(pod: KObject): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms: any[] =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const t of terms) {
    for (const f of t.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}
