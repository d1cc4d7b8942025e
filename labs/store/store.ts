/**
 * The generic object store of one lab's control plane.
 *
 * Every write goes through one hook order, whatever the kind:
 *   create: fill metadata (name from generateName, uid, timestamps) -> strategy.prepareForCreate
 *           -> strategy.validate -> store
 *   update: precondition check (resourceVersion) -> strategy.prepareForUpdate|prepareForStatusUpdate
 *           -> strategy.validate + validateUpdate -> generation bump -> store
 *   delete: finalizers / graceful deletion / propagation -> remove -> strategy.afterDelete
 * Only prepare* hooks may change the object; validate* hooks only report.
 *
 * Watches see every change as ADDED / MODIFIED / DELETED relative to their selectors, and can resume
 * from any resourceVersion still in the event history.
 */
import { randomUUID } from 'node:crypto';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  gone,
  invalid,
  notFound,
  OBJECT_MODIFIED,
  statusError,
} from '../kube/errors.ts';
import { clone, type KObject, nowTimestamp } from '../kube/object.ts';
import {
  type FieldRequirement,
  matchesFields,
  matchesSelector,
  parseFieldSelector,
  parseLabelSelector,
  type Selector,
} from '../kube/selectors.ts';
import type { ClusterContext, KindDefinition } from '../registry/strategy.ts';
import type { KindRegistry } from './kind-registry.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: KObject;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WatchOptions extends ListOptions {
  /** Resume after this resourceVersion; '' or '0' starts with the current state as ADDED events. */
  resourceVersion?: string;
  /** With resourceVersion unset: send current objects first (kubectl get -w behaviour). */
  sendInitial?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface WriteOptions {
  dryRun?: boolean;
  /**
   * 'status' writes only status; 'finalize' writes only spec.finalizers (namespaces), as the
   * apiserver's subresources do. Without one, the kind's prepareForUpdate decides what sticks.
   */
  subresource?: 'status' | 'finalize';
}

interface HistoryEntry {
  rv: number;
  key: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KObject;
  old?: KObject;
}

interface Watcher {
  key: string;
  namespace?: string;
  labels: Selector;
  fields: FieldRequirement[];
  def: KindDefinition;
  send(event: WatchEvent): void;
}

/** Listener for controllers: every committed change, with the previous version. */
export type ChangeListener = (change: {
  def: KindDefinition;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KObject;
  old?: KObject;
}) => void;

const HISTORY_LIMIT = 10_000;
const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++)
    out += NAME_SUFFIX_ALPHABET[Math.floor(Math.random() * NAME_SUFFIX_ALPHABET.length)];
  return out;
}

function resourceKey(def: KindDefinition): string {
  return `${def.info.group}/${def.info.resource}`;
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** Fields any kind can be selected on, plus the kind's own. */
export function fieldsOf(def: KindDefinition, obj: KObject): Record<string, string> {
  const base: Record<string, string> = { 'metadata.name': obj.metadata.name ?? '' };
  if (def.info.namespaced) base['metadata.namespace'] = obj.metadata.namespace ?? '';
  return { ...base, ...(def.strategy.selectableFields?.(obj) ?? {}) };
}

export class ObjectStore {
  readonly kinds: KindRegistry;
  readonly ctx: ClusterContext;
  private readonly objects = new Map<string, Map<string, KObject>>();
  private readonly history: HistoryEntry[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly listeners = new Set<ChangeListener>();
  private rv = 1000;

  constructor(kinds: KindRegistry, ctx: ClusterContext) {
    this.kinds = kinds;
    this.ctx = ctx;
  }

  get resourceVersion(): string {
    return String(this.rv);
  }

  private bucket(def: KindDefinition): Map<string, KObject> {
    const key = resourceKey(def);
    let b = this.objects.get(key);
    if (!b) {
      b = new Map();
      this.objects.set(key, b);
    }
    return b;
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---------- reads ----------

  get(def: KindDefinition, namespace: string | undefined, name: string): KObject {
    const obj = this.bucket(def).get(objectKey(def.info.namespaced ? namespace : undefined, name));
    if (!obj) throw notFound(def.info.resource, def.info.group, name);
    return clone(obj);
  }

  tryGet(def: KindDefinition, namespace: string | undefined, name: string): KObject | undefined {
    const obj = this.bucket(def).get(objectKey(def.info.namespaced ? namespace : undefined, name));
    return obj ? clone(obj) : undefined;
  }

  /** Objects of a kind, optionally in one namespace and filtered by selectors. Returns copies. */
  list(def: KindDefinition, namespace?: string, opts: ListOptions = {}): KObject[] {
    const labels = parseLabelSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector);
    this.checkFieldSelector(def, fields);
    const out: KObject[] = [];
    for (const obj of this.bucket(def).values()) {
      if (def.info.namespaced && namespace && obj.metadata.namespace !== namespace) continue;
      if (!matchesSelector(labels, obj.metadata.labels)) continue;
      if (fields.length && !matchesFields(fields, fieldsOf(def, obj))) continue;
      out.push(clone(obj));
    }
    return out.sort(
      (a, b) =>
        (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
        a.metadata.name!.localeCompare(b.metadata.name!),
    );
  }

  /** Read-only view without copying, for controllers that only look. */
  peek(def: KindDefinition): Iterable<KObject> {
    return this.bucket(def).values();
  }

  private checkFieldSelector(def: KindDefinition, fields: FieldRequirement[]): void {
    if (!fields.length) return;
    const sample: KObject = { apiVersion: '', kind: def.info.kind, metadata: {} };
    const known = new Set(Object.keys(fieldsOf(def, sample)));
    for (const f of fields) {
      if (!known.has(f.field)) {
        throw badRequest(`field label not supported: ${f.field}`);
      }
    }
  }

  // ---------- writes ----------

  private nextRv(): string {
    this.rv += 1;
    return String(this.rv);
  }

  private checkNamespace(def: KindDefinition, obj: KObject, creating: boolean): void {
    if (!def.info.namespaced) {
      delete obj.metadata.namespace;
      return;
    }
    if (!obj.metadata.namespace) obj.metadata.namespace = 'default';
    const nsDef = this.kinds.byResource('', 'namespaces');
    const ns = nsDef && this.bucket(nsDef).get(objectKey(undefined, obj.metadata.namespace));
    if (!ns) throw notFound('namespaces', '', obj.metadata.namespace);
    if (creating && ns.metadata.deletionTimestamp) {
      throw forbidden(
        `${def.info.resource}${def.info.group ? `.${def.info.group}` : ''} "${obj.metadata.name ?? obj.metadata.generateName ?? ''}" is forbidden: unable to create new content in namespace ${obj.metadata.namespace} because it is being terminated`,
      );
    }
  }

  create(def: KindDefinition, input: KObject, opts: WriteOptions = {}): KObject {
    const obj = clone(input);
    obj.metadata ??= {};
    obj.apiVersion = def.info.group ? `${def.info.group}/${def.info.version}` : def.info.version;
    obj.kind = def.info.kind;
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) {
      for (let i = 0; i < 8; i++) {
        meta.name = `${meta.generateName}${randomSuffix()}`;
        if (
          !this.bucket(def).has(
            objectKey(def.info.namespaced ? meta.namespace || 'default' : undefined, meta.name),
          )
        )
          break;
      }
    }
    if (!meta.name) {
      throw invalid(def.info.kind, def.info.group, '', [
        { type: 'Required', field: 'metadata.name', detail: 'name or generateName is required' },
      ]);
    }
    this.checkNamespace(def, obj, true);
    const key = objectKey(meta.namespace, meta.name);
    if (this.bucket(def).has(key)) throw alreadyExists(def.info.resource, def.info.group, meta.name);
    meta.uid = randomUUID();
    meta.creationTimestamp = nowTimestamp(this.ctx.now());
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.resourceVersion;
    if (def.strategy.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    for (const [k, v] of Object.entries(meta)) if (v === null) delete meta[k];

    def.strategy.prepareForCreate?.(obj, this.ctx);
    const errors = def.strategy.validate?.(obj, this.ctx) ?? [];
    if (errors.length) {
      def.strategy.afterDelete?.(obj, this.ctx); // give back what prepareForCreate allocated
      throw invalid(def.info.kind, def.info.group, meta.name, errors);
    }
    if (opts.dryRun) {
      def.strategy.afterDelete?.(obj, this.ctx);
      return obj;
    }
    meta.resourceVersion = this.nextRv();
    this.bucket(def).set(key, obj);
    this.commit(def, 'ADDED', obj);
    return clone(obj);
  }

  /**
   * Replace an object (PUT). With a resourceVersion in the input, the write only succeeds against
   * that version (optimistic concurrency), as the apiserver does.
   */
  update(def: KindDefinition, input: KObject, opts: WriteOptions = {}): KObject {
    const obj = clone(input);
    const name = obj.metadata?.name;
    if (!name) throw badRequest('name is required');
    const namespace = def.info.namespaced ? obj.metadata.namespace || 'default' : undefined;
    const key = objectKey(namespace, name);
    const old = this.bucket(def).get(key);
    if (!old) throw notFound(def.info.resource, def.info.group, name);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(def.info.resource, def.info.group, name, OBJECT_MODIFIED);
    }
    if (obj.metadata.uid && obj.metadata.uid !== old.metadata.uid) {
      throw conflict(
        def.info.resource,
        def.info.group,
        name,
        `Precondition failed: UID in precondition: ${obj.metadata.uid}, UID in object meta: ${old.metadata.uid}`,
      );
    }
    obj.apiVersion = old.apiVersion;
    obj.kind = old.kind;
    obj.metadata.namespace = namespace;
    if (!def.info.namespaced) delete obj.metadata.namespace;
    // Server-owned metadata cannot be changed by a client.
    obj.metadata.uid = old.metadata.uid;
    obj.metadata.creationTimestamp = old.metadata.creationTimestamp;
    obj.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
    obj.metadata.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    obj.metadata.generation = old.metadata.generation;
    if (obj.metadata.generateName === undefined && old.metadata.generateName)
      obj.metadata.generateName = old.metadata.generateName;
    for (const [k, v] of Object.entries(obj.metadata))
      if (v === undefined || v === null) delete obj.metadata[k];

    if (opts.subresource === 'finalize') {
      const keep = clone(old);
      keep.spec = { ...(keep.spec ?? {}), finalizers: obj.spec?.finalizers ?? [] };
      keep.metadata.resourceVersion = obj.metadata.resourceVersion;
      for (const k of Object.keys(obj)) delete obj[k];
      Object.assign(obj, keep);
    } else if (opts.subresource === 'status') {
      if (def.strategy.prepareForStatusUpdate) def.strategy.prepareForStatusUpdate(obj, old, this.ctx);
      else {
        const status = obj.status;
        const keep = clone(old);
        keep.status = status;
        keep.metadata.resourceVersion = obj.metadata.resourceVersion;
        Object.assign(obj, keep);
        for (const k of Object.keys(obj)) if (!(k in keep)) delete obj[k];
      }
    } else {
      def.strategy.prepareForUpdate?.(obj, old, this.ctx);
    }
    const errors = [
      ...(def.strategy.validate?.(obj, this.ctx) ?? []),
      ...(def.strategy.validateUpdate?.(obj, old, this.ctx) ?? []),
    ];
    if (errors.length) throw invalid(def.info.kind, def.info.group, name, errors);

    if (def.strategy.tracksGeneration && specChanged(obj, old)) {
      obj.metadata.generation = (old.metadata.generation ?? 1) + 1;
    }
    if (opts.dryRun) return obj;
    // Nothing changed: a real apiserver returns the object without a new resourceVersion.
    obj.metadata.resourceVersion = old.metadata.resourceVersion;
    if (JSON.stringify(obj) === JSON.stringify(old)) return clone(old);

    // The last finalizer gone from an object being deleted: the delete completes now.
    if (
      old.metadata.deletionTimestamp &&
      !obj.metadata.finalizers?.length &&
      !this.waitsForGrace(def, obj) &&
      !def.strategy.deletionBlocked?.(obj)
    ) {
      this.bucket(def).set(key, obj);
      return this.remove(def, key, obj);
    }
    obj.metadata.resourceVersion = this.nextRv();
    this.bucket(def).set(key, obj);
    this.commit(def, 'MODIFIED', obj, old);
    return clone(obj);
  }

  /** Read-modify-write with retries on conflict: the shape every controller write takes. */
  mutate(
    def: KindDefinition,
    namespace: string | undefined,
    name: string,
    // biome-ignore lint/suspicious/noConfusingVoidType: mutators usually edit in place and return nothing
    fn: (obj: KObject) => KObject | undefined | void,
    opts: WriteOptions = {},
  ): KObject {
    for (let attempt = 0; ; attempt++) {
      const current = this.get(def, namespace, name);
      const next = fn(current) ?? current;
      try {
        return this.update(def, next, opts);
      } catch (e) {
        if (attempt < 5 && e instanceof ApiError && e.reason === 'Conflict') continue;
        throw e;
      }
    }
  }

  private waitsForGrace(def: KindDefinition, obj: KObject): boolean {
    return !!def.strategy.gracefulDeletion && (obj.metadata.deletionGracePeriodSeconds ?? 0) > 0;
  }

  /**
   * DELETE. Returns the object as it is after the call: with deletionTimestamp set when deletion
   * waits on finalizers or grace, or as it was when it is gone (`deleted: true`).
   */
  delete(
    def: KindDefinition,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): { object: KObject; deleted: boolean } {
    const ns = def.info.namespaced ? namespace || 'default' : undefined;
    const key = objectKey(ns, name);
    const current = this.bucket(def).get(key);
    if (!current) throw notFound(def.info.resource, def.info.group, name);
    if (opts.preconditions?.uid && opts.preconditions.uid !== current.metadata.uid) {
      throw conflict(
        def.info.resource,
        def.info.group,
        name,
        `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (
      opts.preconditions?.resourceVersion &&
      opts.preconditions.resourceVersion !== current.metadata.resourceVersion
    ) {
      throw conflict(
        def.info.resource,
        def.info.group,
        name,
        `Precondition failed: ResourceVersion in precondition: ${opts.preconditions.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
    if (opts.dryRun) return { object: clone(current), deleted: true };
    const obj = clone(current);
    const finalizers = new Set(obj.metadata.finalizers ?? []);
    const policy = opts.propagationPolicy;
    if (policy === 'Foreground') finalizers.add('foregroundDeletion');
    if (policy === 'Orphan') finalizers.add('orphan');

    let grace = 0;
    if (def.strategy.gracefulDeletion) {
      const requested = opts.gracePeriodSeconds;
      const fromObject = def.strategy.gracefulDeletion(obj);
      grace = requested ?? fromObject ?? 0;
      if (fromObject === undefined) grace = 0; // nothing to wait for (e.g. an unscheduled pod)
      if (obj.metadata.deletionTimestamp && requested === undefined)
        grace = obj.metadata.deletionGracePeriodSeconds ?? 0;
    }

    const blocked = def.strategy.deletionBlocked?.(obj) ?? false;
    if (finalizers.size || grace > 0 || blocked) {
      if (
        obj.metadata.deletionTimestamp &&
        (obj.metadata.deletionGracePeriodSeconds ?? 0) <= grace &&
        sameSet(finalizers, obj.metadata.finalizers)
      ) {
        return { object: clone(current), deleted: false };
      }
      const old = clone(current);
      obj.metadata.finalizers = finalizers.size ? [...finalizers] : undefined;
      if (!obj.metadata.finalizers) delete obj.metadata.finalizers;
      const deadline = nowTimestamp(this.ctx.now() + grace * 1000);
      // A shorter grace period on a second DELETE moves the deadline closer, never further.
      if (!obj.metadata.deletionTimestamp || deadline < obj.metadata.deletionTimestamp) {
        obj.metadata.deletionTimestamp = deadline;
      }
      if (def.strategy.gracefulDeletion) obj.metadata.deletionGracePeriodSeconds = grace;
      if (!finalizers.size && grace === 0 && !blocked)
        return { object: this.remove(def, key, obj), deleted: true };
      obj.metadata.resourceVersion = this.nextRv();
      this.bucket(def).set(key, obj);
      this.commit(def, 'MODIFIED', obj, old);
      return { object: clone(obj), deleted: false };
    }
    return { object: this.remove(def, key, obj), deleted: true };
  }

  private remove(def: KindDefinition, key: string, obj: KObject): KObject {
    const old = this.bucket(def).get(key);
    this.bucket(def).delete(key);
    obj.metadata.resourceVersion = this.nextRv();
    def.strategy.afterDelete?.(obj, this.ctx);
    this.commit(def, 'DELETED', obj, old);
    return clone(obj);
  }

  // ---------- events ----------

  private commit(
    def: KindDefinition,
    type: 'ADDED' | 'MODIFIED' | 'DELETED',
    obj: KObject,
    old?: KObject,
  ): void {
    const entry: HistoryEntry = {
      rv: Number(obj.metadata.resourceVersion),
      key: resourceKey(def),
      type,
      object: clone(obj),
      old,
    };
    this.history.push(entry);
    if (this.history.length > HISTORY_LIMIT) this.history.splice(0, this.history.length - HISTORY_LIMIT);
    for (const w of this.watchers) if (w.key === entry.key) this.deliver(w, entry);
    for (const l of this.listeners) {
      try {
        l({ def, type, object: clone(obj), old: old && clone(old) });
      } catch (e) {
        console.error('store listener failed:', e);
      }
    }
  }

  private matches(w: Watcher, obj: KObject | undefined): boolean {
    if (!obj) return false;
    if (w.namespace && obj.metadata.namespace !== w.namespace) return false;
    if (!matchesSelector(w.labels, obj.metadata.labels)) return false;
    return !w.fields.length || matchesFields(w.fields, fieldsOf(w.def, obj));
  }

  private deliver(w: Watcher, e: HistoryEntry): void {
    const now = this.matches(w, e.object);
    const before = e.type === 'ADDED' ? false : this.matches(w, e.old ?? e.object);
    if (e.type === 'DELETED') {
      if (before || now) w.send({ type: 'DELETED', object: clone(e.object) });
    } else if (now && !before) w.send({ type: 'ADDED', object: clone(e.object) });
    else if (now && before) w.send({ type: 'MODIFIED', object: clone(e.object) });
    else if (!now && before) w.send({ type: 'DELETED', object: clone(e.object) });
  }

  /**
   * Start a watch. Returns a function that stops it. Throws 410 Expired when asked to resume from a
   * resourceVersion older than the kept history.
   */
  watch(
    def: KindDefinition,
    namespace: string | undefined,
    opts: WatchOptions,
    send: (e: WatchEvent) => void,
  ): () => void {
    const w: Watcher = {
      key: resourceKey(def),
      namespace: def.info.namespaced ? namespace : undefined,
      labels: parseLabelSelector(opts.labelSelector),
      fields: parseFieldSelector(opts.fieldSelector),
      def,
      send,
    };
    this.checkFieldSelector(def, w.fields);
    const rv = opts.resourceVersion;
    if (rv && rv !== '0') {
      const from = Number(rv);
      if (!Number.isFinite(from)) throw badRequest(`invalid resource version: ${rv}`);
      const oldest = this.history.length ? this.history[0].rv : this.rv + 1;
      if (from < oldest - 1 && from < this.rv) {
        throw gone(`too old resource version: ${rv} (${oldest - 1})`);
      }
      for (const e of this.history) if (e.rv > from && e.key === w.key) this.deliver(w, e);
    } else if (rv === '0' || opts.sendInitial) {
      for (const obj of this.list(def, namespace, opts)) send({ type: 'ADDED', object: obj });
    }
    this.watchers.add(w);
    return () => {
      this.watchers.delete(w);
    };
  }
}

function sameSet(a: Set<string>, b: string[] | undefined): boolean {
  const bb = new Set(b ?? []);
  return a.size === bb.size && [...a].every((x) => bb.has(x));
}

function specChanged(a: KObject, b: KObject): boolean {
  const strip = (o: KObject) => {
    const { metadata: _m, status: _s, ...rest } = o;
    return JSON.stringify(rest);
  };
  return strip(a) !== strip(b);
}

export { statusError };
