/**
 * OpenAPI 3.0 component schemas generated from the TypeDefs, with the Kubernetes extensions kubectl
 * reads: patch merge keys/strategies (client-side apply), list types, group-version-kinds (explain,
 * field validation support), and the int-or-string / quantity value formats.
 */
import { isScalar, kindOfType } from '../schema/index.ts';
import type { FieldDef, GroupVersionKind, TypeSchema } from '../schema/types.ts';

export type JsonSchema = Record<string, unknown>;

export const REF_PREFIX = '#/components/schemas/';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** Schemas for the scalar wrapper types, under the names upstream documents use. */
const SCALAR_SCHEMAS: Record<string, { name: string; schema: JsonSchema }> = {
  quantity: {
    name: 'io.k8s.apimachinery.pkg.api.resource.Quantity',
    schema: {
      description: 'A fixed-point number with an optional SI or binary suffix, such as 500m, 1.5 or 128Mi.',
      oneOf: [{ type: 'string' }, { type: 'number' }],
      format: 'quantity',
    },
  },
  intOrString: {
    name: 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    schema: {
      description: 'Either an integer or a string, such as a port number or a port name.',
      oneOf: [{ type: 'integer' }, { type: 'string' }],
      format: 'int-or-string',
    },
  },
  time: {
    name: `${META}.Time`,
    schema: {
      description: 'An RFC 3339 timestamp with second precision.',
      type: 'string',
      format: 'date-time',
    },
  },
  microTime: {
    name: `${META}.MicroTime`,
    schema: {
      description: 'An RFC 3339 timestamp with microsecond precision.',
      type: 'string',
      format: 'date-time',
    },
  },
  json: {
    name: 'io.k8s.apimachinery.pkg.runtime.RawExtension',
    schema: { description: 'An embedded object of any kind.', type: 'object' },
  },
};

const FIELDS_V1 = `${META}.FieldsV1`;

const PRIMITIVES: Record<string, JsonSchema> = {
  string: { type: 'string' },
  int32: { type: 'integer', format: 'int32' },
  int64: { type: 'integer', format: 'int64' },
  bool: { type: 'boolean' },
  double: { type: 'number', format: 'double' },
  bytes: { type: 'string', format: 'byte' },
};

export function ref(name: string): JsonSchema {
  return { $ref: REF_PREFIX + name };
}

function gvkExtension(gvks: GroupVersionKind[]): JsonSchema {
  return {
    'x-kubernetes-group-version-kind': gvks.map(({ group, kind, version }) => ({ group, kind, version })),
  };
}

/** Collects component schemas; `add` pulls in every type the named one reaches. */
export class SchemaCollector {
  readonly schemas: Record<string, JsonSchema> = {};
  private readonly schema: TypeSchema;

  constructor(schema: TypeSchema) {
    this.schema = schema;
  }

  /** Adds a type and its closure; returns the component name to $ref. */
  add(typeName: string, extraGvks: GroupVersionKind[] = []): string {
    const type = this.schema.type(typeName);
    if (!type) throw new Error(`no TypeDef for ${typeName}`);
    const existing = this.schemas[typeName];
    if (existing) {
      if (extraGvks.length) this.mergeGvks(existing, extraGvks);
      return typeName;
    }
    const out: JsonSchema = { type: 'object' };
    if (type.description) out.description = type.description;
    this.schemas[typeName] = out; // placed before recursing so cycles terminate
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const f of this.flatFields(typeName)) {
      properties[f.name] = this.fieldSchema(f, typeName);
      if (f.required) required.push(f.name);
    }
    if (Object.keys(properties).length) out.properties = properties;
    if (required.length) out.required = required;
    const own = kindOfType(type);
    const gvks = [...(own ? [own] : []), ...extraGvks];
    if (gvks.length) this.mergeGvks(out, gvks);
    return typeName;
  }

  private mergeGvks(target: JsonSchema, gvks: GroupVersionKind[]): void {
    const list = (target['x-kubernetes-group-version-kind'] as GroupVersionKind[] | undefined) ?? [];
    for (const g of gvks) {
      if (!list.some((x) => x.group === g.group && x.version === g.version && x.kind === g.kind)) {
        list.push({ group: g.group, kind: g.kind, version: g.version });
      }
    }
    Object.assign(target, gvkExtension(list));
  }

  /** A kind served without a TypeDef (custom resources): any fields beyond the standard ones. */
  addGeneric(name: string, gvk: GroupVersionKind): string {
    this.add(`${META}.ObjectMeta`);
    this.schemas[name] = {
      type: 'object',
      description: `${gvk.kind} is stored as given; its fields are not described.`,
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: ref(`${META}.ObjectMeta`),
      },
      'x-kubernetes-preserve-unknown-fields': true,
      ...gvkExtension([gvk]),
    };
    return name;
  }

  /** The list kind of a generically stored kind. */
  addGenericList(name: string, itemName: string, gvk: GroupVersionKind): string {
    this.add(`${META}.ListMeta`);
    this.schemas[name] = {
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: ref(`${META}.ListMeta`),
        items: { type: 'array', items: ref(itemName) },
      },
      ...gvkExtension([gvk]),
    };
    return name;
  }

  /** Adds a hand-written schema under a name (Patch, scalar wrappers). */
  addRaw(name: string, schema: JsonSchema): string {
    this.schemas[name] ??= schema;
    return name;
  }

  private flatFields(typeName: string): FieldDef[] {
    const type = this.schema.type(typeName);
    if (!type) return [];
    return type.fields.flatMap((f) => (f.inline ? this.flatFields(f.type) : [f]));
  }

  private valueSchema(type: string, goType?: string): JsonSchema {
    if (type in PRIMITIVES) return { ...PRIMITIVES[type] };
    if (type === 'json' && goType === 'v1.FieldsV1') {
      return ref(
        this.addRaw(FIELDS_V1, { description: 'A set of fields, as a trie in JSON.', type: 'object' }),
      );
    }
    if (isScalar(type)) {
      const s = SCALAR_SCHEMAS[type];
      return ref(this.addRaw(s.name, s.schema));
    }
    const def = this.schema.type(type);
    if (def?.listWrapper) {
      return { type: 'array', items: this.valueSchema(def.fields[0].type) };
    }
    return ref(this.add(type));
  }

  private fieldSchema(f: FieldDef, owner: string): JsonSchema {
    let out: JsonSchema;
    if (f.list) {
      out = { type: 'array', items: this.valueSchema(f.type) };
    } else if (f.map) {
      out = { type: 'object', additionalProperties: this.valueSchema(f.type) };
    } else {
      out = this.valueSchema(f.type, f.goType);
    }
    if (f.description) {
      // OpenAPI 3.0 ignores siblings of $ref, so a described reference goes through allOf
      out = out.$ref ? { allOf: [out], description: f.description } : { ...out, description: f.description };
    }
    if (f.mergeKey) out['x-kubernetes-patch-merge-key'] = f.mergeKey;
    if (f.patchStrategy) out['x-kubernetes-patch-strategy'] = f.patchStrategy;
    if (f.listType) out['x-kubernetes-list-type'] = f.listType;
    if (f.listMapKeys) out['x-kubernetes-list-map-keys'] = f.listMapKeys;
    if (f.proto === 0 && owner) {
      out.description ??=
        f.name === 'kind'
          ? 'The REST resource kind this object represents.'
          : 'The versioned schema of this representation of an object.';
    }
    return out;
  }
}
