/**
 * DaemonSet controller, after pkg/controller/daemon: one pod per eligible node, pinned with a
 * required `matchFields metadata.name In [node]` affinity and left to the scheduler to bind;
 * ControllerRevisions `<ds>-<hash>` record every template (`kubectl rollout history/undo ds`);
 * RollingUpdate replaces pods within maxUnavailable (or maxSurge); status feeds `rollout status`.
 */
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { ApiError } from '../kube/errors.ts';
import { controllerRef, type KObject, ownerReferenceTo } from '../kube/object.ts';
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
  matchesNodeAffinity,
  type Taint,
  type Toleration,
  targetNodeName,
  untoleratedTaint,
} from './nodes.ts';
import { availableAt, byCreation, isPodAvailable, isPodReady, podFromTemplate } from './pods.ts';
import { canonicalJson, computeTemplateHash, sameJson, scaledValue } from './util.ts';

export const REVISION_HASH = 'controller-revision-hash';
export const TEMPLATE_GENERATION = 'pod-template-generation';
const BURST = 250;
const SOURCE = { component: 'daemonset-controller' };

/** Tolerations every DaemonSet pod gets (util.AddOrUpdateDaemonPodTolerations). */
function daemonTolerations(spec: any): Toleration[] {
  const extra: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec?.hostNetwork)
    extra.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  const out: Toleration[] = [...(spec?.tolerations ?? [])];
  for (const t of extra) {
    if (
      !out.some(
        (o) =>
          o.key === t.key && o.operator === t.operator && (o.value ?? '') === '' && o.effect === t.effect,
      )
    )
      out.push(t);
  }
  return out;
}

/** The required node affinity replaced by one term pinning the pod to `node`. */
function pinToNode(affinity: any, node: string): any {
  const term = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] };
  const a = JSON.parse(JSON.stringify(affinity ?? {}));
  a.nodeAffinity ??= {};
  a.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
    ...(a.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution ?? {}),
    nodeSelectorTerms: [term],
  };
  return a;
}

/** NodeShouldRunDaemonPod: [should run now, may keep running]. */
export function nodeShouldRunDaemonPod(node: KObject, ds: KObject): [boolean, boolean] {
  const spec = ds.spec?.template?.spec ?? {};
  if (spec.nodeName && spec.nodeName !== node.metadata.name) return [false, false];
  if (!matchesNodeAffinity(spec, node)) return [false, false];
  const taints: Taint[] = node.spec?.taints ?? [];
  const tolerations = daemonTolerations(spec);
  if (untoleratedTaint(taints, tolerations, ['NoSchedule', 'NoExecute'])) {
    return [false, !untoleratedTaint(taints, tolerations, ['NoExecute'])];
  }
  return [true, true];
}

function isUpdated(pod: KObject, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  return (
    (hash !== '' && labels[REVISION_HASH] === hash) ||
    (generation !== undefined && labels[TEMPLATE_GENERATION] === String(generation))
  );
}

/** The history patch `kubectl rollout undo ds` applies: the whole template, replacing. */
function historyData(ds: KObject): any {
  return { spec: { template: { ...(ds.spec?.template ?? {}), $patch: 'replace' } } };
}

interface DsSync {
  ds: KObject;
  nodes: KObject[];
  /** node name -> pods of this DaemonSet meant for it */
  byNode: Map<string, KObject[]>;
  hash: string;
}

export class DaemonSetController implements Controller {
  readonly name = 'daemonset-controller';
  private readonly cp: ControlPlaneCore;

  constructor(cp: ControlPlaneCore) {
    this.cp = cp;
  }

  private get dsDef() {
    return kindOf(this.cp, 'apps', 'daemonsets');
  }
  private get podDef() {
    return kindOf(this.cp, '', 'pods');
  }
  private get crDef() {
    return kindOf(this.cp, 'apps', 'controllerrevisions');
  }
  private get nodeDef() {
    return kindOf(this.cp, '', 'nodes');
  }

  resyncKeys(): Iterable<string> {
    const def = this.dsDef;
    return def ? [...this.cp.store.peek(def)].map(keyOf) : [];
  }

  onChange(change: Change, queue: WorkQueue): void {
    const { def, object, old } = change;
    if (isKind(def, 'apps', 'daemonsets')) {
      queue.add(keyOf(object));
    } else if (isKind(def, '', 'nodes')) {
      if (change.type === 'MODIFIED' && old && !nodeChangeMatters(object, old)) return;
      for (const k of this.resyncKeys()) queue.add(k);
    } else if (isKind(def, '', 'pods') || isKind(def, 'apps', 'controllerrevisions')) {
      let owned = false;
      for (const o of [object, old]) {
        const ref = o && controllerRef(o);
        if (ref?.kind === 'DaemonSet') {
          queue.add(`${object.metadata.namespace}/${ref.name}`);
          owned = true;
        }
      }
      if (!owned && change.type !== 'DELETED' && this.dsDef) {
        for (const ds of this.cp.store.peek(this.dsDef)) {
          if (ds.metadata.namespace !== object.metadata.namespace) continue;
          const sel = selectorFromObject(ds.spec?.selector);
          if (sel.length && matchesSelector(sel, object.metadata.labels)) queue.add(keyOf(ds));
        }
      }
    }
  }

  reconcile(key: string, queue: WorkQueue): void {
    const dsDef = this.dsDef;
    const podDef = this.podDef;
    const nodeDef = this.nodeDef;
    if (!dsDef || !podDef || !nodeDef) return;
    const { namespace, name } = splitKey(key);
    const store = this.cp.store;
    const ds = store.tryGet(dsDef, namespace, name);
    if (!ds) return;
    const selector = selectorFromObject(ds.spec?.selector);
    if (!selector.length) {
      this.cp.events.record(
        ds,
        'Warning',
        'SelectingAll',
        'This daemon set is selecting all pods. A non-empty selector is required.',
        SOURCE,
      );
      return;
    }
    const nodes = store.list(nodeDef);
    const { hash, old } = this.constructHistory(ds, selector);
    const s: DsSync = { ds, nodes, hash, byNode: new Map() };
    this.refreshPods(s);
    if (!ds.metadata.deletionTimestamp) {
      this.manage(s);
      if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
        this.refreshPods(s);
        this.rollingUpdate(s);
      }
      this.cleanupHistory(s, old);
    }
    this.refreshPods(s);
    this.updateStatus(s, queue);
  }

  private refreshPods(s: DsSync): void {
    const podDef = this.podDef!;
    const selector = selectorFromObject(s.ds.spec?.selector);
    const pods = claim(
      this.cp.store,
      podDef,
      s.ds,
      selector,
      this.cp.store.list(podDef, s.ds.metadata.namespace),
    );
    s.byNode = new Map();
    for (const p of pods) {
      // Finished pods that are already being deleted no longer occupy their node.
      const phase = p.status?.phase;
      if (p.metadata.deletionTimestamp && (phase === 'Succeeded' || phase === 'Failed')) continue;
      const node = targetNodeName(p);
      if (!node) continue;
      const list = s.byNode.get(node) ?? [];
      list.push(p);
      s.byNode.set(node, list);
    }
  }

  // ---------- history ----------

  private constructHistory(
    ds: KObject,
    selector: ReturnType<typeof selectorFromObject>,
  ): { hash: string; old: KObject[] } {
    const crDef = this.crDef;
    const store = this.cp.store;
    const hash = computeTemplateHash(ds.spec?.template, ds.status?.collisionCount);
    if (!crDef) return { hash, old: [] };
    const histories = claim(store, crDef, ds, selector, store.list(crDef, ds.metadata.namespace));
    const wanted = canonicalJson(historyData(ds));
    const current = histories.filter((h) => canonicalJson(h.data) === wanted);
    const maxRev = histories.reduce((m, h) => Math.max(m, h.revision ?? 0), 0);
    let cur: KObject;
    if (!current.length) {
      const cr: KObject = {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name: `${ds.metadata.name}-${hash}`,
          namespace: ds.metadata.namespace,
          labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH]: hash },
          ...(ds.metadata.annotations ? { annotations: { ...ds.metadata.annotations } } : {}),
          ownerReferences: [ownerReferenceTo(ds)],
        },
        data: historyData(ds),
        revision: maxRev + 1,
      };
      try {
        cur = store.create(crDef, cr);
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
        const clash = store.tryGet(crDef, ds.metadata.namespace, cr.metadata.name!);
        if (clash && canonicalJson(clash.data) === wanted && controllerRef(clash)?.uid === ds.metadata.uid)
          cur = clash;
        else {
          store.mutate(
            this.dsDef!,
            ds.metadata.namespace,
            ds.metadata.name!,
            (o) => {
              o.status = { ...(o.status ?? {}), collisionCount: (o.status?.collisionCount ?? 0) + 1 };
            },
            { subresource: 'status' },
          );
          throw e;
        }
      }
    } else {
      current.sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0));
      cur = current[0];
      for (const dup of current.slice(1)) {
        try {
          store.delete(crDef, dup.metadata.namespace, dup.metadata.name!);
        } catch {
          /* gone */
        }
      }
      const others = histories.filter((h) => !current.includes(h));
      const next = others.reduce((m, h) => Math.max(m, h.revision ?? 0), 0) + 1;
      if ((cur.revision ?? 0) < next) {
        cur = store.mutate(crDef, cur.metadata.namespace, cur.metadata.name!, (o) => {
          o.revision = next;
        });
      }
    }
    const curHash = cur.metadata.labels?.[REVISION_HASH] ?? hash;
    return {
      hash: curHash,
      old: histories.filter((h) => h.metadata.uid !== cur.metadata.uid && !current.includes(h)),
    };
  }

  private cleanupHistory(s: DsSync, old: KObject[]): void {
    const crDef = this.crDef;
    if (!crDef) return;
    let toKill = old.length - (s.ds.spec?.revisionHistoryLimit ?? 10);
    if (toKill <= 0) return;
    const live = new Set<string>();
    for (const pods of s.byNode.values())
      for (const p of pods) live.add(p.metadata.labels?.[REVISION_HASH] ?? '');
    for (const h of [...old].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0))) {
      if (toKill <= 0) break;
      if (live.has(h.metadata.labels?.[REVISION_HASH] ?? '')) continue;
      try {
        this.cp.store.delete(crDef, h.metadata.namespace, h.metadata.name!);
      } catch {
        /* gone */
      }
      toKill--;
    }
  }

  // ---------- pods ----------

  private manage(s: DsSync): void {
    const needing: string[] = [];
    const toDelete: KObject[] = [];
    const surge = this.maxSurgeConfigured(s.ds);
    for (const node of s.nodes) {
      const nodeName = node.metadata.name!;
      const [shouldRun, shouldContinue] = nodeShouldRunDaemonPod(node, s.ds);
      const pods = s.byNode.get(nodeName) ?? [];
      if (shouldRun && !pods.length) {
        needing.push(nodeName);
      } else if (shouldContinue) {
        const running: KObject[] = [];
        for (const p of pods) {
          if (p.metadata.deletionTimestamp) continue;
          if (p.status?.phase === 'Failed') {
            this.cp.events.record(
              s.ds,
              'Warning',
              'FailedDaemonPod',
              `Found failed daemon pod ${p.metadata.namespace}/${p.metadata.name} on node ${nodeName}, will try to kill it`,
              SOURCE,
            );
            toDelete.push(p);
            continue;
          }
          if (p.status?.phase === 'Succeeded') {
            toDelete.push(p);
            continue;
          }
          running.push(p);
        }
        if (!surge && running.length > 1) toDelete.push(...running.sort(byCreation).slice(1));
      } else {
        for (const p of pods) if (!p.metadata.deletionTimestamp) toDelete.push(p);
      }
    }
    // Pods pinned to nodes that no longer exist.
    const names = new Set(s.nodes.map((n) => n.metadata.name));
    for (const [node, pods] of s.byNode) {
      if (names.has(node)) continue;
      for (const p of pods) if (!p.metadata.deletionTimestamp && !p.spec?.nodeName) toDelete.push(p);
    }
    this.syncNodes(s, toDelete, needing);
  }

  private syncNodes(s: DsSync, toDelete: KObject[], needing: string[]): void {
    const store = this.cp.store;
    const podDef = this.podDef!;
    for (const nodeName of needing.slice(0, BURST)) {
      const pod = podFromTemplate(s.ds.spec?.template, s.ds, `${s.ds.metadata.name}-`);
      pod.metadata.labels = {
        ...(pod.metadata.labels ?? {}),
        [REVISION_HASH]: s.hash,
        [TEMPLATE_GENERATION]: String(s.ds.metadata.generation ?? 1),
      };
      pod.spec.affinity = pinToNode(pod.spec.affinity, nodeName);
      pod.spec.tolerations = daemonTolerations(pod.spec);
      try {
        const created = store.create(podDef, pod);
        this.cp.events.record(
          s.ds,
          'Normal',
          'SuccessfulCreate',
          `Created pod: ${created.metadata.name}`,
          SOURCE,
        );
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (e instanceof ApiError && e.reason === 'Forbidden' && /being terminated/.test(message)) return;
        this.cp.events.record(s.ds, 'Warning', 'FailedCreate', `Error creating: ${message}`, SOURCE);
        throw e;
      }
    }
    for (const p of toDelete.slice(0, BURST)) {
      try {
        store.delete(podDef, p.metadata.namespace, p.metadata.name!);
        this.cp.events.record(s.ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, SOURCE);
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
      }
    }
  }

  private maxSurgeConfigured(ds: KObject): boolean {
    const ru = ds.spec?.updateStrategy?.rollingUpdate;
    return (
      (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' &&
      !!ru?.maxSurge &&
      ru.maxSurge !== '0%'
    );
  }

  private rollingUpdate(s: DsSync): void {
    const ds = s.ds;
    const now = this.cp.ctx.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const generation = ds.metadata.generation;
    const desired = s.nodes.filter((n) => nodeShouldRunDaemonPod(n, ds)[0]).length;
    const ru = ds.spec?.updateStrategy?.rollingUpdate ?? {};
    let maxUnavailable = scaledValue(ru.maxUnavailable, desired, true, '1');
    const maxSurge = scaledValue(ru.maxSurge, desired, true, '0');
    if (maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;

    const toDelete: KObject[] = [];
    const needing: string[] = [];
    const nodeNames = [...s.byNode.keys()].sort();
    if (maxSurge === 0) {
      let unavailable = 0;
      const replace: KObject[] = [];
      const candidates: KObject[] = [];
      for (const node of nodeNames) {
        const split = this.splitPods(s.byNode.get(node)!, s.hash, generation);
        if (!split) {
          unavailable++;
          continue;
        }
        const { newPod, oldPod } = split;
        if ((!oldPod && !newPod) || (oldPod && newPod)) unavailable++;
        else if (newPod) {
          if (!isPodAvailable(newPod, minReady, now)) unavailable++;
        } else if (oldPod) {
          if (!isPodAvailable(oldPod, minReady, now)) {
            replace.push(oldPod);
            unavailable++;
          } else if (unavailable < maxUnavailable) candidates.push(oldPod);
        }
      }
      const remaining = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
      toDelete.push(...replace, ...candidates.slice(0, remaining));
    } else {
      // Surge: start the new pod next to the old one, retire the old one once the new is available.
      let surging = 0;
      const wantSurge: string[] = [];
      for (const node of nodeNames) {
        const split = this.splitPods(s.byNode.get(node)!, s.hash, generation);
        if (!split) continue;
        const { newPod, oldPod } = split;
        if (oldPod && newPod) {
          if (isPodAvailable(newPod, minReady, now)) toDelete.push(oldPod);
          else surging++;
        } else if (oldPod && !newPod) {
          if (!isPodAvailable(oldPod, minReady, now)) needing.push(node);
          else wantSurge.push(node);
        }
      }
      needing.push(...wantSurge.slice(0, Math.max(0, maxSurge - surging)));
    }
    if (toDelete.length || needing.length) this.syncNodes(s, toDelete, needing);
  }

  /** findUpdatedPodsOnNode: at most one new and one old live pod, or undefined when there are more. */
  private splitPods(
    pods: KObject[],
    hash: string,
    generation: number | undefined,
  ): { newPod?: KObject; oldPod?: KObject } | undefined {
    let newPod: KObject | undefined;
    let oldPod: KObject | undefined;
    for (const p of pods) {
      if (p.metadata.deletionTimestamp) continue;
      if (isUpdated(p, hash, generation)) {
        if (newPod) return undefined;
        newPod = p;
      } else {
        if (oldPod) return undefined;
        oldPod = p;
      }
    }
    return { newPod, oldPod };
  }

  // ---------- status ----------

  private updateStatus(s: DsSync, queue: WorkQueue): void {
    const ds = s.ds;
    const now = this.cp.ctx.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    let wake = Infinity;
    for (const node of s.nodes) {
      const [wantToRun] = nodeShouldRunDaemonPod(node, ds);
      const pods = s.byNode.get(node.metadata.name!) ?? [];
      if (wantToRun) {
        desired++;
        if (!pods.length) continue;
        current++;
        const pod = [...pods].sort(byCreation)[0];
        if (isPodReady(pod)) {
          ready++;
          if (isPodAvailable(pod, minReady, now)) available++;
          else {
            const at = availableAt(pod, minReady);
            if (at !== undefined) wake = Math.min(wake, at);
          }
        }
        if (isUpdated(pod, s.hash, ds.metadata.generation)) updated++;
      } else if (pods.length) misscheduled++;
    }
    const status: any = {
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: desired,
      numberReady: ready,
      observedGeneration: ds.metadata.generation,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: desired - available,
    };
    for (const f of ['updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'])
      if (!status[f]) delete status[f];
    const fresh = this.cp.store.tryGet(this.dsDef!, ds.metadata.namespace, ds.metadata.name!);
    if (!fresh) return;
    if (fresh.status?.collisionCount) status.collisionCount = fresh.status.collisionCount;
    if (fresh.status?.conditions) status.conditions = fresh.status.conditions;
    if (!sameJson(status, fresh.status ?? {})) {
      this.cp.store.mutate(
        this.dsDef!,
        ds.metadata.namespace,
        ds.metadata.name!,
        (o) => {
          o.status = status;
        },
        { subresource: 'status' },
      );
    }
    if (wake !== Infinity) queue.addAfter(keyOf(ds), Math.max(0, wake - now) + 50);
  }
}

/** Node changes that can change where daemon pods belong. */
function nodeChangeMatters(node: KObject, old: KObject): boolean {
  return (
    !sameJson(node.metadata.labels, old.metadata.labels) ||
    !sameJson(node.spec?.taints, old.spec?.taints) ||
    !!node.spec?.unschedulable !== !!old.spec?.unschedulable
  );
}
