/**
 * ReplicaSet controller: keeps spec.replicas active pods from the template, picking the pods to
 * delete by the real ranking, and reports replicas / fullyLabeled / ready / available counts.
 */
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { ApiError } from '../kube/errors.ts';
import { controllerRef, type KObject } from '../kube/object.ts';
import { matchesSelector, selectorFromObject } from '../kube/selectors.ts';
import { claim } from './claim.ts';
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
  availableAt,
  isPodActive,
  isPodAvailable,
  isPodReady,
  podFromTemplate,
  rankPodsForDeletion,
  sameNodeRanks,
} from './pods.ts';
import { removeCondition, sameJson, setCondition, stamp } from './util.ts';

/** Most pods created or deleted in one sync, as the real controller's burstReplicas. */
export const BURST_REPLICAS = 500;
const SOURCE = { component: 'replicaset-controller' };

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset-controller';
  private readonly cp: ControlPlaneCore;

  constructor(cp: ControlPlaneCore) {
    this.cp = cp;
  }

  private get rsDef() {
    return kindOf(this.cp, 'apps', 'replicasets');
  }
  private get podDef() {
    return kindOf(this.cp, '', 'pods');
  }

  resyncKeys(): Iterable<string> {
    const def = this.rsDef;
    return def ? [...this.cp.store.peek(def)].map(keyOf) : [];
  }

  onChange(change: Change, queue: WorkQueue): void {
    if (isKind(change.def, 'apps', 'replicasets')) {
      queue.add(keyOf(change.object));
      return;
    }
    if (!isKind(change.def, '', 'pods')) return;
    const { object, old } = change;
    let hadOwner = false;
    for (const p of [object, old]) {
      const ref = p && controllerRef(p);
      if (ref?.kind === 'ReplicaSet') {
        queue.add(`${object.metadata.namespace}/${ref.name}`);
        hadOwner = true;
      }
    }
    // An orphan that some ReplicaSet selects may be adopted.
    if (!hadOwner && change.type !== 'DELETED' && this.rsDef) {
      for (const rs of this.cp.store.peek(this.rsDef)) {
        if (rs.metadata.namespace !== object.metadata.namespace) continue;
        const sel = selectorFromObject(rs.spec?.selector);
        if (sel.length && matchesSelector(sel, object.metadata.labels)) queue.add(keyOf(rs));
      }
    }
  }

  reconcile(key: string, queue: WorkQueue): void {
    const rsDef = this.rsDef;
    const podDef = this.podDef;
    if (!rsDef || !podDef) return;
    const { namespace, name } = splitKey(key);
    const rs = this.cp.store.tryGet(rsDef, namespace, name);
    if (!rs) return; // the garbage collector takes care of its pods
    const store = this.cp.store;
    const selector = selectorFromObject(rs.spec?.selector);
    const inNamespace = store.list(podDef, namespace);
    const owned = claim(store, podDef, rs, selector, inNamespace);
    const active = owned.filter(isPodActive);
    let failure: string | undefined;
    if (!rs.metadata.deletionTimestamp) failure = this.manage(rs, active, inNamespace);

    const now = this.cp.ctx.now();
    const pods = store
      .list(podDef, namespace)
      .filter((p) => controllerRef(p)?.uid === rs.metadata.uid && isPodActive(p));
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
    const status: any = {
      replicas: pods.length,
      fullyLabeledReplicas: pods.filter((p) =>
        Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v),
      ).length,
      readyReplicas: pods.filter(isPodReady).length,
      availableReplicas: pods.filter((p) => isPodAvailable(p, minReady, now)).length,
      observedGeneration: rs.metadata.generation,
    };
    for (const f of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'])
      if (!status[f]) delete status[f];
    if (rs.status?.conditions) status.conditions = rs.status.conditions;
    if (failure) {
      setCondition(status, {
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message: failure,
        lastTransitionTime: stamp(now),
      });
    } else removeCondition(status, 'ReplicaFailure');
    if (status.conditions && !status.conditions.length) delete status.conditions;
    if (!sameJson(status, rs.status ?? {})) {
      store.mutate(
        rsDef,
        namespace,
        name,
        (o) => {
          o.status = status;
        },
        { subresource: 'status' },
      );
    }
    // Ready pods become available after minReadySeconds: look again then.
    let wake = Infinity;
    for (const p of pods) {
      const at = availableAt(p, minReady);
      if (at !== undefined && at > now) wake = Math.min(wake, at);
    }
    if (wake !== Infinity) queue.addAfter(key, wake - now + 50);
  }

  /** Create or delete pods towards spec.replicas; returns a creation failure message, if any. */
  private manage(rs: KObject, active: KObject[], inNamespace: KObject[]): string | undefined {
    const store = this.cp.store;
    const podDef = this.podDef!;
    const wanted = rs.spec?.replicas ?? 1;
    const diff = active.length - wanted;
    if (diff < 0) {
      const n = Math.min(-diff, BURST_REPLICAS);
      for (let i = 0; i < n; i++) {
        try {
          const pod = store.create(podDef, podFromTemplate(rs.spec?.template, rs, `${rs.metadata.name}-`));
          this.cp.events.record(
            rs,
            'Normal',
            'SuccessfulCreate',
            `Created pod: ${pod.metadata.name}`,
            SOURCE,
          );
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          if (e instanceof ApiError && e.reason === 'Forbidden' && /being terminated/.test(message))
            return undefined;
          this.cp.events.record(rs, 'Warning', 'FailedCreate', `Error creating: ${message}`, SOURCE);
          return message;
        }
      }
    } else if (diff > 0) {
      const n = Math.min(diff, BURST_REPLICAS);
      const related = this.relatedPods(rs, inNamespace);
      const ranked = rankPodsForDeletion(active, sameNodeRanks(active, related), this.cp.ctx.now());
      for (const pod of ranked.slice(0, n)) {
        try {
          store.delete(podDef, pod.metadata.namespace, pod.metadata.name!);
          this.cp.events.record(
            rs,
            'Normal',
            'SuccessfulDelete',
            `Deleted pod: ${pod.metadata.name}`,
            SOURCE,
          );
        } catch (e) {
          if (!(e instanceof ApiError && e.reason === 'NotFound')) {
            this.cp.events.record(
              rs,
              'Warning',
              'FailedDelete',
              `Error deleting: ${(e as Error).message}`,
              SOURCE,
            );
            throw e;
          }
        }
      }
    }
    return undefined;
  }

  /** Pods of every ReplicaSet with the same controller (a Deployment's generations count together). */
  private relatedPods(rs: KObject, inNamespace: KObject[]): KObject[] {
    const owner = controllerRef(rs);
    if (!owner) return inNamespace.filter((p) => controllerRef(p)?.uid === rs.metadata.uid);
    const siblings = new Set<string>();
    for (const other of this.cp.store.peek(this.rsDef!)) {
      if (other.metadata.namespace === rs.metadata.namespace && controllerRef(other)?.uid === owner.uid) {
        siblings.add(other.metadata.uid!);
      }
    }
    return inNamespace.filter((p) => siblings.has(controllerRef(p)?.uid ?? ''));
  }
}
