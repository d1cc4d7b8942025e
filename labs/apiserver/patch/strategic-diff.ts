/**
 * Two-way strategic merge patch: the patch that turns `original` into `modified`, built the way
 * kubectl builds it for `kubectl edit` (CreateTwoWayMergePatch with $setElementOrder lists,
 * `$patch: delete` items, parallel deletion lists and $retainKeys where the schema asks for them).
 */

import type { TypeSchema } from '../schema/types.ts';
import { classifyStrategicError } from './errors.ts';
import { deepEqual, goFormat, goType, isObject, type JsonObject, type JsonValue, sortKeys } from './json.ts';
import { type Shape, typeShape } from './shape.ts';
import { deduplicateScalars, mergeKeyValueEqual, normalizeSliceOrder } from './strategic.ts';
import {
  DELETE_DIRECTIVE,
  DELETE_FROM_PRIMITIVE_LIST,
  DIRECTIVE,
  errBadArgType,
  errNoMergeKey,
  extractRetainKeysPatchStrategy,
  fail,
  lookupSlice,
  lookupStruct,
  MERGE_DIRECTIVE,
  REPLACE_DIRECTIVE,
  RETAIN_KEYS_DIRECTIVE,
  SET_ELEMENT_ORDER,
  SmpFailure,
  sliceElementType,
} from './strategic-meta.ts';

interface DiffOptions {
  buildRetainKeys: boolean;
}

export function computeStrategicMergePatch(
  original: JsonObject,
  modified: JsonObject,
  typeName: string,
  schema: TypeSchema,
): JsonObject {
  const d = new Differ(schema);
  try {
    return sortKeys(
      d.diffMaps(original ?? {}, modified ?? {}, typeShape(schema, typeName), { buildRetainKeys: false }),
    );
  } catch (e) {
    if (e instanceof SmpFailure) throw classifyStrategicError(e.message);
    throw e;
  }
}

class Differ {
  readonly schema: TypeSchema;

  constructor(schema: TypeSchema) {
    this.schema = schema;
  }

  diffMaps(original: JsonObject, modified: JsonObject, shape: Shape, opts: DiffOptions): JsonObject {
    const patch: JsonObject = {};
    const retainKeys: string[] = [];
    for (const [key, mod] of Object.entries(modified)) {
      if (opts.buildRetainKeys && mod !== null) retainKeys.push(key);
      if (!Object.hasOwn(original, key)) {
        patch[key] = mod;
        continue;
      }
      const orig = original[key];
      if (key === DIRECTIVE) {
        if (typeof orig !== 'string' || typeof mod !== 'string')
          throw fail(`invalid value for special key: ${DIRECTIVE}`);
        if (orig !== mod) patch[DIRECTIVE] = mod;
        continue;
      }
      if (goType(orig) !== goType(mod)) {
        patch[key] = mod;
        continue;
      }
      if (isObject(orig)) this.mapDiff(key, orig, mod as JsonObject, patch, shape, opts);
      else if (Array.isArray(orig)) this.sliceDiff(key, orig, mod as JsonValue[], patch, shape, opts);
      else if (!deepEqual(orig, mod)) patch[key] = mod;
    }
    for (const key of Object.keys(original)) if (!Object.hasOwn(modified, key)) patch[key] = null;
    const extraInOriginal = Object.entries(original).some(
      ([k, v]) => v !== null && !Object.hasOwn(modified, k),
    );
    if (retainKeys.length > 0 && (Object.keys(patch).length > 0 || extraInOriginal)) {
      patch[RETAIN_KEYS_DIRECTIVE] = retainKeys.sort();
    }
    return patch;
  }

  private meta(kind: 'map' | 'slice', shape: Shape, key: string, o: JsonValue, m: JsonValue) {
    try {
      return kind === 'map' ? lookupStruct(this.schema, shape, key) : lookupSlice(this.schema, shape, key);
    } catch (e) {
      // Metadata only matters when the values differ.
      if (deepEqual(o, m)) return undefined;
      throw e;
    }
  }

  private mapDiff(
    key: string,
    o: JsonObject,
    m: JsonObject,
    patch: JsonObject,
    shape: Shape,
    opts: DiffOptions,
  ): void {
    const meta = this.meta('map', shape, key, o, m);
    if (!meta) return;
    const [retainKeys, strategy] = extractRetainKeysPatchStrategy(meta.strategies);
    if (strategy === REPLACE_DIRECTIVE) {
      patch[key] = m;
      return;
    }
    const p = this.diffMaps(o, m, meta.shape, { ...opts, buildRetainKeys: retainKeys });
    if (Object.keys(p).length > 0) patch[key] = p;
  }

  private sliceDiff(
    key: string,
    o: JsonValue[],
    m: JsonValue[],
    patch: JsonObject,
    shape: Shape,
    opts: DiffOptions,
  ): void {
    const meta = this.meta('slice', shape, key, o, m);
    if (!meta) return;
    const [retainKeys, strategy] = extractRetainKeysPatchStrategy(meta.strategies);
    if (strategy !== MERGE_DIRECTIVE) {
      if (!deepEqual(o, m)) patch[key] = m;
      return;
    }
    const [add, del, order] = this.diffLists(o, m, meta.shape, meta.mergeKey, {
      ...opts,
      buildRetainKeys: retainKeys,
    });
    if (add.length > 0) patch[key] = add;
    if (del.length > 0) patch[`${DELETE_FROM_PRIMITIVE_LIST}/${key}`] = del;
    if (order.length > 0) patch[`${SET_ELEMENT_ORDER}/${key}`] = order;
  }

  private diffLists(
    original: JsonValue[],
    modified: JsonValue[],
    elem: Shape,
    mergeKey: string,
    opts: DiffOptions,
  ): [JsonValue[], JsonValue[], JsonValue[]] {
    if (original.length === 0) return [modified.length ? modified : [], [], []];
    const kind = sliceElementType(original, modified);
    if (kind === 'map') {
      let [patchList, deleteList] = this.diffListsOfMaps(original, modified, elem, mergeKey, opts);
      patchList = normalizeSliceOrder(patchList, modified, mergeKey, 'map');
      const orderSame = isOrderSame(original, modified, mergeKey);
      patchList = [...patchList, ...deleteList];
      deleteList = [];
      let setOrder: JsonValue[] = [];
      if (patchList.length > 0 || !orderSame) {
        setOrder = modified.map((v) => ({ [mergeKey]: (v as JsonObject)[mergeKey] }));
      }
      return [patchList, deleteList, setOrder];
    }
    const [add, del] = diffListsOfScalars(original, modified);
    const patchList = normalizeSliceOrder(add, modified, mergeKey, 'scalar');
    const setOrder = del.length > 0 || !deepEqual(original, modified) ? modified : [];
    return [patchList, del, setOrder];
  }

  private diffListsOfMaps(
    original: JsonValue[],
    modified: JsonValue[],
    elem: Shape,
    mergeKey: string,
    opts: DiffOptions,
  ): [JsonValue[], JsonValue[]] {
    const patch: JsonValue[] = [];
    const deletions: JsonValue[] = [];
    const os = sortByMergeKey(original, mergeKey);
    const ms = sortByMergeKey(modified, mergeKey);
    let oi = 0;
    let mi = 0;
    while (oi < os.length || mi < ms.length) {
      const o = oi < os.length ? keyed(os[oi], mergeKey) : undefined;
      const m = mi < ms.length ? keyed(ms[mi], mergeKey) : undefined;
      if (o && m && o.str === m.str) {
        const p = this.diffMaps(o.map, m.map, elem, opts);
        if (Object.keys(p).length > 0) {
          p[mergeKey] = m.value;
          patch.push(p);
        }
        oi++;
        mi++;
      } else if (m && (!o || o.str > m.str)) {
        patch.push(m.map);
        mi++;
      } else if (o) {
        deletions.push({ [DIRECTIVE]: DELETE_DIRECTIVE, [mergeKey]: o.value });
        oi++;
      }
    }
    return [patch, deletions];
  }
}

function keyed(v: JsonValue, mergeKey: string): { map: JsonObject; value: JsonValue; str: string } {
  if (!isObject(v)) throw errBadArgType('map', v);
  if (!Object.hasOwn(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
  return { map: v, value: v[mergeKey], str: goFormat(v[mergeKey]) };
}

function sortByMergeKey(list: JsonValue[], mergeKey: string): JsonValue[] {
  if (list.length === 0) return list;
  if (sliceElementType(list) !== 'map') return sortScalars(deduplicateScalars(list));
  return list
    .map((v) => keyed(v, mergeKey))
    .sort((a, b) => (a.str < b.str ? -1 : a.str > b.str ? 1 : 0))
    .map((k) => k.map);
}

function sortScalars(list: JsonValue[]): JsonValue[] {
  return list.slice().sort((a, b) => {
    const x = goFormat(a);
    const y = goFormat(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

function isOrderSame(original: JsonValue[], modified: JsonValue[], mergeKey: string): boolean {
  if (original.length !== modified.length) return false;
  return modified.every((m, i) => mergeKeyValueEqual(original[i], m, mergeKey));
}

/** Additions and deletions between two lists of scalars, compared by their printed form. */
function diffListsOfScalars(original: JsonValue[], modified: JsonValue[]): [JsonValue[], JsonValue[]] {
  const o = sortScalars(original);
  const m = sortScalars(modified);
  const add: JsonValue[] = [];
  const del: JsonValue[] = [];
  let oi = 0;
  let mi = 0;
  while (oi < o.length || mi < m.length) {
    const os = oi < o.length ? goFormat(o[oi]) : undefined;
    const ms = mi < m.length ? goFormat(m[mi]) : undefined;
    if (os !== undefined && ms !== undefined && os === ms) {
      oi++;
      mi++;
    } else if (ms !== undefined && (os === undefined || os > ms)) {
      add.push(m[mi++]);
    } else {
      del.push(o[oi++]);
    }
  }
  return [add, deduplicateScalars(del)];
}
