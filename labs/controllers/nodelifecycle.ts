/**
 * Node lifecycle, the light version: a node whose kubelet stops renewing its Lease (and stops
 * posting status) for the grace period turns Ready=Unknown with "Kubelet stopped posting node
 * status.", and nodes get the taints their state implies (not-ready, unreachable, unschedulable),
 * as TaintNodesByCondition does. Taint-based eviction of pods is not emulated.
 */
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { ApiError } from '../kube/errors.ts';
import type { KObject } from '../kube/object.ts';
import { type Change, type Controller, isKind, kindOf, type WorkQueue } from './framework.ts';
import { TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE, type Taint } from './nodes.ts';
import { sameJson, stamp } from './util.ts';

export const DEFAULT_NODE_MONITOR_GRACE_MS = 40_000;
const SOURCE = { component: 'node-controller' };
const STATUS_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];
const MANAGED_KEYS = [TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE];

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle-controller';
  private readonly cp: ControlPlaneCore;
  private readonly graceMs: number;
  /** node -> when we last saw its kubelet report (local clock), and what it reported */
  private readonly seen = new Map<string, { at: number; beat: string; beating: boolean }>();

  constructor(cp: ControlPlaneCore, graceMs = DEFAULT_NODE_MONITOR_GRACE_MS) {
    this.cp = cp;
    this.graceMs = graceMs;
  }

  private get nodeDef() {
    return kindOf(this.cp, '', 'nodes');
  }

  resyncKeys(): Iterable<string> {
    const def = this.nodeDef;
    return def ? [...this.cp.store.peek(def)].map((n) => n.metadata.name!) : [];
  }

  onChange(change: Change, queue: WorkQueue): void {
    const { def, object, type } = change;
    if (isKind(def, '', 'nodes')) {
      if (type === 'DELETED') this.seen.delete(object.metadata.name!);
      else queue.add(object.metadata.name!);
    } else if (
      isKind(def, 'coordination.k8s.io', 'leases') &&
      object.metadata.namespace === 'kube-node-lease'
    ) {
      if (type !== 'DELETED') queue.add(object.metadata.name!);
    }
  }

  /**
   * The kubelet's latest sign of life: the Lease's renewTime and the Ready condition's heartbeat.
   * `lease` says whether the node has a Lease at all.
   */
  private heartbeat(node: KObject): { beat?: string; lease: boolean } {
    const ready = (node.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
    const leaseDef = kindOf(this.cp, 'coordination.k8s.io', 'leases');
    const lease = leaseDef && this.cp.store.tryGet(leaseDef, 'kube-node-lease', node.metadata.name!);
    const beats = [ready?.lastHeartbeatTime, lease?.spec?.renewTime].filter(Boolean);
    return { beat: beats.length ? beats.join('|') : undefined, lease: !!lease };
  }

  reconcile(name: string, queue: WorkQueue): void {
    const nodeDef = this.nodeDef;
    if (!nodeDef) return;
    const node = this.cp.store.tryGet(nodeDef, undefined, name);
    if (!node) return;
    const { beat, lease } = this.heartbeat(node);
    const now = Date.now();
    if (beat !== undefined) {
      const prev = this.seen.get(name);
      if (!prev) this.seen.set(name, { at: now, beat, beating: false });
      else if (prev.beat !== beat) this.seen.set(name, { at: now, beat, beating: true });
      const seen = this.seen.get(name)!;
      // Only a heartbeat that was seen beating can stop: a Lease, or a status heartbeat that moved.
      if (lease || seen.beating) {
        const ready = (node.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
        if (now - seen.at > this.graceMs) {
          if (ready && ready.status !== 'Unknown') this.markUnknown(node);
        } else {
          queue.addAfter(name, seen.at + this.graceMs - now + 50);
        }
      }
    }
    const fresh = this.cp.store.tryGet(nodeDef, undefined, name);
    if (fresh) this.syncTaints(fresh);
  }

  private markUnknown(node: KObject): void {
    const now = stamp(this.cp.ctx.now());
    try {
      this.cp.store.mutate(
        this.nodeDef!,
        undefined,
        node.metadata.name!,
        (o) => {
          o.status ??= {};
          const conditions: any[] = o.status.conditions ?? [];
          for (const type of STATUS_CONDITIONS) {
            const c = conditions.find((x) => x.type === type);
            const next = {
              type,
              status: 'Unknown',
              lastHeartbeatTime: c?.lastHeartbeatTime ?? now,
              lastTransitionTime: now,
              reason: 'NodeStatusUnknown',
              message: 'Kubelet stopped posting node status.',
            };
            if (c) Object.assign(c, next);
            else conditions.push(next);
          }
          o.status.conditions = conditions;
        },
        { subresource: 'status' },
      );
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'NotFound') return;
      throw e;
    }
    this.cp.events.record(
      node,
      'Normal',
      'NodeNotReady',
      `Node ${node.metadata.name} status is now: NodeNotReady`,
      SOURCE,
    );
  }

  private syncTaints(node: KObject): void {
    const ready = (node.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
    const want: Taint[] = [];
    const now = stamp(this.cp.ctx.now());
    const current: Taint[] = node.spec?.taints ?? [];
    const keep = (t: Taint): Taint => current.find((c) => c.key === t.key && c.effect === t.effect) ?? t;
    if (ready?.status === 'False') {
      want.push(
        keep({ key: TAINT_NOT_READY, effect: 'NoSchedule' }),
        keep({ key: TAINT_NOT_READY, effect: 'NoExecute', timeAdded: now }),
      );
    } else if (ready?.status === 'Unknown') {
      want.push(
        keep({ key: TAINT_UNREACHABLE, effect: 'NoSchedule' }),
        keep({ key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: now }),
      );
    }
    if (node.spec?.unschedulable) want.push(keep({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' }));
    const others = current.filter((t) => !MANAGED_KEYS.includes(t.key));
    const next = [...others, ...want];
    if (sameJson(next, current)) return;
    try {
      this.cp.store.mutate(this.nodeDef!, undefined, node.metadata.name!, (o) => {
        o.spec ??= {};
        if (next.length) o.spec.taints = next;
        else delete o.spec.taints;
      });
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
    }
  }
}
