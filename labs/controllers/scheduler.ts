/**
 * kube-scheduler, reduced to what a lab needs: filter nodes (unschedulable, taints and tolerations,
 * node selector and required node affinity, host ports), score by spreading the pods of one owner
 * and then all pods, bind, and report as the real one does: PodScheduled, `Scheduled` and
 * `FailedScheduling` events with the real messages.
 */
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { controllerRef, type KObject } from '../kube/object.ts';
import {
  type Change,
  type Controller,
  isKind,
  keyOf,
  kindOf,
  splitKey,
  type WorkQueue,
} from './framework.ts';
import {
  effectiveTaints,
  matchesNodeAffinity,
  TAINT_UNSCHEDULABLE,
  type Toleration,
  untoleratedTaint,
} from './nodes.ts';
import { isPodTerminal, podCondition } from './pods.ts';
import { sameJson, stamp } from './util.ts';

export const SCHEDULER_NAME = 'default-scheduler';
const SOURCE = { component: SCHEDULER_NAME };
/** Unschedulable pods are retried at least this often, as podMaxInUnschedulablePodsDuration does. */
const RETRY_UNSCHEDULABLE_MS = 5 * 60 * 1000;

function wantsScheduling(pod: KObject): boolean {
  return (
    !pod.spec?.nodeName &&
    !pod.metadata.deletionTimestamp &&
    !isPodTerminal(pod) &&
    !pod.spec?.schedulingGates?.length &&
    (pod.spec?.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME
  );
}

function hostPorts(pod: KObject): string[] {
  const out: string[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.hostPort) out.push(`${p.protocol ?? 'TCP'}/${p.hostIP || '0.0.0.0'}/${p.hostPort}`);
    }
  }
  return out;
}

function portsClash(a: string[], b: string[]): boolean {
  for (const x of a) {
    const [pa, ia, na] = x.split('/');
    for (const y of b) {
      const [pb, ib, nb] = y.split('/');
      if (pa === pb && na === nb && (ia === ib || ia === '0.0.0.0' || ib === '0.0.0.0')) return true;
    }
  }
  return false;
}

/** Why one node cannot take the pod, in the filter plugins' words; undefined when it fits. */
function filterNode(pod: KObject, node: KObject, podsOnNode: KObject[]): string | undefined {
  const tolerations: Toleration[] = pod.spec?.tolerations ?? [];
  if (node.spec?.unschedulable) {
    if (untoleratedTaint([{ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' }], tolerations, ['NoSchedule'])) {
      return 'node(s) were unschedulable';
    }
  }
  const taints = effectiveTaints(node).filter(
    (t) => t.key !== TAINT_UNSCHEDULABLE || !node.spec?.unschedulable,
  );
  const taint = untoleratedTaint(taints, tolerations, ['NoSchedule', 'NoExecute']);
  if (taint) return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
  if (!matchesNodeAffinity(pod.spec, node)) return "node(s) didn't match Pod's node affinity/selector";
  const wanted = hostPorts(pod);
  if (wanted.length && podsOnNode.some((p) => portsClash(wanted, hostPorts(p)))) {
    return "node(s) didn't have free ports for the requested pod ports";
  }
  return undefined;
}

/** FitError.Error(), with the preemption post-filter's verdict appended. */
export function fitErrorMessage(total: number, reasons: Map<string, number>): string {
  const parts = [...reasons].map(([reason, n]) => `${n} ${reason}`).sort();
  return (
    `0/${total} nodes are available: ${parts.join(', ')}. ` +
    `preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`
  );
}

export class Scheduler implements Controller {
  readonly name = SCHEDULER_NAME;
  private readonly cp: ControlPlaneCore;

  constructor(cp: ControlPlaneCore) {
    this.cp = cp;
  }

  private get podDef() {
    return kindOf(this.cp, '', 'pods');
  }
  private get nodeDef() {
    return kindOf(this.cp, '', 'nodes');
  }

  private pendingKeys(): string[] {
    const def = this.podDef;
    if (!def) return [];
    const out: string[] = [];
    for (const p of this.cp.store.peek(def)) if (wantsScheduling(p)) out.push(keyOf(p));
    return out;
  }

  resyncKeys(): Iterable<string> {
    return this.pendingKeys();
  }

  onChange(change: Change, queue: WorkQueue): void {
    const { def, object, old } = change;
    if (isKind(def, '', 'pods')) {
      // Our own status writes must not trigger another attempt (and another event); spec changes
      // such as removed scheduling gates or added tolerations do.
      const specChanged = change.type === 'ADDED' || !old || !sameJson(object.spec, old.spec);
      if (change.type !== 'DELETED' && specChanged && wantsScheduling(object)) queue.add(keyOf(object));
      // A pod leaving a node frees its host ports: others may fit now.
      if (change.type === 'DELETED' && object.spec?.nodeName && hostPorts(object).length) {
        for (const k of this.pendingKeys()) queue.add(k);
      }
      return;
    }
    if (isKind(def, '', 'nodes')) {
      if (change.type === 'MODIFIED' && old && !schedulingRelevant(object, old)) return;
      for (const k of this.pendingKeys()) queue.add(k);
    }
  }

  reconcile(key: string, queue: WorkQueue): void {
    const podDef = this.podDef;
    const nodeDef = this.nodeDef;
    if (!podDef || !nodeDef) return;
    const { namespace, name } = splitKey(key);
    const pod = this.cp.store.tryGet(podDef, namespace, name);
    if (!pod || !wantsScheduling(pod)) return;
    const nodes = this.cp.store.list(nodeDef);
    if (!nodes.length) {
      this.fail(pod, 'no nodes available to schedule pods');
      queue.addAfter(key, RETRY_UNSCHEDULABLE_MS);
      return;
    }
    const byNode = new Map<string, KObject[]>();
    for (const p of this.cp.store.peek(podDef)) {
      const n = p.spec?.nodeName;
      if (!n || isPodTerminal(p)) continue;
      const list = byNode.get(n) ?? [];
      list.push(p);
      byNode.set(n, list);
    }
    const reasons = new Map<string, number>();
    const feasible: KObject[] = [];
    for (const node of nodes) {
      const why = filterNode(pod, node, byNode.get(node.metadata.name!) ?? []);
      if (why) reasons.set(why, (reasons.get(why) ?? 0) + 1);
      else feasible.push(node);
    }
    if (!feasible.length) {
      this.fail(pod, fitErrorMessage(nodes.length, reasons));
      queue.addAfter(key, RETRY_UNSCHEDULABLE_MS);
      return;
    }
    const owner = controllerRef(pod)?.uid;
    const score = (node: KObject): [number, number] => {
      const pods = byNode.get(node.metadata.name!) ?? [];
      return [owner ? pods.filter((p) => controllerRef(p)?.uid === owner).length : 0, pods.length];
    };
    feasible.sort((a, b) => {
      const [ao, at] = score(a);
      const [bo, bt] = score(b);
      return ao - bo || at - bt || a.metadata.name!.localeCompare(b.metadata.name!);
    });
    this.bind(pod, feasible[0].metadata.name!);
  }

  /** What the binding subresource does: set spec.nodeName, then mark the pod scheduled. */
  private bind(pod: KObject, nodeName: string): void {
    const store = this.cp.store;
    const podDef = this.podDef!;
    const ns = pod.metadata.namespace;
    const name = pod.metadata.name!;
    const bound = store.mutate(podDef, ns, name, (o) => {
      if (o.spec.nodeName)
        throw new Error(`pod ${ns}/${name} is already assigned to node "${o.spec.nodeName}"`);
      o.spec.nodeName = nodeName;
    });
    this.setScheduledCondition(bound, { type: 'PodScheduled', status: 'True' });
    this.cp.events.record(
      bound,
      'Normal',
      'Scheduled',
      `Successfully assigned ${ns}/${name} to ${nodeName}`,
      SOURCE,
    );
  }

  private fail(pod: KObject, message: string): void {
    this.setScheduledCondition(pod, {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
    });
    this.cp.events.record(pod, 'Warning', 'FailedScheduling', message, SOURCE);
  }

  private setScheduledCondition(pod: KObject, cond: Record<string, string>): void {
    const current = podCondition(pod, 'PodScheduled');
    if (
      current &&
      current.status === cond.status &&
      current.reason === cond.reason &&
      current.message === cond.message
    )
      return;
    const now = stamp(this.cp.ctx.now());
    const next = {
      ...cond,
      lastProbeTime: null,
      lastTransitionTime: current?.status === cond.status ? current.lastTransitionTime : now,
    };
    this.cp.store.mutate(
      this.podDef!,
      pod.metadata.namespace,
      pod.metadata.name!,
      (o) => {
        o.status ??= {};
        if (!o.status.phase) o.status.phase = 'Pending';
        const rest = (o.status.conditions ?? []).filter((c: any) => c.type !== 'PodScheduled');
        o.status.conditions = [next, ...rest];
      },
      { subresource: 'status' },
    );
  }
}

function schedulingRelevant(node: KObject, old: KObject): boolean {
  const ready = (n: KObject) => (n.status?.conditions ?? []).find((c: any) => c.type === 'Ready')?.status;
  return (
    !sameJson(node.metadata.labels, old.metadata.labels) ||
    !sameJson(node.spec?.taints, old.spec?.taints) ||
    !!node.spec?.unschedulable !== !!old.spec?.unschedulable ||
    ready(node) !== ready(old)
  );
}
