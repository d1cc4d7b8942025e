/**
 * Field ownership (metadata.managedFields) and server-side apply, following the API server's
 * field manager stack: last-applied upgrade and sync for kubectl, "before-first-apply" for objects
 * that were never tracked, a cap of ten Update entries ("ancient-changes"), one entry per manager
 * with a timestamp that moves only when that manager changed something, and stripping of the
 * metadata fields nobody owns (name, uid, resourceVersion, ...).
 *
 * Apply semantics (structured-merge-diff): the applied configuration is merged into the live
 * object, the applier owns exactly the fields it applied, fields it applied before but omits now
 * are removed unless another manager owns them, and changing a field someone else owns is a
 * conflict unless forced (then the other manager loses it).
 */

import type { TypeSchema } from '../schema/types.ts';
import { applyConflict, badRequest, type PatchError } from './errors.ts';
import { FieldSet, type Path, pathString } from './fieldpath.ts';
import { clone, deepEqual, goJson, isObject, type JsonObject, type JsonValue } from './json.ts';
import { type Shape, typeShape } from './shape.ts';
import { type Comparison, dropNulls, Typed } from './typed.ts';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = 'ancient-changes';
const BEFORE_FIRST_APPLY = 'before-first-apply';
const CURRENT_OPERATION = 'current-operation';

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: JsonObject;
  subresource?: string;
}

export interface FieldManagerOptions {
  /** Field manager name (`fieldManager` query parameter, or derived from the user agent). */
  manager: string;
  schema: TypeSchema;
  /** Schema type of the object, e.g. `io.k8s.api.apps.v1.Deployment`; unknown types are walked untyped. */
  typeName: string;
  /** Group/version of the request; defaults to the object's apiVersion. */
  apiVersion?: string;
  subresource?: string;
  /** Clock for managedFields timestamps. */
  now?: Date | string;
  /** Paths the resource strategy resets and nobody may own, e.g. [['status']] on the main resource. */
  resetFields?: string[][];
}

export interface ApplyOptions extends FieldManagerOptions {
  force?: boolean;
}

export interface ApplyConflict {
  /** The other manager as the server prints it: `"kubectl-client-side-apply" using apps/v1`. */
  manager: string;
  managerName: string;
  operation: 'Apply' | 'Update';
  apiVersion?: string;
  /** Field path as the server prints it: `.spec.template.spec.containers[name="web"].image`. */
  path: string;
}

export interface ApplyResult {
  /** The object after the apply, with managedFields; the live object (or undefined) on conflict. */
  object: JsonObject | undefined;
  conflicts: ApplyConflict[];
  /** The 409 the server answers when there are conflicts. */
  error?: PatchError;
  /** False when the apply changed neither the object nor its managedFields. */
  changed: boolean;
}

interface ManagerId {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion?: string;
  subresource?: string;
}

interface VersionedSet {
  set: FieldSet;
  apiVersion: string;
  applied: boolean;
}

interface Managed {
  fields: Map<string, VersionedSet>;
  times: Map<string, string>;
}

/** The manager identifier the server keys ownership by: the entry without time and fields. */
function identifier(id: ManagerId): string {
  const o: Record<string, string> = { manager: id.manager, operation: id.operation };
  if (id.operation !== 'Apply' && id.apiVersion) o.apiVersion = id.apiVersion;
  if (id.subresource) o.subresource = id.subresource;
  return JSON.stringify(o);
}

function parseIdentifier(s: string): ManagerId {
  try {
    const o = JSON.parse(s);
    if (isObject(o) && typeof o.manager === 'string') return o as unknown as ManagerId;
  } catch {}
  return { manager: s, operation: 'Update' };
}

function printManager(idString: string): string {
  const id = parseIdentifier(idString);
  let s = JSON.stringify(id.manager);
  if (id.subresource) s += ` with subresource ${JSON.stringify(id.subresource)}`;
  if (id.operation === 'Update') s += ` using ${id.apiVersion ?? ''}`;
  return s;
}

function rfc3339(now: Date | string | undefined): string {
  if (typeof now === 'string') return now;
  return (now ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
}

function emptyManaged(): Managed {
  return { fields: new Map(), times: new Map() };
}

function cloneManaged(m: Managed): Managed {
  const fields = new Map<string, VersionedSet>();
  for (const [k, v] of m.fields) fields.set(k, { ...v, set: v.set.copy() });
  return { fields, times: new Map(m.times) };
}

/** Decodes managedFields; undefined when they cannot be decoded (the server then ignores them). */
export function decodeManagedFields(entries: unknown): Managed | undefined {
  const m = emptyManaged();
  if (entries === undefined || entries === null) return m;
  if (!Array.isArray(entries)) return undefined;
  for (const e of entries) {
    if (!isObject(e) || e.fieldsType !== 'FieldsV1' || typeof e.manager !== 'string') return undefined;
    const operation = e.operation === 'Apply' ? 'Apply' : 'Update';
    const id = identifier({
      manager: e.manager,
      operation,
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : undefined,
      subresource: typeof e.subresource === 'string' ? e.subresource : undefined,
    });
    let set: FieldSet;
    try {
      set = FieldSet.fromFieldsV1(e.fieldsV1);
    } catch {
      return undefined;
    }
    m.fields.set(id, {
      set,
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '',
      applied: operation === 'Apply',
    });
    if (typeof e.time === 'string') m.times.set(id, e.time);
  }
  return m;
}

function encodeManagedFields(m: Managed): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  for (const [idString, vs] of m.fields) {
    if (vs.set.isEmpty()) continue;
    const id = parseIdentifier(idString);
    const e: ManagedFieldsEntry = { manager: id.manager, operation: id.operation, apiVersion: vs.apiVersion };
    const t = m.times.get(idString);
    if (t) e.time = t;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = vs.set.toFieldsV1();
    if (id.subresource) e.subresource = id.subresource;
    out.push(e);
  }
  const secs = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  return out.sort((a, b) => {
    if (a.operation !== b.operation) return (a.operation ?? '') < (b.operation ?? '') ? -1 : 1;
    if (secs(a.time) !== secs(b.time)) return secs(a.time) - secs(b.time);
    if (a.manager !== b.manager) return (a.manager ?? '') < (b.manager ?? '') ? -1 : 1;
    if (a.apiVersion !== b.apiVersion) return (a.apiVersion ?? '') < (b.apiVersion ?? '') ? -1 : 1;
    return (a.subresource ?? '') < (b.subresource ?? '')
      ? -1
      : (a.subresource ?? '') > (b.subresource ?? '')
        ? 1
        : 0;
  });
}

const STRIPPED_PATHS: string[][] = [
  ['apiVersion'],
  ['kind'],
  ['metadata', 'name'],
  ['metadata', 'namespace'],
  ['metadata', 'creationTimestamp'],
  ['metadata', 'selfLink'],
  ['metadata', 'uid'],
  ['metadata', 'clusterName'],
  ['metadata', 'generation'],
  ['metadata', 'managedFields'],
  ['metadata', 'resourceVersion'],
];

function pathsToSet(paths: string[][]): FieldSet {
  return FieldSet.fromPaths(paths.map((p) => p.map((field) => ({ field }))));
}

/** The object as the typed walkers see it: no managedFields. */
function withoutManagedFields(o: JsonObject): JsonObject {
  const c = clone(o);
  if (isObject(c.metadata)) delete c.metadata.managedFields;
  return c;
}

function setManagedFields(o: JsonObject, m: Managed): void {
  const entries = encodeManagedFields(m);
  if (entries.length === 0) {
    if (isObject(o.metadata)) delete o.metadata.managedFields;
    return;
  }
  if (!isObject(o.metadata)) o.metadata = {};
  (o.metadata as JsonObject).managedFields = entries as unknown as JsonValue;
}

class FieldManager {
  readonly typed: Typed;
  readonly shape: Shape;
  readonly version: string;
  readonly now: string;
  readonly stripSet = pathsToSet(STRIPPED_PATHS);
  readonly reset: FieldSet;
  readonly opts: FieldManagerOptions;

  constructor(opts: FieldManagerOptions, obj: JsonObject) {
    this.opts = opts;
    this.typed = new Typed(opts.schema);
    this.shape = typeShape(opts.schema, opts.typeName);
    this.version = opts.apiVersion ?? (typeof obj.apiVersion === 'string' ? obj.apiVersion : '');
    this.now = rfc3339(opts.now);
    this.reset = pathsToSet(opts.resetFields ?? []);
  }

  id(manager: string, operation: 'Apply' | 'Update'): string {
    return identifier({ manager, operation, apiVersion: this.version, subresource: this.opts.subresource });
  }

  compare(lhs: JsonObject, rhs: JsonObject): Comparison {
    const c = this.typed.compare(lhs, rhs, this.shape);
    return {
      added: c.added.recursiveDifference(this.reset),
      modified: c.modified.recursiveDifference(this.reset),
      removed: c.removed.recursiveDifference(this.reset),
    };
  }

  ensure(s: FieldSet): FieldSet {
    return this.typed.ensureNamedFieldsAreMembers(s, this.shape);
  }

  fieldSet(v: JsonValue): FieldSet {
    return this.typed.toFieldSet(v, this.shape);
  }

  /**
   * Ownership changes going from oldObj to newObj on behalf of `workflow`: other managers lose
   * the fields that were removed, and the fields that changed unless that is a conflict.
   */
  update(
    oldObj: JsonObject,
    newObj: JsonObject,
    m: Managed,
    workflow: string,
    force: boolean,
  ): { comparison: Comparison; conflicts?: Map<string, FieldSet> } {
    const comparison = this.compare(oldObj, newObj);
    const changed = comparison.modified.union(comparison.added);
    const conflicts = new Map<string, FieldSet>();
    for (const [id, vs] of m.fields) {
      if (id === workflow) continue;
      const c = vs.set.intersection(changed);
      if (!c.isEmpty()) conflicts.set(id, c);
    }
    if (!force && conflicts.size > 0) return { comparison, conflicts };
    for (const [id, vs] of m.fields) {
      if (id === workflow) continue;
      let s = vs.set;
      const c = conflicts.get(id);
      if (c) s = s.difference(c);
      if (!comparison.removed.isEmpty()) s = s.difference(comparison.removed);
      if (s.isEmpty()) m.fields.delete(id);
      else m.fields.set(id, { ...vs, set: s });
    }
    return { comparison };
  }

  stripMeta(m: Managed, id: string): void {
    const vs = m.fields.get(id);
    if (!vs) return;
    const s = vs.set.difference(this.stripSet);
    if (s.isEmpty()) m.fields.delete(id);
    else m.fields.set(id, { ...vs, set: s });
  }

  /** An ordinary write by `id`: it takes every field it added or changed. */
  recordUpdate(oldObj: JsonObject, newObj: JsonObject, m: Managed, id: string): void {
    const { comparison } = this.update(oldObj, newObj, m, CURRENT_OPERATION, true);
    const set = comparison.modified.union(comparison.added).recursiveDifference(this.reset);
    if (!set.isEmpty()) m.fields.set(CURRENT_OPERATION, { set, apiVersion: this.version, applied: false });
    this.stripMeta(m, CURRENT_OPERATION);
    const vs = m.fields.get(CURRENT_OPERATION);
    if (!vs) return;
    m.fields.delete(CURRENT_OPERATION);
    const prev = m.fields.get(id);
    m.fields.set(id, prev ? { ...vs, set: vs.set.union(prev.set) } : vs);
    m.times.set(id, this.now);
  }

  /** One apply attempt; returns the conflicts instead of a result when there are some. */
  applyOnce(
    live: JsonObject,
    config: JsonObject,
    m: Managed,
    id: string,
    force: boolean,
  ): { object: JsonObject; noop: boolean } | { conflicts: Map<string, FieldSet> } {
    let merged = (this.typed.merge(live, config, this.shape) ?? {}) as JsonObject;
    const lastSet = m.fields.get(id)?.set;
    const configSet = this.fieldSet(config).recursiveDifference(this.reset);
    m.fields.set(id, { set: configSet, apiVersion: this.version, applied: true });
    merged = this.prune(merged, m, lastSet);
    const { conflicts } = this.update(live, merged, m, id, force);
    if (conflicts) return { conflicts };
    this.stripMeta(m, id);
    const noop = deepEqual(live, merged);
    if (!noop || !m.times.has(id)) m.times.set(id, this.now);
    return { object: merged, noop };
  }

  /** Removes what the applier owned last time and no longer applies, unless someone else owns it. */
  prune(merged: JsonObject, m: Managed, lastSet: FieldSet | undefined): JsonObject {
    if (!lastSet || lastSet.isEmpty()) return merged;
    const t = this.typed;
    let pruned = t.removeItems(merged, this.ensure(lastSet), this.shape) ?? {};
    let owned = new FieldSet();
    for (const vs of m.fields.values()) owned = owned.union(vs.set);
    const mergedSet = this.ensure(this.fieldSet(merged));
    const prunedSet = this.ensure(this.fieldSet(pruned));
    pruned =
      t.removeItems(merged, mergedSet.difference(prunedSet.union(this.ensure(owned))), this.shape) ?? {};
    const dangling = mergedSet
      .difference(this.ensure(this.fieldSet(pruned)))
      .intersection(this.ensure(lastSet));
    return (t.removeItems(merged, dangling, this.shape) ?? {}) as JsonObject;
  }

  /** Fields whose live value still matches kubectl's last-applied annotation (CSA to SSA upgrade). */
  allowedFromLastApplied(live: JsonObject): FieldSet | undefined {
    const ann =
      isObject(live.metadata) && isObject(live.metadata.annotations) ? live.metadata.annotations : undefined;
    const text = ann?.[LAST_APPLIED_ANNOTATION];
    if (typeof text !== 'string' || text === '') return undefined;
    let last: unknown;
    try {
      last = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (!isObject(last)) return undefined;
    return this.fieldSet(last).difference(this.typed.compare(last, live, this.shape).modified);
  }

  capUpdateManagers(m: Managed): void {
    const updaters = [...m.fields.entries()].filter(([, vs]) => !vs.applied).map(([id]) => id);
    if (updaters.length <= MAX_UPDATE_MANAGERS) return;
    const secs = (id: string) => {
      const t = m.times.get(id);
      return t ? Math.floor(Date.parse(t) / 1000) : 0;
    };
    updaters.sort((a, b) => secs(a) - secs(b) || (a < b ? -1 : a > b ? 1 : 0));
    const firstOfVersion = new Map<string, string>();
    let length = updaters.length;
    for (let i = 0; i < updaters.length && length > MAX_UPDATE_MANAGERS; i++) {
      const id = updaters[i];
      const vs = m.fields.get(id)!;
      const time = m.times.get(id);
      const bucket = identifier({ manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: vs.apiVersion });
      const first = firstOfVersion.get(vs.apiVersion);
      if (first === undefined) {
        firstOfVersion.set(vs.apiVersion, id);
        continue;
      }
      if (!m.fields.has(bucket)) {
        m.fields.set(bucket, m.fields.get(first)!);
        m.fields.delete(first);
      }
      m.fields.set(bucket, { ...vs, set: vs.set.union(m.fields.get(bucket)!.set) });
      m.fields.delete(id);
      length--;
      if (time) m.times.set(bucket, time);
    }
  }
}

/**
 * Records an ordinary write (create, update, or a non-apply patch) in managedFields. `old` is the
 * stored object (undefined on create), `updated` the object about to be stored; the result is
 * `updated` with managedFields set. As on a real server, objects that already exist untracked
 * stay untracked, and a client may replace managedFields by sending its own.
 */
export function recordUpdate(
  old: JsonObject | undefined,
  updated: JsonObject,
  opts: FieldManagerOptions,
): JsonObject {
  const out = clone(updated);
  const fm = new FieldManager(opts, out);
  const sent = decodeManagedFields(isObject(out.metadata) ? out.metadata.managedFields : undefined);
  let m = sent && sent.fields.size > 0 ? sent : undefined;
  if (!m)
    m =
      decodeManagedFields(old && isObject(old.metadata) ? old.metadata.managedFields : undefined) ??
      emptyManaged();

  const isCreate = !old || !(isObject(old.metadata) && old.metadata.uid);
  if (m.fields.size === 0 && !isCreate) {
    setManagedFields(out, m);
    return out;
  }
  fm.recordUpdate(
    old ? withoutManagedFields(old) : {},
    withoutManagedFields(out),
    m,
    fm.id(opts.manager, 'Update'),
  );
  fm.capUpdateManagers(m);
  setManagedFields(out, m);
  return out;
}

/**
 * Server-side apply of `applied` (the body of an application/apply-patch+yaml request, already
 * parsed) onto `live` (undefined when the apply creates the object).
 */
export function serverSideApply(
  live: JsonObject | undefined,
  applied: unknown,
  opts: ApplyOptions,
): ApplyResult {
  if (!isObject(applied))
    throw badRequest('error decoding YAML: the applied configuration must be an object');
  if (isObject(applied.metadata) && applied.metadata.managedFields != null) {
    throw badRequest('metadata.managedFields must be nil');
  }
  const fm = new FieldManager(opts, applied);
  const base =
    decodeManagedFields(live && isObject(live.metadata) ? live.metadata.managedFields : undefined) ??
    emptyManaged();
  const liveTyped = live ? withoutManagedFields(live) : {};
  const config = (fm.typed.removeItems(clone(applied), fm.reset, fm.shape) ?? {}) as JsonObject;
  const id = fm.id(opts.manager, 'Apply');

  const attempt = (force: boolean) => {
    const m = cloneManaged(base);
    if (live && m.fields.size === 0) {
      // Whatever the object already holds belongs to a synthetic earlier writer.
      fm.recordUpdate({}, liveTyped, m, fm.id(BEFORE_FIRST_APPLY, 'Update'));
    }
    return { m, r: fm.applyOnce(liveTyped, config, m, id, force) };
  };

  let { m, r } = attempt(opts.force ?? false);
  if ('conflicts' in r && opts.manager === 'kubectl' && live) {
    const allowed = fm.allowedFromLastApplied(liveTyped);
    if (allowed) {
      const remaining = new Map<string, FieldSet>();
      for (const [mid, set] of r.conflicts) {
        const rest = set.difference(allowed);
        if (!rest.isEmpty()) remaining.set(mid, rest);
      }
      if (remaining.size === 0) ({ m, r } = attempt(true));
      else r = { conflicts: remaining };
    }
  }

  if ('conflicts' in r) {
    const conflicts = toConflicts(r.conflicts);
    return {
      object: live ? clone(live) : undefined,
      conflicts,
      error: applyConflictError(conflicts),
      changed: false,
    };
  }

  fm.capUpdateManagers(m);
  const object = dropNulls(r.noop ? clone(liveTyped) : r.object) as JsonObject;
  if (opts.manager === 'kubectl') syncLastApplied(object, applied);
  setManagedFields(object, m);
  return { object, conflicts: [], changed: !live || !deepEqual(live, object) };
}

/** kubectl's server-side apply keeps an existing client-side last-applied annotation current. */
function syncLastApplied(object: JsonObject, applied: JsonObject): void {
  const ann =
    isObject(object.metadata) && isObject(object.metadata.annotations)
      ? object.metadata.annotations
      : undefined;
  const current = ann?.[LAST_APPLIED_ANNOTATION];
  if (!ann || typeof current !== 'string' || current === '') return;
  const copy = clone(applied);
  if (isObject(copy.metadata) && isObject(copy.metadata.annotations))
    delete copy.metadata.annotations[LAST_APPLIED_ANNOTATION];
  ann[LAST_APPLIED_ANNOTATION] = goJson(copy);
}

function toConflicts(byManager: Map<string, FieldSet>): ApplyConflict[] {
  const out: ApplyConflict[] = [];
  for (const mid of [...byManager.keys()].sort()) {
    const id = parseIdentifier(mid);
    for (const p of byManager.get(mid)!.paths()) {
      out.push({
        manager: printManager(mid),
        managerName: id.manager,
        operation: id.operation,
        apiVersion: id.apiVersion,
        path: pathString(p as Path),
      });
    }
  }
  return out;
}

/** The message of the server's 409 for apply conflicts. */
export function conflictMessage(conflicts: ApplyConflict[]): string {
  if (conflicts.length === 1) {
    return `Apply failed with 1 conflict: conflict with ${conflicts[0].manager}: ${conflicts[0].path}`;
  }
  const lines: string[] = [];
  let last: string | undefined;
  for (const c of conflicts) {
    if (c.manager !== last) lines.push(`conflicts with ${c.manager}:`);
    last = c.manager;
    lines.push(`- ${c.path}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

export function applyConflictError(conflicts: ApplyConflict[]): PatchError {
  return applyConflict(
    conflictMessage(conflicts),
    conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with ${c.manager}`,
      field: c.path,
    })),
  );
}
