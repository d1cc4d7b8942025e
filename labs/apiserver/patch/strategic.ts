/**
 * Applying a strategic merge patch the way the API server does (StrategicMergeMapPatch with
 * MergeParallelList and IgnoreUnmatchedNulls, as the PATCH handler calls it).
 *
 * Semantics, in short: maps merge recursively and `null` deletes; lists whose field carries
 * patchStrategy=merge merge by their merge key (or as a union for primitives); every other list
 * is replaced. Directives: `$patch: replace|delete` on maps and list items, `$retainKeys`,
 * `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`. Directive handling, ordering
 * and error texts follow k8s.io/apimachinery/pkg/util/strategicpatch; where its output depends on
 * Go's sort algorithm we run the same algorithm (go-sort.ts).
 *
 * Types the schema does not know (custom resources) have no patch metadata: maps still merge but
 * every list is replaced, i.e. JSON merge patch semantics plus directives. The real server refuses
 * strategic merge patches for such types with 415; use `strategicMergePatchSupported` to answer
 * that way.
 */

import type { TypeSchema } from '../schema/types.ts';
import { badRequest, classifyStrategicError } from './errors.ts';
import { sliceStable } from './go-sort.ts';
import { clone, goFormat, goType, isObject, type JsonObject, type JsonValue, jsonKindWord } from './json.ts';
import { fieldShape, goKind, type Shape, structField, typeShape } from './shape.ts';
import {
  DELETE_DIRECTIVE,
  DELETE_FROM_PRIMITIVE_LIST,
  DIRECTIVE,
  ERR_BAD_PATCH_FORMAT_RETAIN_KEYS,
  errBadArgType,
  errBadPatchType,
  errNoMergeKey,
  extractKey,
  extractRetainKeysPatchStrategy,
  fail,
  findByMergeKey,
  isDirectiveMap,
  lookupSlice,
  lookupStruct,
  MERGE_DIRECTIVE,
  mergeKeyValue,
  REPLACE_DIRECTIVE,
  RETAIN_KEYS_DIRECTIVE,
  SET_ELEMENT_ORDER,
  SmpFailure,
  sliceElementType,
} from './strategic-meta.ts';

/** Whether the server accepts `application/strategic-merge-patch+json` for this type. */
export function strategicMergePatchSupported(typeName: string, schema: TypeSchema): boolean {
  return schema.type(typeName) !== undefined;
}

/**
 * Applies `patch` to `original` (neither is modified) and returns the patched object.
 * Throws PatchError with the status the API server would answer.
 */
export function applyStrategicMergePatch(
  original: JsonObject,
  patch: unknown,
  typeName: string,
  schema: TypeSchema,
): JsonObject {
  // The handler decodes the body into map[string]interface{}: `null` decodes to an empty patch.
  if (patch === null) return clone(original);
  if (!isObject(patch)) {
    throw badRequest(
      `json: cannot unmarshal ${jsonKindWord(patch)} into Go value of type map[string]interface {}`,
    );
  }
  const shape = typeShape(schema, typeName);
  const merger = new Merger(schema);
  let result: JsonObject;
  try {
    result = merger.mergeMap(isObject(original) ? clone(original) : {}, clone(patch), shape);
  } catch (e) {
    if (e instanceof SmpFailure) throw classifyStrategicError(e.message);
    throw e;
  }
  dropDirectiveKeys(result, shape, schema);
  return result;
}

class Merger {
  readonly schema: TypeSchema;

  constructor(schema: TypeSchema) {
    this.schema = schema;
  }

  mergeMap(original: JsonObject, patch: JsonObject, shape: Shape): JsonObject {
    if (Object.hasOwn(patch, DIRECTIVE)) return handleDirectiveInMergeMap(patch[DIRECTIVE], patch);

    applyRetainKeysDirective(original, patch);
    this.mergePatchIntoOriginal(original, patch, shape);

    for (const key of Object.keys(patch)) {
      const patchV = patch[key];
      let k = key;
      let isDeleteList = false;
      if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
        k = extractKey(key, DELETE_FROM_PRIMITIVE_LIST);
        isDeleteList = true;
      }

      if (patchV === null) {
        delete original[k];
        continue;
      }

      if (!Object.hasOwn(original, k) || goKindOf(original[k]) !== goKindOf(patchV)) {
        // A parallel deletion list for a list that is not there deletes nothing.
        if (!isDeleteList) takePatchValue(original, k, patchV);
        continue;
      }

      const kind = goKindOf(original[k]);
      if (kind === 'map') {
        const meta = lookupStruct(this.schema, shape, k);
        const [, strategy] = extractRetainKeysPatchStrategy(meta.strategies);
        original[k] =
          strategy === REPLACE_DIRECTIVE
            ? (patchV as JsonObject)
            : this.mergeMap(original[k] as JsonObject, patchV as JsonObject, meta.shape);
      } else if (kind === 'slice') {
        const meta = lookupSlice(this.schema, shape, k);
        const [, strategy] = extractRetainKeysPatchStrategy(meta.strategies);
        original[k] = this.mergeSliceHandler(
          original[k] as JsonValue[],
          patchV as JsonValue[],
          meta.shape,
          strategy,
          meta.mergeKey,
          isDeleteList,
        );
      } else {
        original[k] = patchV;
      }
    }
    return original;
  }

  mergeSliceHandler(
    original: JsonValue[],
    patch: JsonValue[],
    elem: Shape,
    strategy: string,
    mergeKey: string,
    isDeleteList: boolean,
  ): JsonValue[] {
    // Parallel deletion lists delete whatever the field's strategy is.
    if (strategy === MERGE_DIRECTIVE || isDeleteList)
      return this.mergeSlice(original, patch, elem, mergeKey, isDeleteList);
    return patch;
  }

  mergeSlice(
    original: JsonValue[],
    patch: JsonValue[],
    elem: Shape,
    mergeKey: string,
    isDeleteList: boolean,
  ): JsonValue[] {
    if (original.length === 0 && patch.length === 0) return original;
    const kind = sliceElementType(original, patch);

    let merged: JsonValue[];
    let serverOrder = original;
    if (kind !== 'map') {
      if (isDeleteList) return deleteFromSlice(original, patch);
      merged = deduplicateScalars([...original, ...patch]);
    } else {
      if (mergeKey === '') throw fail(`cannot merge lists without merge key for ${goKind(elem)}`);
      const live = new GoSlice(original);
      const [plain, replace] = mergeSliceWithSpecialElements(live, patch, mergeKey);
      if (replace) {
        merged = plain;
        serverOrder = plain;
        patch = [];
      } else {
        patch = plain;
        serverOrder = live.view();
        this.mergeSliceWithoutSpecialElements(live, patch, mergeKey, elem);
        merged = live.view();
      }
    }

    const [patchItems, serverOnly] =
      mergeKey === '' ? partitionPrimitives(merged, patch) : partitionMaps(merged, patch, mergeKey);
    return normalizeElementOrder(patchItems, serverOnly, patch, serverOrder, mergeKey, kind);
  }

  mergeSliceWithoutSpecialElements(live: GoSlice, patch: JsonValue[], mergeKey: string, elem: Shape): void {
    for (const v of patch) {
      const item = v as JsonObject;
      if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      const i = findByMergeKey(live.view(), mergeKey, item[mergeKey]);
      if (i >= 0) {
        live.set(i, this.mergeMap(live.get(i) as JsonObject, item, elem));
      } else {
        discardNullValues(item);
        const [cleaned] = removeDirectives(item);
        live.append(cleaned);
      }
    }
  }

  /**
   * Handles `$setElementOrder/<list>`: merges the list it names, then orders the result by the
   * directive first, the patch next and the live list last.
   */
  mergePatchIntoOriginal(original: JsonObject, patch: JsonObject, shape: Shape): void {
    for (const key of Object.keys(patch)) {
      if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
      const setOrder = patch[key];
      delete patch[key];
      if (!Array.isArray(setOrder)) throw errBadArgType('slice', setOrder);
      const listKey = extractKey(key, SET_ELEMENT_ORDER);

      const foundOriginal = Object.hasOwn(original, listKey);
      const foundPatch = Object.hasOwn(patch, listKey);
      const originalList = original[listKey];
      const patchList = patch[listKey];
      if (foundOriginal && !Array.isArray(originalList)) throw errBadArgType('slice', originalList);
      if (foundPatch && !Array.isArray(patchList)) throw errBadArgType('slice', patchList);
      const originalItems = (foundOriginal ? originalList : []) as JsonValue[];
      const patchItemsIn = (foundPatch ? patchList : []) as JsonValue[];

      const meta = lookupSlice(this.schema, shape, listKey);
      const [, strategy] = extractRetainKeysPatchStrategy(meta.strategies);
      validatePatchWithSetOrderList(patchItemsIn, setOrder, meta.mergeKey);

      let merged: JsonValue[];
      if (foundOriginal && !foundPatch) {
        merged = originalItems;
      } else if (!foundOriginal && foundPatch) {
        discardNullValues(patchItemsIn);
        merged = removeDirectives(patchItemsIn)[0] as JsonValue[];
      } else if (foundOriginal && foundPatch) {
        merged = this.mergeSliceHandler(
          originalItems,
          patchItemsIn,
          meta.shape,
          strategy,
          meta.mergeKey,
          false,
        );
      } else {
        continue;
      }

      const [inOrder, serverOnly] =
        meta.mergeKey === ''
          ? partitionPrimitives(merged, setOrder)
          : partitionMaps(merged, setOrder, meta.mergeKey);
      const kind = sliceElementType(originalItems, patchItemsIn);
      original[listKey] = normalizeElementOrder(
        inOrder,
        serverOnly,
        setOrder,
        originalItems,
        meta.mergeKey,
        kind,
      );
      delete patch[listKey];
    }
  }
}

/** Go's type switch distinguishes maps, slices and everything else. */
function goKindOf(v: unknown): 'map' | 'slice' | string {
  const t = goType(v);
  return t === 'map' || t === 'slice' ? t : `scalar:${t}`;
}

function takePatchValue(original: JsonObject, key: string, value: JsonValue): void {
  discardNullValues(value);
  const [v, keep] = removeDirectives(value);
  if (keep) original[key] = v;
  else delete original[key];
}

function handleDirectiveInMergeMap(directive: JsonValue, patch: JsonObject): JsonObject {
  if (directive === REPLACE_DIRECTIVE) {
    delete patch[DIRECTIVE];
    return patch;
  }
  if (directive === DELETE_DIRECTIVE) return {};
  throw errBadPatchType(directive, patch);
}

function applyRetainKeysDirective(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS_DIRECTIVE)) return;
  const list = patch[RETAIN_KEYS_DIRECTIVE];
  delete patch[RETAIN_KEYS_DIRECTIVE];
  if (!Array.isArray(list)) throw fail(ERR_BAD_PATCH_FORMAT_RETAIN_KEYS);
  const keep = new Set<unknown>(list);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.has(k)) throw fail(ERR_BAD_PATCH_FORMAT_RETAIN_KEYS);
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

function validatePatchWithSetOrderList(
  patchList: JsonValue[],
  setOrder: JsonValue[],
  mergeKey: string,
): void {
  if (setOrder.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey ? extractToDeleteItems(patchList)[0] : patchList;
  let pi = 0;
  let si = 0;
  while (pi < nonDelete.length && si < setOrder.length) {
    if (isDirectiveMap(nonDelete[pi])) {
      pi++;
      continue;
    }
    if (mergeKeyValueEqual(nonDelete[pi], setOrder[si], mergeKey)) pi++;
    si++;
  }
  if (pi < nonDelete.length && si >= setOrder.length) {
    throw fail(
      `the order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormat(setOrder)}`,
    );
  }
}

export function mergeKeyValueEqual(left: JsonValue, right: JsonValue, mergeKey: string): boolean {
  if (mergeKey === '') return left === right;
  if (!isObject(left)) throw errBadArgType('map', left);
  if (!isObject(right)) throw errBadArgType('map', right);
  if (!Object.hasOwn(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
  if (!Object.hasOwn(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
  return left[mergeKey] === right[mergeKey];
}

/**
 * Applies the `$patch` items of a patch list to the live list; returns the plain patch items and
 * whether a `$patch: replace` item asked for the list to be replaced by them.
 */
function mergeSliceWithSpecialElements(
  live: GoSlice,
  patch: JsonValue[],
  mergeKey: string,
): [JsonValue[], boolean] {
  const plain: JsonValue[] = [];
  let replace = false;
  for (const v of patch) {
    const item = v as JsonObject;
    if (!Object.hasOwn(item, DIRECTIVE)) {
      plain.push(v);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === DELETE_DIRECTIVE) {
      if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      for (;;) {
        const i = findByMergeKey(live.view(), mergeKey, item[mergeKey]);
        if (i < 0) break;
        live.removeAt(i);
      }
    } else if (directive === REPLACE_DIRECTIVE) {
      // Keep scanning so the remaining directive items are dropped too.
      replace = true;
    } else if (directive === MERGE_DIRECTIVE) {
      throw fail('merging lists cannot yet be specified in the patch');
    } else {
      throw errBadPatchType(directive, item);
    }
  }
  return [plain, replace];
}

/**
 * A Go slice over the live list's backing array. The upstream code deletes items by shifting them
 * down in place and then appends new items into the freed tail, so the caller's view of the live
 * list (used later to order $setElementOrder results) sees those writes. Reproducing that keeps
 * our item order identical to the server's. The array the apiserver starts from has cap == len.
 */
class GoSlice {
  arr: JsonValue[];
  len: number;

  constructor(arr: JsonValue[]) {
    this.arr = arr;
    this.len = arr.length;
  }

  view(): JsonValue[] {
    return this.arr.slice(0, this.len);
  }

  get(i: number): JsonValue {
    return this.arr[i];
  }

  set(i: number, v: JsonValue): void {
    this.arr[i] = v;
  }

  removeAt(i: number): void {
    for (let k = i; k < this.len - 1; k++) this.arr[k] = this.arr[k + 1];
    this.len--;
  }

  append(v: JsonValue): void {
    if (this.len < this.arr.length) {
      this.arr[this.len++] = v;
    } else {
      this.arr = [...this.arr.slice(0, this.len), v];
      this.len++;
    }
  }
}

function deleteFromSlice(current: JsonValue[], toDelete: JsonValue[]): JsonValue[] {
  const del = new Set<unknown>(toDelete);
  return current.filter((v) => !del.has(v));
}

/** Go's in-place deduplication (moves the last element into each hole). */
export function deduplicateScalars(s: JsonValue[]): JsonValue[] {
  const out = s.slice();
  let length = out.length - 1;
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j <= length; j++) {
      if (out[i] === out[j]) {
        out[j] = out[length];
        out.length = length;
        length--;
        j--;
      }
    }
  }
  return out;
}

function partitionPrimitives(items: JsonValue[], by: JsonValue[]): [JsonValue[], JsonValue[]] {
  const inPatch = new Set<unknown>(by);
  const patch: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const v of items) (inPatch.has(v) ? patch : serverOnly).push(v);
  return [patch, serverOnly];
}

function partitionMaps(items: JsonValue[], by: JsonValue[], mergeKey: string): [JsonValue[], JsonValue[]] {
  const patch: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const v of items) {
    if (!isObject(v)) throw errBadArgType('map', v);
    if (!Object.hasOwn(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    (findByMergeKey(by, mergeKey, v[mergeKey]) >= 0 ? patch : serverOnly).push(v);
  }
  return [patch, serverOnly];
}

function extractToDeleteItems(l: JsonValue[]): [JsonValue[], JsonValue[]] {
  const keep: JsonValue[] = [];
  const del: JsonValue[] = [];
  for (const v of l) {
    if (!isObject(v)) throw errBadArgType('map', v);
    (v[DIRECTIVE] === DELETE_DIRECTIVE ? del : keep).push(v);
  }
  return [keep, del];
}

function indexIn(list: JsonValue[], item: JsonValue, mergeKey: string, kind: 'map' | 'scalar'): number {
  const val = (x: JsonValue) => (kind === 'map' ? mergeKeyValue(x, mergeKey) : x);
  const want = val(item);
  for (let i = 0; i < list.length; i++) if (val(list[i]) === want) return i;
  return -1;
}

export function normalizeSliceOrder(
  toSort: JsonValue[],
  order: JsonValue[],
  mergeKey: string,
  kind: 'map' | 'scalar',
): JsonValue[] {
  let toDelete: JsonValue[] = [];
  let items = toSort;
  if (kind === 'map') {
    for (const list of [toSort, order]) {
      for (const item of list) {
        if (!isObject(item)) throw errBadArgType('map', item);
        if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      }
    }
    [items, toDelete] = extractToDeleteItems(toSort);
  }
  const sorted = sliceStable(items, (a, b) => {
    const ia = indexIn(order, a, mergeKey, kind);
    if (ia >= 0) {
      const ib = indexIn(order, b, mergeKey, kind);
      if (ib >= 0) return ia < ib;
    }
    return true;
  });
  return [...sorted, ...toDelete];
}

/**
 * Interleaves server-only items into the patch items: both keep their relative order, and a
 * server-only item goes before the first patch item that followed it in the live list.
 */
function mergeSortedSlice(
  left: JsonValue[],
  right: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string,
  kind: 'map' | 'scalar',
): JsonValue[] {
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) {
      out.push(right[j++]);
    } else if (j >= right.length) {
      out.push(left[i++]);
    } else {
      const li = indexIn(serverOrder, left[i], mergeKey, kind);
      const ri = indexIn(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

function normalizeElementOrder(
  patch: JsonValue[],
  serverOnly: JsonValue[],
  patchOrder: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string,
  kind: 'map' | 'scalar',
): JsonValue[] {
  const p = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, kind);
}

/** Patch values copied in wholesale lose their nulls: there is nothing for them to delete. */
function discardNullValues(v: JsonValue): void {
  if (Array.isArray(v)) {
    for (const x of v) discardNullValues(x);
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x === null) delete v[k];
      else discardNullValues(x);
    }
  }
}

/**
 * Strips `$patch` maps out of a value copied in wholesale; returns false when the value itself
 * is such a map and the field should not be kept.
 */
function removeDirectives(v: JsonValue): [JsonValue, boolean] {
  if (Array.isArray(v)) {
    const out: JsonValue[] = [];
    for (const x of v) {
      const [nx, keep] = removeDirectives(x);
      if (keep) out.push(nx);
    }
    return [out, true];
  }
  if (isObject(v)) {
    if (Object.hasOwn(v, DIRECTIVE)) return [null, false];
    for (const [k, x] of Object.entries(v)) {
      const [nx, keep] = removeDirectives(x);
      if (keep) v[k] = nx;
      else delete v[k];
    }
  }
  return [v, true];
}

/**
 * The server decodes the merged map into the typed object, which drops keys that are no field of
 * the type. Directive keys left in values copied wholesale (e.g. `$setElementOrder/...` inside a
 * new container) vanish that way; we drop them explicitly since our store keeps plain JSON.
 */
function dropDirectiveKeys(v: JsonValue, shape: Shape, schema: TypeSchema): void {
  if (shape.kind === 'struct' && isObject(v)) {
    for (const k of Object.keys(v)) {
      const f = structField(schema, shape.def, k);
      if (!f) {
        if (k.startsWith('$')) delete v[k];
        continue;
      }
      dropDirectiveKeys(v[k], fieldShape(schema, f), schema);
    }
  } else if (shape.kind === 'list' && Array.isArray(v)) {
    for (const x of v) dropDirectiveKeys(x, shape.elem, schema);
  } else if (shape.kind === 'map' && isObject(v)) {
    for (const x of Object.values(v)) dropDirectiveKeys(x, shape.elem, schema);
  }
}
