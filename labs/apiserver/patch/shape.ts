/**
 * The shape of a value at some point in an object, resolved from the TypeSchema.
 *
 * Strategic merge patch needs patch strategies and merge keys per field; server-side apply needs
 * list types, list-map keys and whether maps/structs are atomic. Both walk the same shapes.
 */

import type { FieldDef, Scalar, TypeDef, TypeSchema } from '../schema/types.ts';

/**
 * Optional schema extensions the patch engines honour when present: `x-kubernetes-map-type` on a
 * field and `x-kubernetes-map-type`/structType on a type (e.g. LabelSelector is atomic).
 */
export interface AtomicityHints {
  mapType?: 'atomic' | 'granular';
  structType?: 'atomic' | 'granular';
}

export type Shape =
  | { kind: 'struct'; def: TypeDef; atomic: boolean }
  | { kind: 'map'; elem: Shape; atomic: boolean }
  | { kind: 'list'; elem: Shape; field: FieldDef }
  | { kind: 'scalar'; scalar: Scalar }
  /** Free-form JSON or a type the schema does not describe: handled without metadata. */
  | { kind: 'free' };

const SCALARS = new Set<string>([
  'string',
  'int32',
  'int64',
  'bool',
  'double',
  'bytes',
  'quantity',
  'time',
  'microTime',
  'intOrString',
]);

export const FREE: Shape = { kind: 'free' };

export function typeShape(schema: TypeSchema, typeName: string): Shape {
  if (SCALARS.has(typeName)) return { kind: 'scalar', scalar: typeName as Scalar };
  if (typeName === 'json') return FREE;
  const def = schema.type(typeName);
  if (!def) return FREE;
  const hints = def as TypeDef & AtomicityHints;
  return { kind: 'struct', def, atomic: hints.structType === 'atomic' || hints.mapType === 'atomic' };
}

export function fieldShape(schema: TypeSchema, field: FieldDef): Shape {
  const base = typeShape(schema, field.type);
  if (field.list) return { kind: 'list', elem: base, field };
  if (field.map)
    return { kind: 'map', elem: base, atomic: (field as FieldDef & AtomicityHints).mapType === 'atomic' };
  if (base.kind === 'struct' && (field as FieldDef & AtomicityHints).mapType === 'atomic') {
    return { ...base, atomic: true };
  }
  return base;
}

/** A field as it appears on the JSON side (the schema resolves inline structs). */
export function structField(schema: TypeSchema, def: TypeDef, name: string): FieldDef | undefined {
  return schema.field(def.name, name);
}

/** Go struct name as reflect prints it: the last segment of the OpenAPI-style name. */
export function goStructName(def: TypeDef): string {
  const i = def.name.lastIndexOf('.');
  return i < 0 ? def.name : def.name.slice(i + 1);
}

/** reflect.Kind().String() of the Go type behind a shape, for the upstream error texts. */
export function goKind(shape: Shape): string {
  switch (shape.kind) {
    case 'struct':
      return 'struct';
    case 'map':
      return 'map';
    case 'list':
      return 'slice';
    case 'free':
      return 'interface';
    case 'scalar':
      switch (shape.scalar) {
        case 'int32':
          return 'int32';
        case 'int64':
          return 'int64';
        case 'bool':
          return 'bool';
        case 'double':
          return 'float64';
        case 'bytes':
          return 'slice';
        case 'string':
          return 'string';
        default:
          // Quantity, Time, MicroTime and IntOrString are structs in Go.
          return 'struct';
      }
  }
}
