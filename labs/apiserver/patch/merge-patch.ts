/**
 * JSON merge patch (RFC 7386) as the API server applies it (evanphx/json-patch v4 MergePatch).
 *
 * RFC behaviour: objects merge recursively, `null` removes a member, anything else replaces.
 * Two details come from the library rather than the RFC and are kept because kubectl users can
 * see them: a top-level `null` or scalar patch is rejected (400 "Invalid JSON Patch"), and nulls
 * inside a value that lands on a missing (or non-object) member are pruned from nested objects,
 * including objects inside arrays.
 */

import { badRequest, internal } from './errors.ts';
import { clone, isObject, type JsonObject, type JsonValue } from './json.ts';

export function applyMergePatch(original: unknown, patch: unknown): JsonValue {
  if (Array.isArray(patch)) return pruneNulls(clone(patch) as JsonValue);
  if (!isObject(patch)) throw badRequest('Invalid JSON Patch');
  if (original === null || original === undefined) throw internal('Invalid JSON Document');
  const p = clone(patch);
  if (!isObject(original)) return pruneNulls(p);
  return mergeDocs(clone(original), p);
}

function mergeDocs(doc: JsonObject, patch: JsonObject): JsonObject {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete doc[k];
      continue;
    }
    const cur = doc[k];
    if (!Object.hasOwn(doc, k) || cur === null) doc[k] = pruneNulls(v);
    else doc[k] = merge(cur, v);
  }
  return doc;
}

function merge(cur: JsonValue, patch: JsonValue): JsonValue {
  if (!isObject(cur)) return pruneNulls(patch);
  if (!isObject(patch)) return patch;
  return mergeDocs(cur, patch);
}

function pruneNulls(v: JsonValue): JsonValue {
  if (Array.isArray(v)) {
    for (const x of v) if (x !== null) pruneNulls(x);
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x === null) delete v[k];
      else pruneNulls(x);
    }
  }
  return v;
}
