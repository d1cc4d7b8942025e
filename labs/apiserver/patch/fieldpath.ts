/**
 * Field paths and field sets as server-side apply tracks them (sigs.k8s.io/structured-merge-diff
 * fieldpath), with the `fieldsV1` encoding stored in `metadata.managedFields`.
 *
 * A set is a tree: `members` are paths owned as a whole, `children` hold owned paths below an
 * element. In fieldsV1 an element that is both a member and has children carries a "." entry.
 */

import { goJson, isObject, type JsonObject, type JsonValue } from './json.ts';

export type PathElement =
  | { field: string }
  /** Key fields of an associative list item, sorted by name. */
  | { key: [string, JsonValue][] }
  | { value: JsonValue }
  | { index: number };

export type Path = PathElement[];

export function serializePE(pe: PathElement): string {
  if ('field' in pe) return `f:${pe.field}`;
  if ('key' in pe) {
    const o: JsonObject = {};
    for (const [k, v] of pe.key) o[k] = v;
    return `k:${goJson(o)}`;
  }
  if ('value' in pe) return `v:${goJson(pe.value)}`;
  return `i:${pe.index}`;
}

export function parsePE(s: string): PathElement {
  const body = s.slice(2);
  switch (s.slice(0, 2)) {
    case 'f:':
      return { field: body };
    case 'k:': {
      const o = JSON.parse(body);
      if (!isObject(o)) throw new Error(`invalid key path element: ${s}`);
      return {
        key: Object.keys(o)
          .sort()
          .map((k) => [k, o[k]] as [string, JsonValue]),
      };
    }
    case 'v:':
      return { value: JSON.parse(body) };
    case 'i:':
      return { index: Number(body) };
    default:
      throw new Error(`unknown path element type: ${s}`);
  }
}

/** How a path element prints in conflict messages: `.spec.replicas`, `[name="nginx"]`, `[="x"]`. */
export function peString(pe: PathElement): string {
  if ('field' in pe) return `.${pe.field}`;
  if ('key' in pe) return `[${pe.key.map(([k, v]) => `${k}=${valueString(v)}`).join(',')}]`;
  if ('value' in pe) return `[=${valueString(pe.value)}]`;
  return `[${pe.index}]`;
}

export function pathString(p: Path): string {
  return p.map(peString).join('');
}

function valueString(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueString).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${k}=${valueString(v[k])}`)
      .join(';')}}`;
  }
  return String(v);
}

/** Total order of values used for sorting set members (numbers < strings < bools < lists < maps < null). */
export function compareValues(a: JsonValue, b: JsonValue): number {
  const rank = (v: JsonValue) =>
    typeof v === 'number'
      ? 0
      : typeof v === 'string'
        ? 1
        : typeof v === 'boolean'
          ? 2
          : Array.isArray(v)
            ? 3
            : v === null
              ? 5
              : 4;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number') return a < (b as number) ? -1 : a > (b as number) ? 1 : 0;
  if (typeof a === 'string') return a < (b as string) ? -1 : a > (b as string) ? 1 : 0;
  if (typeof a === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (Array.isArray(a)) {
    const bb = b as JsonValue[];
    for (let i = 0; i < Math.min(a.length, bb.length); i++) {
      const c = compareValues(a[i], bb[i]);
      if (c) return c;
    }
    return a.length - bb.length;
  }
  if (isObject(a)) {
    const ka = Object.keys(a).sort();
    const bo = b as JsonObject;
    const kb = Object.keys(bo).sort();
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
      const c = compareValues(a[ka[i]], bo[kb[i]]);
      if (c) return c;
    }
    return ka.length - kb.length;
  }
  return 0;
}

export function comparePE(a: PathElement, b: PathElement): number {
  const rank = (pe: PathElement) => ('field' in pe ? 0 : 'key' in pe ? 1 : 'value' in pe ? 2 : 3);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if ('field' in a && 'field' in b) return a.field < b.field ? -1 : a.field > b.field ? 1 : 0;
  if ('key' in a && 'key' in b) {
    for (let i = 0; ; i++) {
      if (i >= a.key.length && i >= b.key.length) return 0;
      if (i >= a.key.length) return -1;
      if (i >= b.key.length) return 1;
      if (a.key[i][0] !== b.key[i][0]) return a.key[i][0] < b.key[i][0] ? -1 : 1;
      const c = compareValues(a.key[i][1], b.key[i][1]);
      if (c) return c;
    }
  }
  if ('value' in a && 'value' in b) return compareValues(a.value, b.value);
  if ('index' in a && 'index' in b) return a.index - b.index;
  return 0;
}

interface Child {
  pe: PathElement;
  set: FieldSet;
}

export class FieldSet {
  readonly members = new Map<string, PathElement>();
  readonly children = new Map<string, Child>();

  static fromPaths(paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  isEmpty(): boolean {
    return this.members.size === 0 && this.children.size === 0;
  }

  /** The empty path is the whole object, which nobody owns. */
  insert(path: Path): void {
    if (path.length === 0) return;
    let s: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) s = s.child(path[i], true);
    const last = path[path.length - 1];
    s.members.set(serializePE(last), last);
  }

  child(pe: PathElement, create: true): FieldSet;
  child(pe: PathElement, create?: false): FieldSet | undefined;
  child(pe: PathElement, create = false): FieldSet | undefined {
    const k = serializePE(pe);
    let c = this.children.get(k);
    if (!c && create) {
      c = { pe, set: new FieldSet() };
      this.children.set(k, c);
    }
    return c?.set;
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    let s: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && s; i++) s = s.child(path[i]);
    return !!s && s.members.has(serializePE(path[path.length - 1]));
  }

  /** The subset below one element (SMD WithPrefix). */
  withPrefix(pe: PathElement): FieldSet {
    return this.child(pe) ?? new FieldSet();
  }

  union(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) out.members.set(k, pe);
    for (const [k, pe] of o.members) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      const oc = o.children.get(k);
      out.children.set(k, { pe: c.pe, set: oc ? c.set.union(oc.set) : c.set.copy() });
    }
    for (const [k, c] of o.children)
      if (!out.children.has(k)) out.children.set(k, { pe: c.pe, set: c.set.copy() });
    return out;
  }

  difference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) if (!o.members.has(k)) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      const oc = o.children.get(k);
      const d = oc ? c.set.difference(oc.set) : c.set.copy();
      if (!d.isEmpty()) out.children.set(k, { pe: c.pe, set: d });
    }
    return out;
  }

  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) if (o.members.has(k)) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      const oc = o.children.get(k);
      if (!oc) continue;
      const i = c.set.intersection(oc.set);
      if (!i.isEmpty()) out.children.set(k, { pe: c.pe, set: i });
    }
    return out;
  }

  /** Like difference, but a member of `o` also removes everything below it in this set. */
  recursiveDifference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) if (!o.members.has(k)) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      if (o.members.has(k)) continue;
      const oc = o.children.get(k);
      const d = oc ? c.set.recursiveDifference(oc.set) : c.set.copy();
      if (!d.isEmpty()) out.children.set(k, { pe: c.pe, set: d });
    }
    return out;
  }

  copy(): FieldSet {
    return this.union(new FieldSet());
  }

  equals(o: FieldSet): boolean {
    return this.difference(o).isEmpty() && o.difference(this).isEmpty();
  }

  /** Every member path: members of a node first, then its children, each in element order. */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = [];
    for (const pe of sortPEs([...this.members.values()])) out.push([...prefix, pe]);
    for (const c of sortChildren([...this.children.values()])) out.push(...c.set.paths([...prefix, c.pe]));
    return out;
  }

  toFieldsV1(): JsonObject {
    return this.emit(false);
  }

  private emit(includeSelf: boolean): JsonObject {
    const out: JsonObject = {};
    if (includeSelf && !this.isEmpty()) out['.'] = {};
    const entries: [PathElement, FieldSet | undefined][] = [];
    for (const [k, pe] of this.members) if (!this.children.has(k)) entries.push([pe, undefined]);
    for (const c of this.children.values()) entries.push([c.pe, c.set]);
    entries.sort((a, b) => comparePE(a[0], b[0]));
    for (const [pe, set] of entries) {
      const k = serializePE(pe);
      out[k] = set ? set.emit(this.members.has(k)) : {};
    }
    return out;
  }

  static fromFieldsV1(v: unknown): FieldSet {
    const s = new FieldSet();
    if (!isObject(v)) return s;
    for (const [k, sub] of Object.entries(v)) {
      if (k === '.') continue;
      const pe = parsePE(k);
      const subObj = isObject(sub) ? sub : {};
      const grand = FieldSet.fromFieldsV1(subObj);
      const hasChildren = Object.keys(subObj).some((x) => x !== '.');
      if (!hasChildren || Object.hasOwn(subObj, '.')) s.members.set(serializePE(pe), pe);
      if (!grand.isEmpty()) s.children.set(serializePE(pe), { pe, set: grand });
    }
    return s;
  }
}

function sortPEs(pes: PathElement[]): PathElement[] {
  return pes.sort(comparePE);
}

function sortChildren(cs: Child[]): Child[] {
  return cs.sort((a, b) => comparePE(a.pe, b.pe));
}
