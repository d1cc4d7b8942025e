/**
 * Encodes a JSON object of a known kind into the Kubernetes protobuf envelope, the inverse of
 * decode.ts. The server does not need it to answer kubectl (it replies in JSON); it exists so
 * tests and tools can produce bodies in the exact form kubectl sends.
 */
import { k8sSchema } from '../schema/index.ts';
import type { FieldDef, TypeDef, TypeSchema } from '../schema/types.ts';
import { PROTOBUF_MAGIC, parseApiVersion } from './decode.ts';
import { parseTime } from './scalars.ts';
import { ProtobufError, WIRE_VARINT, Writer } from './wire.ts';

type JsonObject = Record<string, unknown>;

/** Encodes `obj` (which must carry apiVersion and kind) as `k8s\0` + runtime.Unknown. */
export function encodeKubernetesProtobuf(obj: JsonObject, schema: TypeSchema = k8sSchema): Uint8Array {
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    throw new ProtobufError('object needs string apiVersion and kind to be encoded');
  }
  const type = schema.typeForKind({ ...parseApiVersion(apiVersion), kind });
  if (!type) throw new ProtobufError(`no protobuf schema for kind ${kind} in ${apiVersion}`);
  const raw = encodeMessage(obj, type.name, schema);
  const typeMeta = new Writer().string(1, apiVersion).string(2, kind).finish();
  const unknown = new Writer()
    .bytes(1, typeMeta)
    .bytes(2, raw)
    .string(3, '') // Go always writes the (empty) contentEncoding and contentType
    .string(4, '')
    .finish();
  return new Writer().raw(PROTOBUF_MAGIC).raw(unknown).finish();
}

/** Encodes one JSON object as a message of the named type. Unknown JSON fields are an error. */
export function encodeMessage(obj: JsonObject, typeName: string, schema: TypeSchema = k8sSchema): Uint8Array {
  const w = new Writer();
  writeObject(w, obj, typeOf(schema, typeName), schema, shortName(typeName));
  return w.finish();
}

function shortName(typeName: string): string {
  return typeName.slice(typeName.lastIndexOf('.') + 1);
}

/** Writes a JSON object as the fields of `type`, rejecting keys the type does not have. */
function writeObject(w: Writer, obj: JsonObject, type: TypeDef, schema: TypeSchema, path: string): void {
  const consumed = new Set<string>();
  writeFields(w, obj, type, schema, consumed, path);
  for (const key of Object.keys(obj)) {
    if (!consumed.has(key)) throw new ProtobufError(`${path}.${key}: not a field of ${type.name}`);
  }
}

function typeOf(schema: TypeSchema, name: string): TypeDef {
  const t = schema.type(name);
  if (!t) throw new ProtobufError(`schema has no type ${name}`);
  return t;
}

/** Writes the fields of `type` found in `obj` (inline structs share it); `consumed` collects the keys used. */
function writeFields(
  w: Writer,
  obj: JsonObject,
  type: TypeDef,
  schema: TypeSchema,
  consumed: Set<string>,
  path: string,
): void {
  for (const f of type.fields) if (f.proto === 0) consumed.add(f.name);
  const ordered = type.fields.filter((f) => f.proto > 0).sort((a, b) => a.proto - b.proto);
  for (const f of ordered) {
    if (f.inline) {
      const sub = new Writer();
      writeFields(sub, obj, typeOf(schema, f.type), schema, consumed, path);
      w.bytes(f.proto, sub.finish());
      continue;
    }
    consumed.add(f.name);
    const value = obj[f.name];
    if (value === undefined) continue;
    const where = `${path}.${f.name}`;
    if (f.map) {
      if (value === null) continue;
      const entries = asObject(value, where);
      for (const key of Object.keys(entries).sort()) {
        const entry = new Writer().string(1, key);
        writeValue(entry, 2, entries[key], f, schema, `${where}[${key}]`);
        w.bytes(f.proto, entry.finish());
      }
    } else if (f.list) {
      if (value === null) continue;
      if (!Array.isArray(value)) throw new ProtobufError(`${where}: expected a list`);
      value.forEach((item, i) => {
        writeValue(w, f.proto, item, f, schema, `${where}[${i}]`);
      });
    } else {
      writeValue(w, f.proto, value, f, schema, where);
    }
  }
}

function writeValue(
  w: Writer,
  num: number,
  value: unknown,
  f: FieldDef,
  schema: TypeSchema,
  where: string,
): void {
  switch (f.type) {
    case 'string':
      if (value === null) return;
      w.string(num, expect(value, 'string', where));
      return;
    case 'bytes':
      if (value === null) return;
      w.bytes(num, Buffer.from(expect(value, 'string', where), 'base64'));
      return;
    case 'int32':
    case 'int64':
      if (value === null) return;
      w.tag(num, WIRE_VARINT).varint(integer(value, where));
      return;
    case 'bool':
      if (value === null) return;
      w.tag(num, WIRE_VARINT).varint(expect(value, 'boolean', where) ? 1 : 0);
      return;
    case 'double':
      if (value === null) return;
      w.double(num, expect(value, 'number', where));
      return;
    case 'quantity':
      if (value === null) return;
      w.bytes(num, new Writer().string(1, String(expectOneOf(value, where))).finish());
      return;
    case 'intOrString': {
      if (value === null) return;
      const v = expectOneOf(value, where);
      const m = new Writer();
      if (typeof v === 'number')
        m.tag(1, WIRE_VARINT).varint(0).tag(2, WIRE_VARINT).varint(integer(v, where));
      else m.tag(1, WIRE_VARINT).varint(1).string(3, v);
      w.bytes(num, m.finish());
      return;
    }
    case 'time':
    case 'microTime': {
      // null is Go's zero time, which it writes as an empty message
      const m = new Writer();
      if (value !== null) {
        const t = timeOf(value, where);
        if (t.seconds) m.tag(1, WIRE_VARINT).varint(t.seconds);
        if (t.nanos && f.type === 'microTime') m.tag(2, WIRE_VARINT).varint(t.nanos);
      }
      w.bytes(num, m.finish());
      return;
    }
    case 'json':
      if (value === null) return;
      w.bytes(num, new Writer().bytes(1, new TextEncoder().encode(JSON.stringify(value))).finish());
      return;
    default: {
      if (value === null) return;
      const type = typeOf(schema, f.type);
      const m = new Writer();
      if (type.listWrapper) {
        if (!Array.isArray(value)) throw new ProtobufError(`${where}: expected a list`);
        const items = type.fields[0];
        value.forEach((item, i) => {
          writeValue(m, 1, item, items, schema, `${where}[${i}]`);
        });
      } else {
        writeObject(m, asObject(value, where), type, schema, where);
      }
      w.bytes(num, m.finish());
    }
  }
}

function timeOf(value: unknown, where: string): { seconds: bigint; nanos: number } {
  try {
    return parseTime(expect(value, 'string', where));
  } catch (err) {
    throw new ProtobufError(`${where}: ${(err as Error).message}`);
  }
}

function expect<T extends 'string' | 'number' | 'boolean'>(
  value: unknown,
  kind: T,
  where: string,
): T extends 'string' ? string : T extends 'number' ? number : boolean {
  if (typeof value !== kind)
    throw new ProtobufError(`${where}: expected a ${kind}, got ${JSON.stringify(value)}`);
  return value as never;
}

function expectOneOf(value: unknown, where: string): string | number {
  if (typeof value === 'string' || typeof value === 'number') return value;
  throw new ProtobufError(`${where}: expected a string or number, got ${JSON.stringify(value)}`);
}

function integer(value: unknown, where: string): bigint {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ProtobufError(`${where}: expected an integer, got ${JSON.stringify(value)}`);
  }
  return BigInt(value);
}

function asObject(value: unknown, where: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtobufError(`${where}: expected an object`);
  }
  return value as JsonObject;
}
