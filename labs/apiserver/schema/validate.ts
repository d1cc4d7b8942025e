/**
 * Checks a JSON object against the schema the way the real apiserver's JSON decoder does:
 * - unknownFields: the fields `fieldValidation=Strict|Warn` reports, as paths in the decoder's
 *   format (`spec.template.spec.containers[0].imagee`; map keys join with `.`).
 * - validateTypes: values of the wrong JSON type, with the decoder's messages
 *   (`json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.
 *   containers.ports.containerPort of type int32`). The decoder stops at the first one; all are
 *   returned here, in document order, so the caller can report the first.
 */
import { isScalar, k8sSchema } from './index.ts';
import type { FieldDef, TypeSchema } from './types.ts';

type Json = unknown;

/** Go's encoding/json caps strict errors at 100 per object. */
const MAX_STRICT_ERRORS = 100;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Paths of every field the schema does not know, in document order, without duplicates. A type
 * the schema does not describe (a custom kind stored as given) has no unknown fields.
 */
export function unknownFields(obj: Json, typeName: string, schema: TypeSchema = k8sSchema): string[] {
  if (!schema.type(typeName)) return [];
  const found = new Set<string>();
  walkUnknown(obj, typeName, '', schema, found);
  return [...found];
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function walkUnknown(
  obj: Json,
  typeName: string,
  path: string,
  schema: TypeSchema,
  found: Set<string>,
): void {
  if (!isObject(obj)) return;
  for (const [key, value] of Object.entries(obj)) {
    if (found.size >= MAX_STRICT_ERRORS) return;
    const f = schema.field(typeName, key);
    const here = join(path, key);
    if (!f) {
      found.add(here);
      continue;
    }
    if (isScalar(f.type) || schema.type(f.type)?.listWrapper) continue;
    if (f.list) {
      if (Array.isArray(value)) {
        for (const [i, v] of value.entries()) walkUnknown(v, f.type, `${here}[${i}]`, schema, found);
      }
    } else if (f.map) {
      if (isObject(value)) {
        for (const [k, v] of Object.entries(value)) walkUnknown(v, f.type, join(here, k), schema, found);
      }
    } else {
      walkUnknown(value, f.type, here, schema, found);
    }
  }
}

const SCALAR_GO_TYPES: Record<string, string> = {
  string: 'string',
  int32: 'int32',
  int64: 'int64',
  bool: 'bool',
  double: 'float64',
  bytes: '[]uint8',
  quantity: 'resource.Quantity',
  intOrString: 'intstr.IntOrString',
  time: 'v1.Time',
  microTime: 'v1.MicroTime',
  json: 'runtime.RawExtension',
};

/** Go's name for a schema type: `v1.PodSpec`, `runtime.Unknown`, `int32`. */
export function goTypeName(type: string): string {
  if (type in SCALAR_GO_TYPES) return SCALAR_GO_TYPES[type];
  const parts = type.split('.');
  return `${parts[parts.length - 2]}.${parts[parts.length - 1]}`;
}

/** Go's name for a field's type, as decoding errors print it. */
export function goFieldType(f: FieldDef): string {
  if (f.goType) return f.goType;
  const elem = goTypeName(f.type);
  if (f.list) return `[]${elem}`;
  if (f.map) return `map[string]${elem}`;
  return elem;
}

function shortName(typeName: string): string {
  return typeName.slice(typeName.lastIndexOf('.') + 1);
}

/** The JSON kind Go's decoder names in "cannot unmarshal X". */
function jsonKind(v: Json): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

interface Ctx {
  schema: TypeSchema;
  errors: string[];
}

/** Where a decoding error is reported: the Go struct being filled and the field stack. */
interface Site {
  struct: string;
  stack: string[];
}

function typeError(ctx: Ctx, value: string, site: Site, goType: string): void {
  ctx.errors.push(
    `json: cannot unmarshal ${value} into Go struct field ${site.struct}.${site.stack.join('.')} of type ${goType}`,
  );
}

/** Type errors in document order, each formatted as the apiserver's JSON decoder formats it. */
export function validateTypes(obj: Json, typeName: string, schema: TypeSchema = k8sSchema): string[] {
  const ctx: Ctx = { schema, errors: [] };
  if (!schema.type(typeName)) return ctx.errors;
  if (!isObject(obj)) {
    if (obj !== null)
      ctx.errors.push(
        `json: cannot unmarshal ${jsonKind(obj)} into Go value of type ${goTypeName(typeName)}`,
      );
    return ctx.errors;
  }
  checkStruct(obj, typeName, [], ctx);
  return ctx.errors;
}

/**
 * A JSON key resolved to its field, with the Go names of the embedded structs it is promoted
 * through: Go puts those in the error's field path (e.g. `livenessProbe.ProbeHandler.httpGet`).
 */
function resolve(
  schema: TypeSchema,
  typeName: string,
  key: string,
): { field: FieldDef; via: string[] } | undefined {
  const type = schema.type(typeName);
  if (!type) return undefined;
  for (const f of type.fields) {
    if (f.inline) {
      const inner = resolve(schema, f.type, key);
      if (inner) return { field: inner.field, via: [shortName(f.type), ...inner.via] };
    } else if (f.name === key) {
      return { field: f, via: f.proto === 0 ? ['TypeMeta'] : [] };
    }
  }
  return undefined;
}

function checkStruct(obj: Record<string, Json>, typeName: string, stack: string[], ctx: Ctx): void {
  for (const [key, value] of Object.entries(obj)) {
    const hit = resolve(ctx.schema, typeName, key);
    if (!hit) continue; // unknown fields are not type errors
    const site = { struct: shortName(typeName), stack: [...stack, ...hit.via, key] };
    checkField(value, hit.field, site, ctx);
  }
}

function checkField(value: Json, f: FieldDef, site: Site, ctx: Ctx): void {
  if (value === null) return; // null leaves any Go value at its zero value
  const wrapper = !isScalar(f.type) && ctx.schema.type(f.type)?.listWrapper;
  if (f.list) {
    if (!Array.isArray(value)) {
      typeError(ctx, jsonKind(value), site, goFieldType(f));
      return;
    }
    for (const item of value) checkElement(item, f.type, site, ctx);
  } else if (f.map) {
    if (!isObject(value)) {
      typeError(ctx, jsonKind(value), site, goFieldType(f));
      return;
    }
    for (const item of Object.values(value)) {
      if (wrapper) checkWrapped(item, f.type, site, ctx);
      else checkElement(item, f.type, site, ctx);
    }
  } else if (wrapper) {
    checkWrapped(value, f.type, site, ctx);
  } else {
    checkElement(value, f.type, site, ctx, f.goType);
  }
}

/** A Go named slice such as ExtraValue: a JSON array of its element type. */
function checkWrapped(value: Json, typeName: string, site: Site, ctx: Ctx): void {
  if (value === null) return;
  if (!Array.isArray(value)) {
    typeError(ctx, jsonKind(value), site, goTypeName(typeName));
    return;
  }
  const items = ctx.schema.type(typeName)?.fields[0];
  if (items) for (const item of value) checkElement(item, items.type, site, ctx);
}

function checkElement(value: Json, type: string, site: Site, ctx: Ctx, goType?: string): void {
  if (value === null) return;
  if (!isScalar(type)) {
    if (!isObject(value)) {
      typeError(ctx, jsonKind(value), site, goType ?? goTypeName(type));
      return;
    }
    checkStruct(value, type, site.stack, ctx);
    return;
  }
  const named = goType && !goType.startsWith('[]') && !goType.startsWith('map[') ? goType : undefined;
  switch (type) {
    case 'string':
      if (typeof value !== 'string') typeError(ctx, jsonKind(value), site, named ?? 'string');
      return;
    case 'bool':
      if (typeof value !== 'boolean') typeError(ctx, jsonKind(value), site, named ?? 'bool');
      return;
    case 'double':
      if (typeof value !== 'number') typeError(ctx, jsonKind(value), site, named ?? 'float64');
      return;
    case 'int32':
    case 'int64':
      checkInteger(value, type, site, ctx, named ?? type);
      return;
    case 'intOrString':
      // IntOrString decodes anything but a string as an int32
      if (typeof value !== 'string') checkInteger(value, 'int32', site, ctx, 'int32');
      return;
    case 'bytes':
      if (typeof value !== 'string') typeError(ctx, jsonKind(value), site, '[]uint8');
      else {
        const bad = base64Error(value);
        if (bad !== undefined) ctx.errors.push(`illegal base64 data at input byte ${bad}`);
      }
      return;
    case 'quantity': {
      const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
      const problem = quantityError(text);
      if (problem) ctx.errors.push(problem);
      return;
    }
    case 'time':
    case 'microTime':
      if (typeof value !== 'string') typeError(ctx, jsonKind(value), site, 'string');
      else if (!parsesAsTime(value, type === 'microTime')) {
        const layout =
          type === 'microTime' ? '2006-01-02T15:04:05.000000Z07:00' : '2006-01-02T15:04:05Z07:00';
        ctx.errors.push(
          `parsing time ${JSON.stringify(value)} as "${layout}": cannot parse ${JSON.stringify(value)} as "2006"`,
        );
      }
      return;
    default:
      return; // json: any value
  }
}

const INT_RANGE = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
} as const;

function checkInteger(value: Json, type: 'int32' | 'int64', site: Site, ctx: Ctx, goType: string): void {
  if (typeof value !== 'number') {
    typeError(ctx, jsonKind(value), site, goType);
    return;
  }
  const [lo, hi] = INT_RANGE[type];
  if (!Number.isInteger(value) || value < lo || value > hi) typeError(ctx, `number ${value}`, site, goType);
}

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const QUANTITY_SUFFIX = /^(|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)$/;

/** resource.ParseQuantity's errors for text it rejects. */
function quantityError(text: string): string | undefined {
  const m = QUANTITY.exec(text);
  if (!m) {
    return "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
  }
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(m[1])) return 'unable to parse numeric part of quantity';
  if (!QUANTITY_SUFFIX.test(m[2])) return "unable to parse quantity's suffix";
  return undefined;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const RFC3339_MICRO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;

/** time.Parse with RFC3339 (metav1.Time) or RFC3339Micro (metav1.MicroTime, six digits). */
function parsesAsTime(text: string, micro: boolean): boolean {
  return (micro ? RFC3339_MICRO : RFC3339).test(text) && !Number.isNaN(Date.parse(text));
}

/** The byte offset Go's base64.StdEncoding reports for invalid input, or undefined if valid. */
function base64Error(text: string): number | undefined {
  const alphabet = /[A-Za-z0-9+/]/;
  let i = 0;
  for (; i < text.length; i++) {
    if (text[i] === '=') break;
    if (!alphabet.test(text[i])) return i;
  }
  const pad = text.length - i;
  if (pad > 2 || !/^=*$/.test(text.slice(i))) return i;
  if (text.length % 4 !== 0) return pad ? i : text.length - (text.length % 4);
  return undefined;
}
