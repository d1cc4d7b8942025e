/**
 * Decodes the Kubernetes protobuf encoding (`application/vnd.kubernetes.protobuf`) into the JSON
 * object the same request would have carried as JSON. kubectl create/run/expose and auth can-i
 * send only this form.
 *
 * A body is the 4-byte magic `k8s\0` followed by a runtime.Unknown message whose `raw` field holds
 * the object's own message; the Unknown's typeMeta names the kind. Field meanings come from the
 * TypeSchema, so decoding follows the same facts as OpenAPI and validation.
 */
import { jsonFields, k8sSchema } from '../schema/index.ts';
import type { FieldDef, TypeDef, TypeSchema } from '../schema/types.ts';
import { formatTime } from './scalars.ts';
import { ProtobufError, Reader, WIRE_BYTES, WIRE_FIXED64, WIRE_VARINT } from './wire.ts';

export { ProtobufError } from './wire.ts';

export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);
export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/** Deeper nesting than any Kubernetes type has: stops hostile input from exhausting the stack. */
const MAX_DEPTH = 64;

type JsonObject = Record<string, unknown>;

export interface TypeMeta {
  apiVersion: string;
  kind: string;
}

export interface Envelope extends TypeMeta {
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

/** Splits `group/version` (or the core group's bare `v1`). */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Checks the magic and reads the runtime.Unknown envelope, without looking inside `raw`. */
export function decodeEnvelope(body: Uint8Array): Envelope {
  if (!(body instanceof Uint8Array)) throw new ProtobufError('protobuf body must be a Uint8Array');
  if (body.length < PROTOBUF_MAGIC.length || !PROTOBUF_MAGIC.every((b, i) => body[i] === b)) {
    throw new ProtobufError('not a Kubernetes protobuf body: missing the "k8s\\0" prefix');
  }
  const env: Envelope = {
    apiVersion: '',
    kind: '',
    raw: new Uint8Array(0),
    contentEncoding: '',
    contentType: '',
  };
  const r = new Reader(body, PROTOBUF_MAGIC.length);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field >= 1 && field <= 4 && wire !== WIRE_BYTES) {
      throw new ProtobufError(`runtime.Unknown field ${field} has wire type ${wire}, expected 2`);
    }
    if (field === 1) {
      const tm = new Reader(r.bytes());
      while (!tm.done()) {
        const t = tm.tag();
        if ((t.field === 1 || t.field === 2) && t.wire === WIRE_BYTES) {
          const s = utf8(tm.bytes());
          if (t.field === 1) env.apiVersion = s;
          else env.kind = s;
        } else tm.skip(t.wire);
      }
    } else if (field === 2) env.raw = r.bytes();
    else if (field === 3) env.contentEncoding = utf8(r.bytes());
    else if (field === 4) env.contentType = utf8(r.bytes());
    else r.skip(wire);
  }
  return env;
}

/**
 * Decodes a whole protobuf request body into the JSON object it stands for, with `apiVersion` and
 * `kind` taken from the envelope. Throws ProtobufError (an Error) on anything malformed.
 */
export function decodeKubernetesProtobuf(body: Uint8Array, schema: TypeSchema = k8sSchema): JsonObject {
  const env = decodeEnvelope(body);
  if (!env.kind || !env.apiVersion) throw new ProtobufError('runtime.Unknown has no apiVersion/kind');
  if (env.contentEncoding) throw new ProtobufError(`unsupported contentEncoding "${env.contentEncoding}"`);
  const type = schema.typeForKind({ ...parseApiVersion(env.apiVersion), kind: env.kind });
  if (!type) throw new ProtobufError(`no protobuf schema for kind ${env.kind} in ${env.apiVersion}`);
  const body_ = decodeMessage(env.raw, type.name, schema);
  return { kind: env.kind, apiVersion: env.apiVersion, ...body_ };
}

/** Decodes one message of the named type into its JSON form. */
export function decodeMessage(
  bytes: Uint8Array,
  typeName: string,
  schema: TypeSchema = k8sSchema,
): JsonObject {
  const out: JsonObject = {};
  decodeInto(out, bytes, typeOf(schema, typeName), schema, 0);
  return inDeclarationOrder(out, typeName, schema);
}

function typeOf(schema: TypeSchema, name: string): TypeDef {
  const t = schema.type(name);
  if (!t) throw new ProtobufError(`schema has no type ${name}`);
  return t;
}

const byNumberCache = new WeakMap<TypeDef, Map<number, FieldDef>>();

function fieldsByNumber(type: TypeDef): Map<number, FieldDef> {
  let m = byNumberCache.get(type);
  if (!m) {
    m = new Map(type.fields.filter((f) => f.proto > 0).map((f) => [f.proto, f]));
    byNumberCache.set(type, m);
  }
  return m;
}

function decodeInto(
  out: JsonObject,
  bytes: Uint8Array,
  type: TypeDef,
  schema: TypeSchema,
  depth: number,
): void {
  if (depth > MAX_DEPTH) throw new ProtobufError(`message nesting deeper than ${MAX_DEPTH} at ${type.name}`);
  const fields = fieldsByNumber(type);
  const r = new Reader(bytes);
  while (!r.done()) {
    const { field: num, wire } = r.tag();
    const f = fields.get(num);
    if (!f) {
      r.skip(wire); // unknown fields are skipped, as the Go decoder does
      continue;
    }
    const where = `${shortName(type.name)}.${f.name}`;
    if (f.inline) {
      expectWire(wire, WIRE_BYTES, where);
      decodeInto(out, r.bytes(), typeOf(schema, f.type), schema, depth + 1);
    } else if (f.map) {
      expectWire(wire, WIRE_BYTES, where);
      const entries = (out[f.name] ??= {}) as JsonObject;
      const [key, value] = decodeMapEntry(r.bytes(), f, schema, depth, where);
      entries[key] = value;
    } else if (f.list) {
      const items = (out[f.name] ??= []) as unknown[];
      if (wire === WIRE_BYTES && isPackable(f.type)) {
        const packed = new Reader(r.bytes()); // packed repeated scalars, accepted as protobuf requires
        while (!packed.done()) items.push(decodeValue(packed, wireOf(f.type), f, schema, depth, where));
      } else {
        items.push(decodeValue(r, wire, f, schema, depth, where));
      }
    } else if (isMessageType(f.type, schema) && out[f.name] !== undefined && out[f.name] !== null) {
      expectWire(wire, WIRE_BYTES, where); // a repeated occurrence of a message merges into it
      decodeInto(out[f.name] as JsonObject, r.bytes(), typeOf(schema, f.type), schema, depth + 1);
    } else {
      out[f.name] = decodeValue(r, wire, f, schema, depth, where);
    }
  }
  matchGoJson(out, type);
}

/** Puts keys in the order Go's JSON encoder writes them (struct order), not wire order. */
function inDeclarationOrder(obj: JsonObject, typeName: string, schema: TypeSchema): JsonObject {
  const out: JsonObject = {};
  for (const name of jsonOrder(schema, typeName)) if (name in obj) out[name] = obj[name];
  return out;
}

const orderCache = new WeakMap<TypeSchema, Map<string, string[]>>();

function jsonOrder(schema: TypeSchema, typeName: string): string[] {
  let bySchema = orderCache.get(schema);
  if (!bySchema) orderCache.set(schema, (bySchema = new Map()));
  let names = bySchema.get(typeName);
  if (!names) bySchema.set(typeName, (names = jsonFields(schema, typeName).map((f) => f.name)));
  return names;
}

/**
 * Make the result match Go's JSON form of the decoded struct. Go writes every non-pointer scalar
 * to protobuf, zero or not, but its JSON encoder leaves zero values of omitempty fields out; and
 * fields without omitempty appear even when protobuf had nothing for them (`rules: null`).
 */
function matchGoJson(out: JsonObject, type: TypeDef): void {
  for (const f of type.fields) {
    if (f.inline || f.proto === 0) continue;
    const present = f.name in out;
    if (f.required) {
      if (!present) {
        const zero = f.list || f.map || f.pointer ? null : ZERO[f.type];
        if (zero !== undefined) out[f.name] = zero;
      }
    } else if (present && !f.list && !f.map && !f.pointer && DROPPABLE.has(f.type)) {
      const v = out[f.name];
      if (v === '' || v === 0 || v === false) delete out[f.name];
    }
  }
}

const DROPPABLE = new Set(['string', 'int32', 'int64', 'bool', 'double', 'bytes']);

/** JSON of Go zero values for scalars; struct-typed fields are always on the wire. */
const ZERO: Record<string, unknown> = {
  string: '',
  bytes: '',
  int32: 0,
  int64: 0,
  double: 0,
  bool: false,
  quantity: '0',
  intOrString: 0,
  time: null,
  microTime: null,
  json: null,
};

function decodeMapEntry(
  bytes: Uint8Array,
  f: FieldDef,
  schema: TypeSchema,
  depth: number,
  where: string,
): [string, unknown] {
  let key = '';
  let value: unknown;
  const r = new Reader(bytes);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      expectWire(wire, WIRE_BYTES, `${where} key`);
      key = utf8(r.bytes());
    } else if (field === 2) value = decodeValue(r, wire, f, schema, depth, where);
    else r.skip(wire);
  }
  if (value === undefined) value = zeroValue(f, schema);
  return [key, value];
}

/** The JSON value of a map entry whose value field was left out (protobuf's default). */
function zeroValue(f: FieldDef, schema: TypeSchema): unknown {
  switch (f.type) {
    case 'string':
    case 'bytes':
      return '';
    case 'int32':
    case 'int64':
    case 'double':
      return 0;
    case 'bool':
      return false;
    case 'quantity':
      return '0';
    case 'time':
    case 'microTime':
    case 'json':
      return null;
    case 'intOrString':
      return 0;
    default:
      return schema.type(f.type)?.listWrapper ? [] : {};
  }
}

function decodeValue(
  r: Reader,
  wire: number,
  f: FieldDef,
  schema: TypeSchema,
  depth: number,
  where: string,
): unknown {
  expectWire(wire, wireOf(f.type), where);
  switch (f.type) {
    case 'string':
      return utf8(r.bytes());
    case 'bytes':
      return Buffer.from(r.bytes()).toString('base64');
    case 'int32':
      return Number(BigInt.asIntN(32, r.varint()));
    case 'int64':
      return Number(BigInt.asIntN(64, r.varint()));
    case 'bool':
      return r.varint() !== 0n;
    case 'double':
      return r.fixed64().getFloat64(0, true);
    case 'quantity':
      return decodeQuantity(r.bytes(), where);
    case 'intOrString':
      return decodeIntOrString(r.bytes(), where);
    case 'time':
    case 'microTime':
      return decodeTime(r.bytes(), f.type === 'microTime', where);
    case 'json':
      return decodeRawJson(r.bytes(), where);
    default: {
      const type = typeOf(schema, f.type);
      const nested: JsonObject = {};
      decodeInto(nested, r.bytes(), type, schema, depth + 1);
      return type.listWrapper ? (nested.items ?? []) : inDeclarationOrder(nested, type.name, schema);
    }
  }
}

function decodeQuantity(bytes: Uint8Array, where: string): string {
  let s = '';
  const r = new Reader(bytes);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      expectWire(wire, WIRE_BYTES, `${where} (Quantity)`);
      s = utf8(r.bytes());
    } else r.skip(wire);
  }
  return s === '' ? '0' : s;
}

function decodeIntOrString(bytes: Uint8Array, where: string): number | string {
  let kind = 0n;
  let intVal = 0;
  let strVal = '';
  const r = new Reader(bytes);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 || field === 2) {
      expectWire(wire, WIRE_VARINT, `${where} (IntOrString)`);
      const v = r.varint();
      if (field === 1) kind = BigInt.asIntN(64, v);
      else intVal = Number(BigInt.asIntN(32, v));
    } else if (field === 3) {
      expectWire(wire, WIRE_BYTES, `${where} (IntOrString)`);
      strVal = utf8(r.bytes());
    } else r.skip(wire);
  }
  if (kind === 0n) return intVal;
  if (kind === 1n) return strVal;
  throw new ProtobufError(`${where}: IntOrString type ${kind} is neither 0 (int) nor 1 (string)`);
}

/**
 * metav1.Time and MicroTime: Go writes the zero time as an empty message and reads an empty
 * message back as the zero time, which JSON shows as null.
 */
function decodeTime(bytes: Uint8Array, micro: boolean, where: string): string | null {
  if (bytes.length === 0) return null;
  let seconds = 0n;
  let nanos = 0;
  const r = new Reader(bytes);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 || field === 2) {
      expectWire(wire, WIRE_VARINT, `${where} (Time)`);
      const v = r.varint();
      if (field === 1) seconds = BigInt.asIntN(64, v);
      else nanos = Number(BigInt.asIntN(32, v));
    } else r.skip(wire);
  }
  try {
    return formatTime(seconds, nanos, micro);
  } catch (err) {
    throw new ProtobufError(`${where}: ${(err as Error).message}`);
  }
}

/** runtime.RawExtension and metav1.FieldsV1: a message whose field 1 holds JSON bytes. */
function decodeRawJson(bytes: Uint8Array, where: string): unknown {
  let raw: Uint8Array | undefined;
  const r = new Reader(bytes);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      expectWire(wire, WIRE_BYTES, where);
      raw = r.bytes();
    } else r.skip(wire);
  }
  if (!raw || raw.length === 0) return null;
  try {
    return JSON.parse(utf8(raw));
  } catch {
    throw new ProtobufError(`${where}: embedded raw JSON does not parse`);
  }
}

function wireOf(type: string): number {
  if (type === 'int32' || type === 'int64' || type === 'bool') return WIRE_VARINT;
  if (type === 'double') return WIRE_FIXED64;
  return WIRE_BYTES;
}

function isPackable(type: string): boolean {
  return wireOf(type) !== WIRE_BYTES;
}

function isMessageType(type: string, schema: TypeSchema): boolean {
  return schema.type(type) !== undefined && !schema.type(type)?.listWrapper;
}

function expectWire(got: number, want: number, where: string): void {
  if (got !== want) throw new ProtobufError(`${where}: wire type ${got}, expected ${want}`);
}

function shortName(typeName: string): string {
  return typeName.slice(typeName.lastIndexOf('.') + 1);
}

const decoder = new TextDecoder('utf-8');

function utf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
