/**
 * Garbage collector, after pkg/controller/garbagecollector: a graph of ownerReferences over every
 * kind. Dependents of a deleted owner are deleted (background); an owner carrying the
 * `foregroundDeletion` finalizer first sees its dependents deleted and keeps the finalizer while any
 * dependent with blockOwnerDeletion exists; the `orphan` finalizer strips the owner's references
 * from its dependents instead. Dependents with another live owner only lose the dangling reference.
 */
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { ApiError } from '../kube/errors.ts';
import type { KObject, OwnerReference } from '../kube/object.ts';
import type { KindDefinition } from '../registry/strategy.ts';
import type { Change, Controller, WorkQueue } from './framework.ts';

export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';

interface Node {
  def: KindDefinition;
  namespace: string | undefined;
  name: string;
}

/** Events are numerous and never own or depend on anything. */
function ignored(def: KindDefinition): boolean {
  return (def.info.group === '' || def.info.group === 'events.k8s.io') && def.info.resource === 'events';
}

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector';
  private readonly cp: ControlPlaneCore;
  /** uid -> where the object lives */
  private readonly nodes = new Map<string, Node>();
  /** owner uid -> dependent uids */
  private readonly dependents = new Map<string, Set<string>>();
  /** dependent uid -> the owner uids it references */
  private readonly owners = new Map<string, string[]>();
  private initialized = false;

  constructor(cp: ControlPlaneCore) {
    this.cp = cp;
  }

  private index(def: KindDefinition, obj: KObject): void {
    const uid = obj.metadata.uid!;
    this.nodes.set(uid, { def, namespace: obj.metadata.namespace, name: obj.metadata.name! });
    const refs = (obj.metadata.ownerReferences ?? []).map((r) => r.uid);
    const before = this.owners.get(uid) ?? [];
    for (const o of before) if (!refs.includes(o)) this.dependents.get(o)?.delete(uid);
    for (const o of refs) {
      let set = this.dependents.get(o);
      if (!set) {
        set = new Set();
        this.dependents.set(o, set);
      }
      set.add(uid);
    }
    if (refs.length) this.owners.set(uid, refs);
    else this.owners.delete(uid);
  }

  private unindex(obj: KObject): void {
    const uid = obj.metadata.uid!;
    this.nodes.delete(uid);
    for (const o of this.owners.get(uid) ?? []) {
      const set = this.dependents.get(o);
      set?.delete(uid);
      if (set && !set.size && !this.nodes.has(o)) this.dependents.delete(o);
    }
    this.owners.delete(uid);
  }

  /** Build the graph from what the store holds (startup and resync). */
  resyncKeys(): Iterable<string> {
    const keys: string[] = [];
    for (const def of this.cp.kinds.all()) {
      if (ignored(def)) continue;
      for (const obj of this.cp.store.peek(def)) {
        if (!this.initialized) this.index(def, obj);
        if (obj.metadata.ownerReferences?.length || obj.metadata.deletionTimestamp)
          keys.push(obj.metadata.uid!);
      }
    }
    this.initialized = true;
    return keys;
  }

  onChange(change: Change, queue: WorkQueue): void {
    const { def, type, object, old } = change;
    if (ignored(def)) return;
    const uid = object.metadata.uid!;
    if (type === 'DELETED') {
      for (const dep of this.dependents.get(uid) ?? []) queue.add(dep);
      this.notifyOwners(object, queue);
      this.unindex(object);
      return;
    }
    this.index(def, object);
    const refsChanged =
      JSON.stringify(object.metadata.ownerReferences ?? []) !==
      JSON.stringify(old?.metadata.ownerReferences ?? []);
    if (type === 'ADDED' ? !!object.metadata.ownerReferences?.length : refsChanged) queue.add(uid);
    if (object.metadata.deletionTimestamp) {
      const fins = object.metadata.finalizers ?? [];
      if (fins.includes(FOREGROUND) || fins.includes(ORPHAN)) queue.add(uid);
      // A dependent going away may be what a foreground-deleting owner waits for.
      this.notifyOwners(object, queue);
    }
    if (refsChanged && old) this.notifyOwners(old, queue);
  }

  /** Owners that are being deleted in the foreground re-check their blocking dependents. */
  private notifyOwners(obj: KObject, queue: WorkQueue): void {
    for (const ref of obj.metadata.ownerReferences ?? []) {
      const node = this.nodes.get(ref.uid);
      if (!node) continue;
      const owner = this.cp.store.tryGet(node.def, node.namespace, node.name);
      if (owner?.metadata.deletionTimestamp) queue.add(ref.uid);
    }
  }

  private lookup(uid: string): KObject | undefined {
    const node = this.nodes.get(uid);
    if (!node) return undefined;
    const obj = this.cp.store.tryGet(node.def, node.namespace, node.name);
    return obj?.metadata.uid === uid ? obj : undefined;
  }

  /** The owner a reference points at, if it still exists with that uid. */
  private resolve(ref: OwnerReference, namespace: string | undefined): KObject | 'unknown' | undefined {
    const known = this.lookup(ref.uid);
    if (known) return known;
    const def =
      this.cp.kinds.byApiVersionKind(ref.apiVersion, ref.kind) ??
      this.cp.kinds.all().find((d) => d.info.kind === ref.kind);
    if (!def) return 'unknown'; // a kind we cannot see: never act on it
    const obj = this.cp.store.tryGet(def, def.info.namespaced ? namespace : undefined, ref.name);
    return obj?.metadata.uid === ref.uid ? obj : undefined;
  }

  reconcile(uid: string, queue: WorkQueue): void {
    const node = this.nodes.get(uid);
    if (!node) return;
    const obj = this.cp.store.tryGet(node.def, node.namespace, node.name);
    if (!obj || obj.metadata.uid !== uid) return;
    const finalizers = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && finalizers.includes(ORPHAN)) {
      this.orphanDependents(obj, node);
      return;
    }
    if (obj.metadata.deletionTimestamp && finalizers.includes(FOREGROUND)) {
      this.deleteDependentsFirst(obj, node, queue);
      return;
    }
    this.checkOwners(obj, node);
  }

  private liveDependents(uid: string): { obj: KObject; node: Node }[] {
    const out: { obj: KObject; node: Node }[] = [];
    for (const dep of this.dependents.get(uid) ?? []) {
      const node = this.nodes.get(dep);
      const obj = this.lookup(dep);
      if (node && obj && (obj.metadata.ownerReferences ?? []).some((r) => r.uid === uid))
        out.push({ obj, node });
    }
    return out;
  }

  private orphanDependents(owner: KObject, node: Node): void {
    const uid = owner.metadata.uid!;
    for (const dep of this.liveDependents(uid)) {
      this.patchRefs(dep.node, (refs) => refs.filter((r) => r.uid !== uid));
    }
    this.removeFinalizer(node, ORPHAN);
  }

  private deleteDependentsFirst(owner: KObject, node: Node, queue: WorkQueue): void {
    const uid = owner.metadata.uid!;
    const deps = this.liveDependents(uid);
    for (const dep of deps) {
      if (dep.obj.metadata.deletionTimestamp) continue;
      // Other live owners keep the dependent; it only stops pointing at this one.
      const others = (dep.obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      if (others.some((r) => this.isSolid(r, dep.obj.metadata.namespace))) {
        this.patchRefs(dep.node, (refs) => refs.filter((r) => r.uid !== uid));
        continue;
      }
      const hasOwn = this.liveDependents(dep.obj.metadata.uid!).length > 0;
      this.deleteObject(dep.node, dep.obj.metadata.uid!, hasOwn ? 'Foreground' : 'Background');
    }
    const blocking = this.liveDependents(uid).filter((d) =>
      (d.obj.metadata.ownerReferences ?? []).some((r) => r.uid === uid && r.blockOwnerDeletion),
    );
    if (!blocking.length) this.removeFinalizer(node, FOREGROUND);
    else queue.addAfter(uid, 5000); // dependents are also watched; this is a safety net
  }

  private isSolid(ref: OwnerReference, namespace: string | undefined): boolean {
    const owner = this.resolve(ref, namespace);
    if (owner === 'unknown') return true;
    if (!owner) return false;
    return !(owner.metadata.deletionTimestamp && (owner.metadata.finalizers ?? []).includes(FOREGROUND));
  }

  /** attemptToDeleteItem for a dependent: delete it once no owner it names is alive. */
  private checkOwners(obj: KObject, node: Node): void {
    const refs = obj.metadata.ownerReferences ?? [];
    if (!refs.length || obj.metadata.deletionTimestamp) return;
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      const owner = this.resolve(ref, obj.metadata.namespace);
      if (owner === 'unknown') solid.push(ref);
      else if (!owner) dangling.push(ref);
      else if (owner.metadata.deletionTimestamp && (owner.metadata.finalizers ?? []).includes(FOREGROUND))
        waiting.push(ref);
      else solid.push(ref);
    }
    if (solid.length) {
      if (!dangling.length && !waiting.length) return;
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      this.patchRefs(node, (list) => list.filter((r) => !drop.has(r.uid)));
      return;
    }
    const hasOwn = this.liveDependents(obj.metadata.uid!).length > 0;
    if (waiting.length && hasOwn) {
      this.deleteObject(node, obj.metadata.uid!, 'Foreground');
      return;
    }
    const fins = obj.metadata.finalizers ?? [];
    const policy = fins.includes(ORPHAN) ? 'Orphan' : fins.includes(FOREGROUND) ? 'Foreground' : 'Background';
    this.deleteObject(node, obj.metadata.uid!, policy);
  }

  private deleteObject(node: Node, uid: string, policy: 'Foreground' | 'Background' | 'Orphan'): void {
    try {
      this.cp.store.delete(node.def, node.namespace, node.name, {
        preconditions: { uid },
        ...(policy === 'Background' ? {} : { propagationPolicy: policy }),
      });
    } catch (e) {
      if (e instanceof ApiError && (e.reason === 'NotFound' || e.reason === 'Conflict')) return;
      throw e;
    }
  }

  private patchRefs(node: Node, fn: (refs: OwnerReference[]) => OwnerReference[]): void {
    try {
      this.cp.store.mutate(node.def, node.namespace, node.name, (o) => {
        const next = fn(o.metadata.ownerReferences ?? []);
        if (next.length) o.metadata.ownerReferences = next;
        else delete o.metadata.ownerReferences;
      });
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
    }
  }

  private removeFinalizer(node: Node, finalizer: string): void {
    try {
      this.cp.store.mutate(node.def, node.namespace, node.name, (o) => {
        const next = (o.metadata.finalizers ?? []).filter((f) => f !== finalizer);
        if (next.length) o.metadata.finalizers = next;
        else delete o.metadata.finalizers;
      });
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
    }
  }
}
