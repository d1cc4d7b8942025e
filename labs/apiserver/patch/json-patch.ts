/**
 * JSON patch (RFC 6902) as the API server applies it: evanphx/json-patch v4, which kube-apiserver
 * 1.32 vendors as gopkg.in/evanphx/json-patch.v4.
 *
 * Library behaviour kept on purpose (it is what a real cluster does):
 * - `replace` of a missing member of an object adds it (only array indexes and missing parents fail);
 * - negative array indexes count from the end;
 * - a path without a leading slash is read from its second segment on ("a/b" acts like "/b");
 * - `copy` from a missing member of an object writes null;
 * - `replace` of the whole document ("") with a scalar is ignored.
 *
 * Failures while applying become the server's 422 with its generic sentence; the library text is
 * kept in PatchError.detail (the server itself drops it). A body that is not a list of operations
 * is a 400 with the decoder's message.
 */

import { badRequest, entityTooLarge, type PatchError, unprocessable } from './errors.ts';
import { clone, deepEqual, isObject, type JsonObject, type JsonValue, jsonKindWord } from './json.ts';

export const MAX_JSON_PATCH_OPERATIONS = 10000;
/** The server caps how much `copy` operations may grow a document (JSONPatchMaxCopyBytes). */
export const MAX_JSON_PATCH_COPY_BYTES = 3 * 1024 * 1024;

type Container = JsonObject | JsonValue[];

/** Thrown inside the engine with the library's message; mapped to a PatchError at the edge. */
class OpError extends Error {}

const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';
const TEST_FAILED = 'test failed';

function wrap(msg: string, cause: string): OpError {
  return new OpError(`${msg}: ${cause}`);
}

export function applyJsonPatch(original: unknown, ops: unknown): JsonValue {
  if (ops === null) return clone(original as JsonValue);
  if (!Array.isArray(ops)) {
    throw badRequest(`json: cannot unmarshal ${jsonKindWord(ops)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of ops) {
    if (op !== null && !isObject(op)) {
      throw badRequest(
        `json: cannot unmarshal ${jsonKindWord(op)} into Go value of type jsonpatch.Operation`,
      );
    }
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw entityTooLarge(
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
    );
  }
  const state: State = { root: clone(original) as JsonValue, copied: 0 };
  if (!isObject(state.root) && !Array.isArray(state.root)) {
    throw unprocessable(
      `json: cannot unmarshal ${jsonKindWord(state.root)} into Go value of type jsonpatch.partialDoc`,
    );
  }
  try {
    for (const op of ops as (JsonObject | null)[]) applyOne(state, op ?? {});
  } catch (e) {
    if (e instanceof OpError) throw unprocessable(e.message) as PatchError;
    throw e;
  }
  return state.root;
}

interface State {
  root: JsonValue;
  copied: number;
}

function kindOf(op: JsonObject): string {
  const v = op.op;
  return typeof v === 'string' ? v : 'unknown';
}

function stringField(op: JsonObject, name: 'path' | 'from'): string | OpError {
  const v = op[name];
  if (v === undefined || v === null) {
    return wrap(name === 'path' ? 'operation missing path field' : 'operation, missing from field', MISSING);
  }
  if (typeof v !== 'string')
    return new OpError(`json: cannot unmarshal ${jsonKindWord(v)} into Go value of type string`);
  return v;
}

/** The operation's value; absent and null both read as Go's nil node. */
function opValue(op: JsonObject): JsonValue {
  return op.value === undefined ? null : clone(op.value);
}

function applyOne(state: State, op: JsonObject): void {
  const kind = kindOf(op);
  const handler = Object.hasOwn(OPS, kind) ? OPS[kind] : undefined;
  if (!handler) throw new OpError(`Unexpected kind: ${kind}`);
  handler(state, op);
}

const OPS: Record<string, (state: State, op: JsonObject) => void> = {
  add: (s, op) => opAdd(s, op),
  remove: (s, op) => opRemove(s, op),
  replace: (s, op) => opReplace(s, op),
  move: (s, op) => opMove(s, op),
  test: (s, op) => opTest(s, op),
  copy: (s, op) => opCopy(s, op),
};

function decodeKey(k: string): string {
  return k.replace(/~[01]/g, (m) => (m === '~1' ? '/' : '~'));
}

/** Walks to the container that holds the last segment; null when the walk falls off the document. */
function findObject(state: State, path: string): [Container, string] | null {
  const split = path.split('/');
  if (split.length < 2) return null;
  let doc = state.root as Container;
  for (const part of split.slice(1, -1)) {
    let next: JsonValue;
    try {
      next = get(doc, decodeKey(part));
    } catch {
      return null;
    }
    if (next === null || next === undefined) return null;
    if (!isObject(next) && !Array.isArray(next)) return null;
    doc = next;
  }
  return [doc, decodeKey(split[split.length - 1])];
}

function atoi(key: string): number {
  if (!/^[+-]?\d+$/.test(key)) throw new OpError(`strconv.Atoi: parsing "${key}": invalid syntax`);
  return Number.parseInt(key, 10);
}

/** Member or element at key; missing and null members both read as undefined-ish (Go's nil). */
function get(c: Container, key: string): JsonValue {
  if (!Array.isArray(c)) return Object.hasOwn(c, key) ? c[key] : null;
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -c.length) throw wrap(`Unable to access invalid index: ${idx}`, INVALID_INDEX);
    idx += c.length;
  }
  if (idx >= c.length) throw wrap(`Unable to access invalid index: ${idx}`, INVALID_INDEX);
  return c[idx];
}

function add(c: Container, key: string, val: JsonValue): void {
  if (!Array.isArray(c)) {
    c[key] = val;
    return;
  }
  if (key === '-') {
    c.push(val);
    return;
  }
  let idx: number;
  try {
    idx = atoi(key);
  } catch (e) {
    throw wrap(`value was not a proper array index: '${key}'`, (e as Error).message);
  }
  const size = c.length + 1;
  if (idx >= size) throw wrap(`Unable to access invalid index: ${idx}`, INVALID_INDEX);
  if (idx < 0) {
    if (idx < -size) throw wrap(`Unable to access invalid index: ${idx}`, INVALID_INDEX);
    idx += size;
  }
  c.splice(idx, 0, val);
}

function set(c: Container, key: string, val: JsonValue): void {
  if (!Array.isArray(c)) {
    c[key] = val;
    return;
  }
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -c.length) throw wrap(`Unable to access invalid index: ${idx}`, INVALID_INDEX);
    idx += c.length;
  }
  c[idx] = val;
}

function remove(c: Container, key: string): void {
  if (!Array.isArray(c)) {
    if (!Object.hasOwn(c, key)) throw wrap(`Unable to remove nonexistent key: ${key}`, MISSING);
    delete c[key];
    return;
  }
  let idx = atoi(key);
  if (idx >= c.length) throw wrap(`Unable to access invalid index: ${idx}`, INVALID_INDEX);
  if (idx < 0) {
    if (idx < -c.length) throw wrap(`Unable to access invalid index: ${idx}`, INVALID_INDEX);
    idx += c.length;
  }
  c.splice(idx, 1);
}

function rethrow(msg: string, e: unknown): never {
  if (e instanceof OpError) throw wrap(msg, e.message);
  throw e;
}

function opAdd(state: State, op: JsonObject): void {
  const path = stringField(op, 'path');
  if (path instanceof OpError) throw wrap('add operation failed to decode path', MISSING);
  const found = findObject(state, path);
  if (!found) throw wrap(`add operation does not apply: doc is missing path: "${path}"`, MISSING);
  try {
    add(found[0], found[1], opValue(op));
  } catch (e) {
    rethrow(`error in add for path: '${path}'`, e);
  }
}

function opRemove(state: State, op: JsonObject): void {
  const path = stringField(op, 'path');
  if (path instanceof OpError) throw wrap('remove operation failed to decode path', MISSING);
  const found = findObject(state, path);
  if (!found) throw wrap(`remove operation does not apply: doc is missing path: "${path}"`, MISSING);
  try {
    remove(found[0], found[1]);
  } catch (e) {
    rethrow(`error in remove for path: '${path}'`, e);
  }
}

function opReplace(state: State, op: JsonObject): void {
  const path = stringField(op, 'path');
  if (path instanceof OpError) throw wrap('replace operation failed to decode path', path.message);
  if (path === '') {
    const v = opValue(op);
    if (isObject(v) || Array.isArray(v)) state.root = v;
    return;
  }
  const found = findObject(state, path);
  if (!found) throw wrap(`replace operation does not apply: doc is missing path: ${path}`, MISSING);
  try {
    get(found[0], found[1]);
  } catch {
    throw wrap(`replace operation does not apply: doc is missing key: ${path}`, MISSING);
  }
  try {
    set(found[0], found[1], opValue(op));
  } catch (e) {
    rethrow(`error in remove for path: '${path}'`, e);
  }
}

function opMove(state: State, op: JsonObject): void {
  const from = stringField(op, 'from');
  if (from instanceof OpError) throw wrap('move operation failed to decode from', from.message);
  const src = findObject(state, from);
  if (!src) throw wrap(`move operation does not apply: doc is missing from path: ${from}`, MISSING);
  let val: JsonValue;
  try {
    val = get(src[0], src[1]);
    remove(src[0], src[1]);
  } catch (e) {
    rethrow(`error in move for path: '${src[1]}'`, e);
  }
  const path = stringField(op, 'path');
  if (path instanceof OpError) throw wrap('move operation failed to decode path', path.message);
  const dst = findObject(state, path);
  if (!dst) throw wrap(`move operation does not apply: doc is missing destination path: ${path}`, MISSING);
  try {
    add(dst[0], dst[1], val);
  } catch (e) {
    rethrow(`error in move for path: '${path}'`, e);
  }
}

function opTest(state: State, op: JsonObject): void {
  const path = stringField(op, 'path');
  if (path instanceof OpError) throw wrap('test operation failed to decode path', path.message);
  const expected = op.value === undefined ? undefined : op.value;
  if (path === '') {
    if (deepEqual(state.root, expected)) return;
    throw wrap(`testing value ${path} failed`, TEST_FAILED);
  }
  const found = findObject(state, path);
  if (!found) throw wrap(`test operation does not apply: is missing path: ${path}`, MISSING);
  let val: JsonValue;
  try {
    val = get(found[0], found[1]);
  } catch (e) {
    rethrow(`error in test for path: '${path}'`, e);
  }
  if (val === null || val === undefined) {
    if (expected === null || expected === undefined) return;
    throw wrap(`testing value ${path} failed`, TEST_FAILED);
  }
  if (expected === undefined || !deepEqual(val, expected))
    throw wrap(`testing value ${path} failed`, TEST_FAILED);
}

function opCopy(state: State, op: JsonObject): void {
  const from = stringField(op, 'from');
  if (from instanceof OpError) throw wrap('copy operation failed to decode from', from.message);
  const src = findObject(state, from);
  if (!src) throw wrap(`copy operation does not apply: doc is missing from path: ${from}`, MISSING);
  let val: JsonValue;
  try {
    val = get(src[0], src[1]);
  } catch (e) {
    rethrow(`error in copy for from: '${from}'`, e);
  }
  const path = stringField(op, 'path');
  if (path instanceof OpError) throw wrap('copy operation failed to decode path', MISSING);
  const dst = findObject(state, path);
  if (!dst) throw wrap(`copy operation does not apply: doc is missing destination path: ${path}`, MISSING);
  const copy = clone(val ?? null);
  state.copied += JSON.stringify(copy).length;
  if (state.copied > MAX_JSON_PATCH_COPY_BYTES) {
    throw new OpError(
      `Unable to complete the copy, the accumulated size increase of copy is ${state.copied}, exceeding the limit ${MAX_JSON_PATCH_COPY_BYTES}`,
    );
  }
  try {
    add(dst[0], dst[1], copy);
  } catch (e) {
    rethrow('error while adding value during copy', e);
  }
}
