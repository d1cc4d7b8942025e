/**
 * Patch metadata lookups and helpers shared by the strategic merge applier and the diff.
 * Error texts are the upstream library's (k8s.io/apimachinery strategicpatch and mergepatch),
 * because the server answers with them verbatim.
 */

import type { TypeSchema } from '../schema/types.ts';
import { goFormat, goTypeName, isObject, type JsonObject, type JsonValue } from './json.ts';
import { FREE, fieldShape, goKind, goStructName, type Shape, structField } from './shape.ts';

export const DIRECTIVE = '$patch';
export const DELETE_DIRECTIVE = 'delete';
export const REPLACE_DIRECTIVE = 'replace';
export const MERGE_DIRECTIVE = 'merge';
export const RETAIN_KEYS_STRATEGY = 'retainKeys';
export const RETAIN_KEYS_DIRECTIVE = '$retainKeys';
export const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
export const SET_ELEMENT_ORDER = '$setElementOrder';

/** A failure inside the strategic merge library; the message is what Go's error would print. */
export class SmpFailure extends Error {}

export const ERR_BAD_PATCH_FORMAT_PRIMITIVE_LIST = 'invalid patch format of primitive list';
export const ERR_BAD_PATCH_FORMAT_RETAIN_KEYS = 'invalid patch format of retainKeys';
export const ERR_BAD_PATCH_FORMAT_SET_ELEMENT_ORDER = 'invalid patch format of setElementOrder list';
export const ERR_NO_LIST_OF_LISTS = 'lists of lists are not supported';

export function fail(message: string): SmpFailure {
  return new SmpFailure(message);
}

export function errNoMergeKey(m: unknown, key: string): SmpFailure {
  return fail(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
}

/** mergepatch.ErrBadArgType; `expected` is the Go type the code asserted. */
export function errBadArgType(expected: 'map' | 'slice', actual: unknown): SmpFailure {
  const exp = expected === 'map' ? 'map[string]interface {}' : '[]interface {}';
  const act = actual === null || actual === undefined ? '%!s(<nil>)' : goTypeName(actual);
  return fail(`expected a ${exp}, but received a ${act}`);
}

export function goPercentS(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '%!s(<nil>)';
  if (typeof v === 'number') return `%!s(${Number.isInteger(v) ? 'int64' : 'float64'}=${goFormat(v)})`;
  if (typeof v === 'boolean') return `%!s(bool=${v})`;
  return goFormat(v);
}

export function errBadPatchType(t: unknown, m: unknown): SmpFailure {
  return fail(`unknown patch type: ${goPercentS(t)} in map: ${goFormat(m)}`);
}

export interface PatchMeta {
  /** Shape of the field's value (for lists: of one element once looked up as a slice). */
  shape: Shape;
  strategies: string[];
  mergeKey: string;
}

export function lookupStruct(schema: TypeSchema, parent: Shape, key: string): PatchMeta {
  switch (parent.kind) {
    case 'struct': {
      const f = structField(schema, parent.def, key);
      if (!f)
        throw fail(
          `unable to find api field in struct ${goStructName(parent.def)} for the json field "${key}"`,
        );
      return {
        shape: fieldShape(schema, f),
        strategies: f.patchStrategy ? f.patchStrategy.split(',') : [],
        mergeKey: f.mergeKey ?? '',
      };
    }
    case 'map':
      return { shape: parent.elem, strategies: [], mergeKey: '' };
    case 'free':
      return { shape: FREE, strategies: [], mergeKey: '' };
    default:
      throw fail(
        `merging an object in json but data type is not map or struct, instead is: ${goKind(parent)}`,
      );
  }
}

export function lookupSlice(schema: TypeSchema, parent: Shape, key: string): PatchMeta {
  const meta = lookupStruct(schema, parent, key);
  if (meta.shape.kind === 'list') return { ...meta, shape: meta.shape.elem };
  if (meta.shape.kind === 'free') return meta;
  throw fail(`expected slice or array type, but got: ${goKind(parent)}`);
}

/** Splits "merge,retainKeys" into (retainKeys?, the other strategy). */
export function extractRetainKeysPatchStrategy(strategies: string[]): [boolean, string] {
  switch (strategies.length) {
    case 0:
      return [false, ''];
    case 1:
      return strategies[0] === RETAIN_KEYS_STRATEGY ? [true, ''] : [false, strategies[0]];
    case 2:
      if (strategies[0] === RETAIN_KEYS_STRATEGY) return [true, strategies[1]];
      if (strategies[1] === RETAIN_KEYS_STRATEGY) return [true, strategies[0]];
      break;
  }
  throw fail(`unexpected patch strategy: [${strategies.join(' ')}]`);
}

export function extractKey(s: string, prefix: string): string {
  const slash = s.indexOf('/');
  if (slash < 0 || s.slice(0, slash) !== prefix) {
    if (prefix === DELETE_FROM_PRIMITIVE_LIST) throw fail(ERR_BAD_PATCH_FORMAT_PRIMITIVE_LIST);
    if (prefix === SET_ELEMENT_ORDER) throw fail(ERR_BAD_PATCH_FORMAT_SET_ELEMENT_ORDER);
    throw fail(`fail to find unknown prefix "${prefix}" in ${s}`);
  }
  return s.slice(slash + 1);
}

/** The kind of the elements of all given lists; they must agree and must not be lists. */
export function sliceElementType(...slices: JsonValue[][]): 'map' | 'scalar' {
  let prev: string | undefined;
  let isMap = false;
  for (const s of slices) {
    for (const v of s) {
      const t = goTypeName(v);
      if (prev === undefined) {
        prev = t;
        if (Array.isArray(v)) throw fail(ERR_NO_LIST_OF_LISTS);
        isMap = isObject(v);
      } else if (prev !== t) {
        throw fail(`list element types are not identical: ${goFormat(slices)}`);
      }
    }
  }
  if (prev === undefined) throw fail('no elements in any of the given slices');
  return isMap ? 'map' : 'scalar';
}

export function mergeKeyValue(item: unknown, mergeKey: string): JsonValue {
  return isObject(item) && Object.hasOwn(item, mergeKey) ? item[mergeKey] : null;
}

/** findMapInSliceBasedOnKeyValue */
export function findByMergeKey(list: JsonValue[], key: string, value: JsonValue): number {
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (!isObject(v)) throw fail(`value for key ${i} is not a map.`);
    if (Object.hasOwn(v, key) && v[key] === value) return i;
  }
  return -1;
}

export function isDirectiveMap(v: unknown): v is JsonObject {
  return isObject(v) && Object.hasOwn(v, DIRECTIVE);
}
