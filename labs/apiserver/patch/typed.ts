/**
 * Schema-aware walks over objects for server-side apply: the field set an object sets, the
 * comparison of two objects, the apply merge and the removal of owned fields. They follow
 * structured-merge-diff's typed walkers (ToFieldSet, Compare, Merge, RemoveItems).
 *
 * List semantics come from the schema as the API server derives them from OpenAPI:
 * x-kubernetes-list-type wins; otherwise a list with patch strategy "merge" is associative
 * (keyed by its patch merge key, or a set of scalars without one) and every other list is atomic.
 */

import type { FieldDef, TypeSchema } from '../schema/types.ts';
import { FieldSet, type Path, type PathElement, serializePE } from './fieldpath.ts';
import { deepEqual, isObject, type JsonObject, type JsonValue } from './json.ts';
import { FREE, fieldShape, type Shape, structField } from './shape.ts';

export type ListRelationship = { type: 'atomic' } | { type: 'set' } | { type: 'map'; keys: string[] };

export function listRelationship(field: FieldDef): ListRelationship {
  if (field.listType === 'atomic') return { type: 'atomic' };
  if (field.listType === 'set') return { type: 'set' };
  if (field.listType === 'map') {
    return { type: 'map', keys: field.listMapKeys ?? (field.mergeKey ? [field.mergeKey] : []) };
  }
  if (field.patchStrategy?.split(',').includes('merge')) {
    return field.mergeKey ? { type: 'map', keys: [field.mergeKey] } : { type: 'set' };
  }
  return { type: 'atomic' };
}

/**
 * List-map key fields that the OpenAPI defaults (the server fills them in before keying, so a
 * container port without a protocol is keyed with "TCP").
 */
const KEY_DEFAULTS: Record<string, JsonValue> = { protocol: 'TCP' };

export class Typed {
  readonly schema: TypeSchema;

  constructor(schema: TypeSchema) {
    this.schema = schema;
  }

  childShape(shape: Shape, pe: PathElement): Shape {
    if ('field' in pe) {
      if (shape.kind === 'struct') {
        const f = structField(this.schema, shape.def, pe.field);
        return f ? fieldShape(this.schema, f) : FREE;
      }
      if (shape.kind === 'map') return shape.elem;
      return FREE;
    }
    if (shape.kind === 'list') return shape.elem;
    return FREE;
  }

  private declaredField(shape: Shape, name: string): FieldDef | undefined {
    return shape.kind === 'struct' ? structField(this.schema, shape.def, name) : undefined;
  }

  /** How a value of this shape is walked: as a leaf, a list with per-item paths, or a map. */
  private mode(shape: Shape, ...values: (JsonValue | undefined)[]): 'leaf' | 'list' | 'map' {
    switch (shape.kind) {
      case 'scalar':
        return 'leaf';
      case 'list':
        return listRelationship(shape.field).type === 'atomic' ? 'leaf' : 'list';
      case 'struct':
      case 'map':
        return shape.atomic ? 'leaf' : 'map';
      case 'free':
        return values.some((v) => isObject(v)) ? 'map' : 'leaf';
    }
  }

  listItemPE(shape: Shape, item: JsonValue, index: number): PathElement {
    if (shape.kind !== 'list') return { index };
    const rel = listRelationship(shape.field);
    if (rel.type === 'set') return { value: item };
    if (rel.type === 'map' && isObject(item)) {
      const key: [string, JsonValue][] = [];
      for (const k of rel.keys) {
        if (Object.hasOwn(item, k)) key.push([k, item[k]]);
        else {
          const def = this.keyDefault(shape.elem, k);
          if (def !== undefined) key.push([k, def]);
        }
      }
      if (key.length > 0) return { key: key.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
    }
    return { index };
  }

  private keyDefault(elem: Shape, name: string): JsonValue | undefined {
    const f = this.declaredField(elem, name) as (FieldDef & { default?: JsonValue }) | undefined;
    if (f?.default !== undefined) return f.default;
    return KEY_DEFAULTS[name];
  }

  /** Every field the value sets (ToFieldSet). */
  toFieldSet(value: JsonValue, shape: Shape): FieldSet {
    const set = new FieldSet();
    this.walkSet(value, shape, [], set);
    return set;
  }

  private walkSet(v: JsonValue, shape: Shape, path: Path, set: FieldSet): void {
    const mode = this.mode(shape, v);
    if (mode === 'leaf') {
      set.insert(path);
      return;
    }
    if (mode === 'list') {
      if (!Array.isArray(v)) return;
      v.forEach((item, i) => {
        const p = [...path, this.listItemPE(shape, item, i)];
        this.walkSet(item, this.childShape(shape, p[p.length - 1]), p, set);
        set.insert(p);
      });
      return;
    }
    if (!isObject(v)) return;
    for (const [k, val] of Object.entries(v)) {
      const pe = { field: k };
      const p = [...path, pe];
      this.walkSet(val, this.childShape(shape, pe), p, set);
      if (val === null || (isObject(val) && Object.keys(val).length === 0) || !this.declaredField(shape, k)) {
        set.insert(p);
      }
    }
  }

  /**
   * Paths added, modified and removed going from lhs to rhs. A node that appears or disappears as a
   * whole is recorded too (the "." in managedFields) for list items and for optional list and map
   * fields. Struct-typed fields are not: in Go most of them are never absent, and the schema does
   * not say which are pointers.
   */
  compare(lhs: JsonValue | undefined, rhs: JsonValue | undefined, shape: Shape): Comparison {
    const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
    this.cmp([], lhs, rhs, shape, c, false);
    return c;
  }

  private cmp(
    path: Path,
    lhs: JsonValue | undefined,
    rhs: JsonValue | undefined,
    shape: Shape,
    c: Comparison,
    trackNode: boolean,
  ): void {
    if (lhs === undefined && rhs === undefined) return;
    let inLeaf = false;
    const leaf = () => {
      inLeaf = true;
      if (lhs === undefined) c.added.insert(path);
      else if (rhs === undefined) c.removed.insert(path);
      else if (!deepEqual(lhs, rhs)) c.modified.insert(path);
    };
    const mode = this.mode(shape, lhs, rhs);
    if (mode === 'leaf') {
      leaf();
    } else if (mode === 'list') {
      const l = Array.isArray(lhs) ? lhs : null;
      const r = Array.isArray(rhs) ? rhs : null;
      if (!l?.length && !r?.length) leaf();
      else this.cmpListItems(path, l ?? [], r ?? [], shape, c);
    } else {
      const l = isObject(lhs) ? lhs : null;
      const r = isObject(rhs) ? rhs : null;
      if ((!l || Object.keys(l).length === 0) && (!r || Object.keys(r).length === 0)) {
        leaf();
      } else {
        const keys = new Set([...Object.keys(l ?? {}), ...Object.keys(r ?? {})]);
        for (const k of keys) {
          const pe = { field: k };
          const f = this.declaredField(shape, k);
          const child = this.childShape(shape, pe);
          const track = !f || (child.kind !== 'struct' && !f.required);
          this.cmp([...path, pe], l?.[k], r?.[k], child, c, track);
        }
      }
    }
    if (!inLeaf && trackNode) {
      if (lhs === undefined) c.added.insert(path);
      else if (rhs === undefined) c.removed.insert(path);
    }
  }

  private cmpListItems(path: Path, lhs: JsonValue[], rhs: JsonValue[], shape: Shape, c: Comparison): void {
    const order: PathElement[] = [];
    const lv = new Map<string, JsonValue[]>();
    const rv = new Map<string, JsonValue[]>();
    // Every distinct item exactly once: live items first, then the ones only the new value has.
    const gather = (list: JsonValue[], into: Map<string, JsonValue[]>, isNew: (k: string) => boolean) => {
      list.forEach((item, i) => {
        const pe = this.listItemPE(shape, item, i);
        const k = serializePE(pe);
        const got = into.get(k);
        if (got) {
          got.push(item);
          return;
        }
        into.set(k, [item]);
        if (isNew(k)) order.push(pe);
      });
    };
    gather(lhs, lv, () => true);
    gather(rhs, rv, (k) => !lv.has(k));
    const elem = shape.kind === 'list' ? shape.elem : FREE;
    for (const pe of order) {
      const k = serializePE(pe);
      const l = lv.get(k) ?? [];
      const r = rv.get(k) ?? [];
      const p = [...path, pe];
      if (l.length <= 1 && r.length <= 1) {
        this.cmp(p, l[0], r[0], elem, c, true);
      } else if (l.length >= 2 && r.length >= 2) {
        if (!deepEqual(l, r)) c.modified.insert(p);
      } else if (l.length >= 2) {
        if (r.length) this.cmp(p, undefined, r[0], elem, c, true);
        c.removed.insert(p);
      } else {
        if (l.length) this.cmp(p, l[0], undefined, elem, c, true);
        c.added.insert(p);
      }
    }
  }

  /** Apply merge: rhs (the applied configuration) wins on leaves; lists merge by their keys. */
  merge(lhs: JsonValue | undefined, rhs: JsonValue | undefined, shape: Shape): JsonValue | undefined {
    if (rhs === undefined) return lhs;
    if (lhs === undefined) return rhs;
    const mode = this.mode(shape, lhs, rhs);
    if (mode === 'leaf') return rhs;
    if (mode === 'list') {
      const l = Array.isArray(lhs) ? lhs : null;
      const r = Array.isArray(rhs) ? rhs : null;
      if (!l?.length && !r?.length) return rhs;
      return this.mergeListItems(l ?? [], r ?? [], shape);
    }
    const l = isObject(lhs) ? lhs : null;
    const r = isObject(rhs) ? rhs : null;
    if ((!l || Object.keys(l).length === 0) && (!r || Object.keys(r).length === 0)) return rhs;
    const out: JsonObject = {};
    const keys = [...Object.keys(l ?? {}), ...Object.keys(r ?? {}).filter((k) => !l || !Object.hasOwn(l, k))];
    for (const k of keys) {
      const v = this.merge(l?.[k], r?.[k], this.childShape(shape, { field: k }));
      if (v !== undefined) out[k] = v;
    }
    return out;
  }

  /**
   * Keeps live-only items where they are and puts shared and new items in the applied order
   * (structured-merge-diff's list merge).
   */
  private mergeListItems(lhs: JsonValue[], rhs: JsonValue[], shape: Shape): JsonValue[] {
    const elem = shape.kind === 'list' ? shape.elem : FREE;
    const lPEs = lhs.map((x, i) => serializePE(this.listItemPE(shape, x, i)));
    const rPEs = rhs.map((x, i) => serializePE(this.listItemPE(shape, x, i)));
    const observedL = new Map<string, JsonValue>();
    lhs.forEach((x, i) => {
      if (!observedL.has(lPEs[i])) observedL.set(lPEs[i], x);
    });
    const observedR = new Map<string, JsonValue>();
    rhs.forEach((x, i) => {
      if (!observedR.has(rPEs[i])) observedR.set(rPEs[i], x);
    });
    const shared = rPEs.filter((pe) => observedL.has(pe));
    let nextShared = shared.shift();
    const mergedR = new Set<string>();
    const out: JsonValue[] = [];
    const push = (v: JsonValue | undefined) => {
      if (v !== undefined) out.push(v);
    };
    let li = 0;
    let ri = 0;
    while (li < lhs.length || ri < rhs.length) {
      if (li < lhs.length && ri < rhs.length) {
        const pe = lPEs[li];
        if (pe === rPEs[ri]) {
          mergedR.add(pe);
          push(this.merge(observedL.get(pe), observedR.get(pe), elem));
          li++;
          ri++;
          nextShared = shared.shift();
          continue;
        }
        if (observedR.has(pe) && nextShared !== undefined && nextShared !== pe) {
          li++;
          continue;
        }
      }
      if (li < lhs.length) {
        const pe = lPEs[li];
        if (!observedR.has(pe)) {
          push(this.merge(lhs[li], undefined, elem));
          li++;
          continue;
        }
        if (mergedR.has(pe)) {
          li++;
          continue;
        }
      }
      if (ri < rhs.length) {
        const pe = rPEs[ri];
        mergedR.add(pe);
        push(this.merge(observedL.get(pe), observedR.get(pe), elem));
        ri++;
        if (nextShared !== undefined && nextShared === pe) nextShared = shared.shift();
      }
    }
    return out;
  }

  /** The value without the paths in `toRemove`; containers left empty become null. */
  removeItems(v: JsonValue, toRemove: FieldSet, shape: Shape): JsonValue {
    if (toRemove.isEmpty()) return v;
    const mode = this.mode(shape, v);
    if (mode === 'leaf') return v;
    if (mode === 'list') {
      if (!Array.isArray(v) || v.length === 0) return null;
      const out: JsonValue[] = [];
      v.forEach((item, i) => {
        const pe = this.listItemPE(shape, item, i);
        if (toRemove.has([pe])) return;
        const sub = toRemove.withPrefix(pe);
        out.push(sub.isEmpty() ? item : this.removeItems(item, sub, this.childShape(shape, pe)));
      });
      return out.length ? out : null;
    }
    if (!isObject(v) || Object.keys(v).length === 0) return null;
    const out: JsonObject = {};
    for (const [k, val] of Object.entries(v)) {
      const pe = { field: k };
      if (toRemove.has([pe])) continue;
      const sub = toRemove.withPrefix(pe);
      out[k] = sub.isEmpty() ? val : this.removeItems(val, sub, this.childShape(shape, pe));
    }
    return Object.keys(out).length ? out : null;
  }

  /** Adds the struct fields that have owned descendants as members (SMD EnsureNamedFieldsAreMembers). */
  ensureNamedFieldsAreMembers(set: FieldSet, shape: Shape): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of set.members) out.members.set(k, pe);
    for (const [k, c] of set.children) {
      let sub: Shape = FREE;
      if ('field' in c.pe) {
        if (this.declaredField(shape, c.pe.field)) out.members.set(k, c.pe);
        if (shape.kind === 'struct' || shape.kind === 'map') sub = this.childShape(shape, c.pe);
      } else if ('key' in c.pe && shape.kind === 'list') {
        sub = shape.elem;
      }
      out.children.set(k, { pe: c.pe, set: this.ensureNamedFieldsAreMembers(c.set, sub) });
    }
    return out;
  }
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** Typed decoding turns explicit nulls into absent fields; our store keeps JSON, so drop them. */
export function dropNulls(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x === null) delete v[k];
      else v[k] = dropNulls(x);
    }
  }
  return v;
}
