/**
 * Deployment controller, after pkg/controller/deployment: one ReplicaSet per pod template
 * (`<deploy>-<pod-template-hash>`), revisions in annotations so `kubectl rollout history/undo` work
 * from the ReplicaSets, RollingUpdate within maxSurge/maxUnavailable, Recreate, proportional
 * scaling of a rollout in progress, revisionHistoryLimit cleanup, and the status and conditions
 * `kubectl rollout status` and `kubectl describe deploy` read.
 */
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { ApiError } from '../kube/errors.ts';
import { controllerRef, type KObject, ownerReferenceTo } from '../kube/object.ts';
import { matchesSelector, selectorFromObject } from '../kube/selectors.ts';
import type { KindDefinition } from '../registry/strategy.ts';
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
import { byCreation, isPodTerminal } from './pods.ts';
import {
  type Condition,
  canonicalJson,
  computeTemplateHash,
  getCondition,
  removeCondition,
  sameJson,
  scaledValue,
  setCondition,
  stamp,
} from './util.ts';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const POD_TEMPLATE_HASH = 'pod-template-hash';
const ROLLBACK_TO = 'deprecated.deployment.rollback.to';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const MAX_REV_HISTORY_CHARS = 2000;
const MAX_INT32 = 2147483647;
const SOURCE = { component: 'deployment-controller' };

// Condition reasons (pkg/controller/deployment/util).
const NEW_RS_CREATED = 'NewReplicaSetCreated';
const FOUND_NEW_RS = 'FoundNewReplicaSet';
const RS_UPDATED = 'ReplicaSetUpdated';
const NEW_RS_AVAILABLE = 'NewReplicaSetAvailable';
const TIMED_OUT = 'ProgressDeadlineExceeded';
const PAUSED = 'DeploymentPaused';
const RESUMED = 'DeploymentResumed';
const FAILED_RS_CREATE = 'ReplicaSetCreateError';

// ---------- spec helpers ----------

function desired(d: KObject): number {
  return d.spec?.replicas ?? 1;
}

function rsReplicas(rs: KObject | undefined): number {
  return rs?.spec?.replicas ?? 0;
}

function isRolling(d: KObject): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** ResolveFenceposts: surge rounds up, unavailable rounds down; both zero means one unavailable. */
function fenceposts(d: KObject): [number, number] {
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const n = desired(d);
  const surge = scaledValue(ru.maxSurge, n, true, '25%');
  let unavailable = scaledValue(ru.maxUnavailable, n, false, '25%');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

export function maxSurge(d: KObject): number {
  return isRolling(d) ? fenceposts(d)[0] : 0;
}

export function maxUnavailable(d: KObject): number {
  if (!isRolling(d) || desired(d) === 0) return 0;
  return Math.min(fenceposts(d)[1], desired(d));
}

function progressDeadline(d: KObject): number | undefined {
  const v = d.spec?.progressDeadlineSeconds ?? 600;
  return v === MAX_INT32 ? undefined : v;
}

function revisionOf(obj: KObject | undefined): number {
  const v = Number(obj?.metadata.annotations?.[REVISION]);
  return Number.isFinite(v) ? v : 0;
}

function maxRevision(list: KObject[]): number {
  return list.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

function withoutHash(template: any): string {
  const t = JSON.parse(JSON.stringify(template ?? {}));
  if (t.metadata?.labels) {
    delete t.metadata.labels[POD_TEMPLATE_HASH];
    if (!Object.keys(t.metadata.labels).length) delete t.metadata.labels;
  }
  return canonicalJson(t);
}

/** EqualIgnoreHash: the same pod template, the pod-template-hash label aside. */
export function templatesEqual(a: any, b: any): boolean {
  return withoutHash(a) === withoutHash(b);
}

function sumOf(list: KObject[], f: (rs: KObject) => number): number {
  return list.reduce((n, rs) => n + f(rs), 0);
}

const specTotal = (list: KObject[]) => sumOf(list, rsReplicas);
const statusTotal = (list: KObject[]) => sumOf(list, (rs) => rs.status?.replicas ?? 0);
const readyTotal = (list: KObject[]) => sumOf(list, (rs) => rs.status?.readyReplicas ?? 0);
const availableTotal = (list: KObject[]) => sumOf(list, (rs) => rs.status?.availableReplicas ?? 0);

function active(list: KObject[]): KObject[] {
  return list.filter((rs) => rsReplicas(rs) > 0);
}

/** DeploymentComplete: every replica updated and available, and the newest spec observed. */
function isComplete(d: KObject, status: any): boolean {
  const n = desired(d);
  return (
    (status.updatedReplicas ?? 0) === n &&
    (status.replicas ?? 0) === n &&
    (status.availableReplicas ?? 0) === n &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

function isProgressing(d: KObject, status: any): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (
    (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

interface Sync {
  d: KObject;
  /** Every ReplicaSet the Deployment owns, kept current as this sync writes them. */
  rsList: KObject[];
}

export class DeploymentController implements Controller {
  readonly name = 'deployment-controller';
  private readonly cp: ControlPlaneCore;

  constructor(cp: ControlPlaneCore) {
    this.cp = cp;
  }

  private get dDef() {
    return kindOf(this.cp, 'apps', 'deployments');
  }
  private get rsDef() {
    return kindOf(this.cp, 'apps', 'replicasets');
  }

  resyncKeys(): Iterable<string> {
    const def = this.dDef;
    return def ? [...this.cp.store.peek(def)].map(keyOf) : [];
  }

  onChange(change: Change, queue: WorkQueue): void {
    const { def, object, old } = change;
    if (isKind(def, 'apps', 'deployments')) {
      queue.add(keyOf(object));
      return;
    }
    if (isKind(def, 'apps', 'replicasets')) {
      let owned = false;
      for (const rs of [object, old]) {
        const ref = rs && controllerRef(rs);
        if (ref?.kind === 'Deployment') {
          queue.add(`${object.metadata.namespace}/${ref.name}`);
          owned = true;
        }
      }
      if (!owned && change.type !== 'DELETED') this.enqueueSelecting(object, queue);
      return;
    }
    // Recreate waits for old pods to be gone: a pod deletion may unblock it.
    if (isKind(def, '', 'pods') && change.type === 'DELETED') {
      const ref = controllerRef(object);
      const rsDef = this.rsDef;
      if (ref?.kind !== 'ReplicaSet' || !rsDef) return;
      const rs = this.cp.store.tryGet(rsDef, object.metadata.namespace, ref.name);
      const dref = rs && controllerRef(rs);
      if (dref?.kind === 'Deployment') queue.add(`${object.metadata.namespace}/${dref.name}`);
    }
  }

  private enqueueSelecting(rs: KObject, queue: WorkQueue): void {
    const def = this.dDef;
    if (!def) return;
    for (const d of this.cp.store.peek(def)) {
      if (d.metadata.namespace !== rs.metadata.namespace) continue;
      const sel = selectorFromObject(d.spec?.selector);
      if (sel.length && matchesSelector(sel, rs.metadata.labels)) queue.add(keyOf(d));
    }
  }

  reconcile(key: string, queue: WorkQueue): void {
    const dDef = this.dDef;
    const rsDef = this.rsDef;
    if (!dDef || !rsDef) return;
    const { namespace, name } = splitKey(key);
    const d = this.cp.store.tryGet(dDef, namespace, name);
    if (!d) return;
    const selector = selectorFromObject(d.spec?.selector);
    if (!selector.length) {
      this.cp.events.record(
        d,
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
        SOURCE,
      );
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        this.writeStatus(
          { d, rsList: [] },
          { ...(d.status ?? {}), observedGeneration: d.metadata.generation },
        );
      }
      return;
    }
    const rsList = claim(this.cp.store, rsDef, d, selector, this.cp.store.list(rsDef, namespace));
    const s: Sync = { d, rsList };

    if (d.metadata.deletionTimestamp) {
      this.syncStatusOnly(s);
      return;
    }
    this.checkPausedConditions(s);
    if (d.spec?.paused) {
      this.syncScale(s);
      return;
    }
    if (d.metadata.annotations?.[ROLLBACK_TO]) {
      // The long-gone extensions/v1beta1 rollback: nothing sends it any more; drop it.
      this.cp.store.mutate(dDef, namespace, name, (o) => {
        delete o.metadata.annotations?.[ROLLBACK_TO];
      });
      return;
    }
    if (this.isScalingEvent(s)) {
      this.syncScale(s);
      return;
    }
    if (isRolling(d)) this.rolloutRolling(s, queue);
    else this.rolloutRecreate(s, queue);
  }

  // ---------- finding the new and old ReplicaSets ----------

  private findNew(s: Sync): KObject | undefined {
    return [...s.rsList].sort(byCreation).find((rs) => templatesEqual(rs.spec?.template, s.d.spec?.template));
  }

  private replaceRs(s: Sync, rs: KObject): KObject {
    const i = s.rsList.findIndex((r) => r.metadata.uid === rs.metadata.uid);
    if (i >= 0) s.rsList[i] = rs;
    else s.rsList.push(rs);
    return rs;
  }

  private getAllAndSyncRevision(s: Sync, create: boolean): { newRS?: KObject; oldRSs: KObject[] } {
    const existing = this.findNew(s);
    const oldRSs = s.rsList.filter((rs) => rs !== existing);
    const newRS = this.getNewReplicaSet(s, existing, oldRSs, create);
    return { newRS, oldRSs: s.rsList.filter((rs) => rs.metadata.uid !== newRS?.metadata.uid) };
  }

  private getNewReplicaSet(
    s: Sync,
    existing: KObject | undefined,
    oldRSs: KObject[],
    create: boolean,
  ): KObject | undefined {
    const store = this.cp.store;
    const rsDef = this.rsDef!;
    const d = s.d;
    const newRevision = String(maxRevision(oldRSs) + 1);
    if (existing) {
      const copy = JSON.parse(JSON.stringify(existing)) as KObject;
      const annotationsChanged = this.setNewRSAnnotations(d, copy, newRevision, true);
      const minReadyChanged = (copy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
      if (annotationsChanged || minReadyChanged) {
        const updated = store.mutate(rsDef, copy.metadata.namespace, copy.metadata.name!, (o) => {
          o.metadata.annotations = copy.metadata.annotations;
          o.spec.minReadySeconds = d.spec?.minReadySeconds ?? 0;
          if (!o.spec.minReadySeconds) delete o.spec.minReadySeconds;
        });
        return this.replaceRs(s, updated);
      }
      let statusChanged = false;
      this.setDeploymentRevision(s, copy.metadata.annotations?.[REVISION] ?? '');
      const status = JSON.parse(JSON.stringify(d.status ?? {}));
      if (progressDeadline(d) !== undefined && !getCondition(status, 'Progressing')) {
        setCondition(
          status,
          this.condition(
            'Progressing',
            'True',
            FOUND_NEW_RS,
            `Found new replica set "${copy.metadata.name}"`,
          ),
        );
        statusChanged = true;
      }
      if (statusChanged) this.writeStatus(s, status);
      return existing;
    }
    if (!create) return undefined;

    const template = JSON.parse(JSON.stringify(d.spec?.template ?? {}));
    const collisionCount = d.status?.collisionCount ?? 0;
    const hash = computeTemplateHash(template, collisionCount);
    template.metadata ??= {};
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [POD_TEMPLATE_HASH]: hash };
    const selector = JSON.parse(JSON.stringify(d.spec?.selector ?? {}));
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash };
    const rs: KObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: { ...template.metadata.labels },
        ownerReferences: [ownerReferenceTo(d)],
      },
      spec: {
        replicas: 0,
        ...(d.spec?.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}),
        selector,
        template,
      },
    };
    const newReplicas = this.newRSNewReplicas(d, [...oldRSs, rs], rs);
    rs.spec.replicas = newReplicas;
    this.setNewRSAnnotations(d, rs, newRevision, false);
    let created: KObject;
    let alreadyExisted = false;
    try {
      created = store.create(rsDef, rs);
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'AlreadyExists') {
        const clash = store.tryGet(rsDef, d.metadata.namespace, rs.metadata.name!);
        if (
          clash &&
          controllerRef(clash)?.uid === d.metadata.uid &&
          templatesEqual(clash.spec?.template, d.spec?.template)
        ) {
          created = clash;
          alreadyExisted = true;
        } else {
          // A hash collision: bump the count so the next sync hashes differently.
          const status = { ...(d.status ?? {}), collisionCount: collisionCount + 1 };
          this.writeStatus(s, status);
          throw e;
        }
      } else {
        const message = e instanceof Error ? e.message : String(e);
        if (progressDeadline(d) !== undefined) {
          const status = JSON.parse(JSON.stringify(d.status ?? {}));
          setCondition(
            status,
            this.condition(
              'Progressing',
              'False',
              FAILED_RS_CREATE,
              `Failed to create new replica set "${rs.metadata.name}": ${message}`,
            ),
          );
          this.writeStatus(s, status);
        }
        this.cp.events.record(
          d,
          'Warning',
          FAILED_RS_CREATE,
          `Failed to create new replica set "${rs.metadata.name}": ${message}`,
          SOURCE,
        );
        throw e;
      }
    }
    this.replaceRs(s, created);
    if (!alreadyExisted && newReplicas > 0) {
      this.cp.events.record(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${created.metadata.name} to ${newReplicas}`,
        SOURCE,
      );
    }
    this.setDeploymentRevision(s, newRevision);
    if (!alreadyExisted && progressDeadline(d) !== undefined) {
      const status = JSON.parse(JSON.stringify(s.d.status ?? {}));
      setCondition(
        status,
        this.condition(
          'Progressing',
          'True',
          NEW_RS_CREATED,
          `Created new replica set "${created.metadata.name}"`,
        ),
      );
      this.writeStatus(s, status);
    }
    return created;
  }

  /** SetNewReplicaSetAnnotations: copy the Deployment's annotations and move the revision forward. */
  private setNewRSAnnotations(d: KObject, rs: KObject, newRevision: string, exists: boolean): boolean {
    const ann: Record<string, string> = { ...(rs.metadata.annotations ?? {}) };
    let changed = false;
    for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
      if ([LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO].includes(k))
        continue;
      if (ann[k] !== v) {
        ann[k] = v;
        changed = true;
      }
    }
    const oldRevision = ann[REVISION];
    const oldNum = Number(oldRevision ?? 0);
    if (!(oldNum >= Number(newRevision))) {
      ann[REVISION] = newRevision;
      changed = true;
      if (oldRevision) {
        const history = ann[REVISION_HISTORY] ? `${ann[REVISION_HISTORY]},${oldRevision}` : oldRevision;
        let trimmed = history;
        while (trimmed.length > MAX_REV_HISTORY_CHARS && trimmed.includes(','))
          trimmed = trimmed.slice(trimmed.indexOf(',') + 1);
        ann[REVISION_HISTORY] = trimmed;
      }
    }
    if (!exists) {
      ann[DESIRED_REPLICAS] = String(desired(d));
      ann[MAX_REPLICAS] = String(desired(d) + maxSurge(d));
      changed = true;
    }
    rs.metadata.annotations = ann;
    return changed;
  }

  private setDeploymentRevision(s: Sync, revision: string): void {
    if (!revision || s.d.metadata.annotations?.[REVISION] === revision) return;
    s.d = this.cp.store.mutate(this.dDef!, s.d.metadata.namespace, s.d.metadata.name!, (o) => {
      o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [REVISION]: revision };
    });
  }

  private condition(type: string, status: Condition['status'], reason: string, message: string): Condition {
    const now = stamp(this.cp.ctx.now());
    return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
  }

  private writeStatus(s: Sync, status: any): void {
    if (sameJson(status, s.d.status ?? {})) return;
    s.d = this.cp.store.mutate(
      this.dDef!,
      s.d.metadata.namespace,
      s.d.metadata.name!,
      (o) => {
        o.status = status;
      },
      { subresource: 'status' },
    );
  }

  // ---------- scaling ----------

  /** NewRSNewReplicas: how big the new ReplicaSet may be now. */
  private newRSNewReplicas(d: KObject, allRSs: KObject[], newRS: KObject): number {
    if (!isRolling(d)) return desired(d);
    const current = specTotal(allRSs);
    const maxTotal = desired(d) + maxSurge(d);
    if (current >= maxTotal) return rsReplicas(newRS);
    const up = Math.min(maxTotal - current, desired(d) - rsReplicas(newRS));
    return rsReplicas(newRS) + up;
  }

  private scaleAndRecord(s: Sync, rs: KObject, newScale: number): boolean {
    if (rsReplicas(rs) === newScale) return false;
    return this.scaleReplicaSet(s, rs, newScale, rsReplicas(rs) < newScale ? 'up' : 'down');
  }

  private scaleReplicaSet(s: Sync, rs: KObject, newScale: number, op: 'up' | 'down'): boolean {
    const d = s.d;
    const sizeChanged = rsReplicas(rs) !== newScale;
    const want = { [DESIRED_REPLICAS]: String(desired(d)), [MAX_REPLICAS]: String(desired(d) + maxSurge(d)) };
    const ann = rs.metadata.annotations ?? {};
    const annotationsChanged =
      ann[DESIRED_REPLICAS] !== want[DESIRED_REPLICAS] || ann[MAX_REPLICAS] !== want[MAX_REPLICAS];
    if (!sizeChanged && !annotationsChanged) return false;
    const oldScale = rsReplicas(rs);
    const updated = this.cp.store.mutate(this.rsDef!, rs.metadata.namespace, rs.metadata.name!, (o) => {
      o.spec.replicas = newScale;
      o.metadata.annotations = { ...(o.metadata.annotations ?? {}), ...want };
    });
    this.replaceRs(s, updated);
    if (sizeChanged) {
      this.cp.events.record(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${op} replica set ${rs.metadata.name} to ${newScale} from ${oldScale}`,
        SOURCE,
      );
    }
    return sizeChanged;
  }

  private isScalingEvent(s: Sync): boolean {
    const { newRS, oldRSs } = this.getAllAndSyncRevision(s, false);
    for (const rs of active([...(newRS ? [newRS] : []), ...oldRSs])) {
      const v = rs.metadata.annotations?.[DESIRED_REPLICAS];
      if (v === undefined || !/^\d+$/.test(v)) continue;
      if (Number(v) !== desired(s.d)) return true;
    }
    return false;
  }

  /** sync: scale (proportionally when a rollout is in flight), clean up when paused, report status. */
  private syncScale(s: Sync): void {
    const { newRS, oldRSs } = this.getAllAndSyncRevision(s, false);
    this.scale(s, newRS, oldRSs);
    const fresh = this.current(s, newRS, oldRSs);
    if (s.d.spec?.paused) this.cleanup(s, fresh.oldRSs);
    this.writeStatus(s, this.calculateStatus(s, fresh.newRS, fresh.all));
  }

  private current(s: Sync, newRS: KObject | undefined, oldRSs: KObject[]) {
    const byUid = (rs: KObject) => s.rsList.find((r) => r.metadata.uid === rs.metadata.uid) ?? rs;
    const n = newRS && byUid(newRS);
    const o = oldRSs.map(byUid);
    return { newRS: n, oldRSs: o, all: [...o, ...(n ? [n] : [])] };
  }

  private scale(s: Sync, newRS: KObject | undefined, oldRSs: KObject[]): void {
    const d = s.d;
    const target = this.activeOrLatest(newRS, oldRSs);
    if (target) {
      if (rsReplicas(target) !== desired(d)) this.scaleAndRecord(s, target, desired(d));
      return;
    }
    if (newRS && this.isSaturated(d, newRS)) {
      for (const old of active(oldRSs)) this.scaleAndRecord(s, old, 0);
      return;
    }
    if (!isRolling(d)) return;
    const all = active([...oldRSs, ...(newRS ? [newRS] : [])]);
    const allowed = desired(d) > 0 ? desired(d) + maxSurge(d) : 0;
    const toAdd = allowed - specTotal(all);
    let op: 'up' | 'down' = 'up';
    if (toAdd > 0) {
      // ReplicaSetsBySizeNewer: larger first, newer first among equals.
      all.sort((a, b) => rsReplicas(b) - rsReplicas(a) || -byCreation(a, b));
    } else if (toAdd < 0) {
      all.sort((a, b) => rsReplicas(b) - rsReplicas(a) || byCreation(a, b));
      op = 'down';
    }
    let added = 0;
    const size = new Map<string, number>();
    for (const rs of all) {
      if (toAdd !== 0) {
        const p = this.proportion(d, rs, toAdd, added);
        size.set(rs.metadata.name!, rsReplicas(rs) + p);
        added += p;
      } else size.set(rs.metadata.name!, rsReplicas(rs));
    }
    all.forEach((rs, i) => {
      let n = size.get(rs.metadata.name!)!;
      if (i === 0 && toAdd !== 0) n = Math.max(0, n + toAdd - added);
      this.scaleReplicaSet(s, rs, n, op);
    });
  }

  private proportion(d: KObject, rs: KObject, toAdd: number, added: number): number {
    if (rsReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
    let fraction: number;
    if (desired(d) === 0) fraction = -rsReplicas(rs);
    else {
      const deploymentReplicas = desired(d) + maxSurge(d);
      const annotated = Number(rs.metadata.annotations?.[MAX_REPLICAS]);
      const base = Number.isFinite(annotated) && annotated > 0 ? annotated : (d.status?.replicas ?? 0);
      fraction = base ? Math.round((rsReplicas(rs) * deploymentReplicas) / base) - rsReplicas(rs) : 0;
    }
    const allowed = toAdd - added;
    return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
  }

  /** FindActiveOrLatest: the only ReplicaSet with pods, or the newest if none has any. */
  private activeOrLatest(newRS: KObject | undefined, oldRSs: KObject[]): KObject | undefined {
    if (!newRS && !oldRSs.length) return undefined;
    const newestFirst = [...oldRSs].sort((a, b) => -byCreation(a, b));
    const all = active([...newestFirst, ...(newRS ? [newRS] : [])]);
    if (all.length === 0) return newRS ?? newestFirst[0];
    if (all.length === 1) return all[0];
    return undefined;
  }

  private isSaturated(d: KObject, rs: KObject): boolean {
    const desiredAnn = Number(rs.metadata.annotations?.[DESIRED_REPLICAS]);
    return (
      rsReplicas(rs) === desired(d) &&
      desiredAnn === desired(d) &&
      (rs.status?.availableReplicas ?? 0) === desired(d)
    );
  }

  // ---------- rollouts ----------

  private rolloutRolling(s: Sync, queue: WorkQueue): void {
    const { newRS, oldRSs } = this.getAllAndSyncRevision(s, true);
    if (!newRS) return;
    // Scale up first, else scale down; only a rollout with nothing left to do cleans up history.
    const scaled =
      this.reconcileNewRS(s, newRS, oldRSs) ||
      this.reconcileOldRSs(s, this.current(s, newRS, oldRSs).newRS!, this.current(s, newRS, oldRSs).oldRSs);
    if (!scaled && isComplete(s.d, s.d.status ?? {})) this.cleanup(s, this.current(s, newRS, oldRSs).oldRSs);
    this.syncRolloutStatus(s, queue, newRS, oldRSs);
  }

  private reconcileNewRS(s: Sync, newRS: KObject, oldRSs: KObject[]): boolean {
    const d = s.d;
    if (rsReplicas(newRS) === desired(d)) return false;
    if (rsReplicas(newRS) > desired(d)) return this.scaleAndRecord(s, newRS, desired(d));
    return this.scaleAndRecord(s, newRS, this.newRSNewReplicas(d, [...oldRSs, newRS], newRS));
  }

  private reconcileOldRSs(s: Sync, newRS: KObject, oldRSs: KObject[]): boolean {
    const d = s.d;
    if (specTotal(oldRSs) === 0) return false;
    const allTotal = specTotal([...oldRSs, newRS]);
    const minAvailable = desired(d) - maxUnavailable(d);
    const newUnavailable = rsReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = allTotal - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    const cleaned = this.cleanupUnhealthyReplicas(s, active(oldRSs), maxScaledDown);
    const fresh = this.current(s, newRS, oldRSs);
    const scaled = this.scaleDownOldForRollingUpdate(s, fresh.all, fresh.oldRSs);
    return cleaned + scaled > 0;
  }

  /** Scale down old ReplicaSets' unavailable pods first: they serve nobody. */
  private cleanupUnhealthyReplicas(s: Sync, oldRSs: KObject[], maxCleanup: number): number {
    let total = 0;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (total >= maxCleanup) break;
      if (rsReplicas(rs) === 0) continue;
      const unhealthy = rsReplicas(rs) - (rs.status?.availableReplicas ?? 0);
      if (unhealthy <= 0) continue;
      const n = Math.min(maxCleanup - total, unhealthy);
      this.scaleAndRecord(s, rs, rsReplicas(rs) - n);
      total += n;
    }
    return total;
  }

  private scaleDownOldForRollingUpdate(s: Sync, allRSs: KObject[], oldRSs: KObject[]): number {
    const d = s.d;
    const minAvailable = desired(d) - maxUnavailable(d);
    const available = availableTotal(allRSs);
    if (available <= minAvailable) return 0;
    const toScaleDown = available - minAvailable;
    let total = 0;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (total >= toScaleDown) break;
      if (rsReplicas(rs) === 0) continue;
      const n = Math.min(rsReplicas(rs), toScaleDown - total);
      this.scaleAndRecord(s, rs, rsReplicas(rs) - n);
      total += n;
    }
    return total;
  }

  private rolloutRecreate(s: Sync, queue: WorkQueue): void {
    let { newRS, oldRSs } = this.getAllAndSyncRevision(s, false);
    const step = (): boolean => {
      let scaledDown = false;
      for (const rs of active(oldRSs)) if (this.scaleAndRecord(s, rs, 0)) scaledDown = true;
      // The new pods start only once every old pod is gone.
      if (scaledDown || this.oldPodsRunning(s, newRS)) return true;
      if (!newRS) ({ newRS, oldRSs } = this.getAllAndSyncRevision(s, true));
      return !!newRS && this.scaleAndRecord(s, newRS, desired(s.d));
    };
    if (!step() && isComplete(s.d, s.d.status ?? {})) this.cleanup(s, this.current(s, newRS, oldRSs).oldRSs);
    this.syncRolloutStatus(s, queue, newRS, oldRSs);
  }

  /** Any pod of an old ReplicaSet that has not finished, terminating ones included. */
  private oldPodsRunning(s: Sync, newRS: KObject | undefined): boolean {
    const podDef = kindOf(this.cp, '', 'pods');
    if (!podDef) return false;
    const oldUids = new Set(
      s.rsList.filter((rs) => rs.metadata.uid !== newRS?.metadata.uid).map((rs) => rs.metadata.uid),
    );
    if (s.rsList.some((rs) => rs.metadata.uid !== newRS?.metadata.uid && (rs.status?.replicas ?? 0) > 0))
      return true;
    for (const p of this.cp.store.peek(podDef)) {
      if (p.metadata.namespace !== s.d.metadata.namespace) continue;
      if (!oldUids.has(controllerRef(p)?.uid)) continue;
      if (!isPodTerminal(p)) return true;
    }
    return false;
  }

  private cleanup(s: Sync, oldRSs: KObject[]): void {
    const limit = s.d.spec?.revisionHistoryLimit ?? 10;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    cleanable.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of cleanable.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || rsReplicas(rs) !== 0) continue;
      if ((rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        this.cp.store.delete(this.rsDef!, rs.metadata.namespace, rs.metadata.name!);
        s.rsList = s.rsList.filter((r) => r.metadata.uid !== rs.metadata.uid);
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
      }
    }
  }

  // ---------- status ----------

  private calculateStatus(s: Sync, newRS: KObject | undefined, allRSs: KObject[]): any {
    const d = s.d;
    const available = availableTotal(allRSs);
    const status: any = {
      observedGeneration: d.metadata.generation,
      replicas: statusTotal(allRSs),
      updatedReplicas: newRS ? (newRS.status?.replicas ?? 0) : 0,
      readyReplicas: readyTotal(allRSs),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, specTotal(allRSs) - available),
    };
    for (const f of [
      'replicas',
      'updatedReplicas',
      'readyReplicas',
      'availableReplicas',
      'unavailableReplicas',
    ]) {
      if (!status[f]) delete status[f];
    }
    if (d.status?.collisionCount) status.collisionCount = d.status.collisionCount;
    status.conditions = JSON.parse(JSON.stringify(d.status?.conditions ?? []));
    if (available >= desired(d) - maxUnavailable(d)) {
      setCondition(
        status,
        this.condition(
          'Available',
          'True',
          'MinimumReplicasAvailable',
          'Deployment has minimum availability.',
        ),
      );
    } else {
      setCondition(
        status,
        this.condition(
          'Available',
          'False',
          'MinimumReplicasUnavailable',
          'Deployment does not have minimum availability.',
        ),
      );
    }
    // Available first, Progressing second, as a real Deployment lists them.
    status.conditions.sort((a: Condition, b: Condition) => order(a.type) - order(b.type));
    return status;
  }

  private syncStatusOnly(s: Sync): void {
    const { newRS, oldRSs } = this.getAllAndSyncRevision(s, false);
    this.writeStatus(s, this.calculateStatus(s, newRS, [...oldRSs, ...(newRS ? [newRS] : [])]));
  }

  private syncRolloutStatus(s: Sync, queue: WorkQueue, newRSIn: KObject | undefined, oldIn: KObject[]): void {
    const { newRS, all } = this.current(s, newRSIn, oldIn);
    const d = s.d;
    const status = this.calculateStatus(s, newRS, all);
    const deadline = progressDeadline(d);
    if (deadline === undefined) removeCondition(status, 'Progressing');
    const current = getCondition(d.status, 'Progressing');
    const completeAlready =
      (status.replicas ?? 0) === (status.updatedReplicas ?? 0) && current?.reason === NEW_RS_AVAILABLE;
    const now = this.cp.ctx.now();
    if (deadline !== undefined && !completeAlready) {
      const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
      if (isComplete(d, status)) {
        setCondition(
          status,
          this.condition('Progressing', 'True', NEW_RS_AVAILABLE, `${subject} has successfully progressed.`),
        );
      } else if (isProgressing(d, status)) {
        const cond = this.condition('Progressing', 'True', RS_UPDATED, `${subject} is progressing.`);
        if (current?.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
        removeCondition(status, 'Progressing');
        setCondition(status, cond);
      } else if (this.timedOut(d, current, now)) {
        setCondition(
          status,
          this.condition('Progressing', 'False', TIMED_OUT, `${subject} has timed out progressing.`),
        );
        if (current?.reason !== TIMED_OUT) {
          this.cp.events.record(d, 'Warning', TIMED_OUT, `${subject} has timed out progressing.`, SOURCE);
        }
      }
    }
    status.conditions.sort((a: Condition, b: Condition) => order(a.type) - order(b.type));
    if (!status.conditions.length) delete status.conditions;
    if (sameJson(status, d.status ?? {})) {
      this.requeueStuck(d, status, queue, now);
      return;
    }
    this.writeStatus(s, status);
  }

  private timedOut(d: KObject, cond: Condition | undefined, now: number): boolean {
    const deadline = progressDeadline(d);
    if (deadline === undefined || !cond) return false;
    if (cond.reason === NEW_RS_AVAILABLE) return false;
    if (cond.reason === TIMED_OUT) return true;
    const from = Date.parse(cond.lastUpdateTime ?? '');
    return Number.isFinite(from) && from + deadline * 1000 < now;
  }

  /** Come back when the progress deadline would pass, so ProgressDeadlineExceeded shows up on time. */
  private requeueStuck(d: KObject, status: any, queue: WorkQueue, now: number): void {
    const deadline = progressDeadline(d);
    const cond = getCondition(status, 'Progressing');
    if (deadline === undefined || !cond || cond.status !== 'True' || cond.reason === NEW_RS_AVAILABLE) return;
    if (isComplete(d, status)) return;
    const from = Date.parse(cond.lastUpdateTime ?? '');
    if (!Number.isFinite(from)) return;
    queue.addAfter(keyOf(d), Math.max(1000, from + deadline * 1000 - now + 1000));
  }

  private checkPausedConditions(s: Sync): void {
    const d = s.d;
    if (progressDeadline(d) === undefined) return;
    const cond = getCondition(d.status, 'Progressing');
    if (cond?.reason === TIMED_OUT) return;
    const pausedCondition = cond?.reason === PAUSED;
    const status = JSON.parse(JSON.stringify(d.status ?? {}));
    if (d.spec?.paused && !pausedCondition) {
      setCondition(status, this.condition('Progressing', 'Unknown', PAUSED, 'Deployment is paused'));
    } else if (!d.spec?.paused && pausedCondition) {
      setCondition(status, this.condition('Progressing', 'Unknown', RESUMED, 'Deployment is resumed'));
    } else return;
    status.conditions.sort((a: Condition, b: Condition) => order(a.type) - order(b.type));
    this.writeStatus(s, status);
  }
}

function order(type: string): number {
  return type === 'Available' ? 0 : type === 'Progressing' ? 1 : 2;
}

export type { KindDefinition };
