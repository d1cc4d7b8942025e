/**
 * Kubernetes API types described as data.
 *
 * One description serves four consumers, so they can never disagree with each other:
 * - the protobuf decoder (kubectl create/run/expose/auth can-i POST protobuf bodies),
 * - the /openapi/v3 documents kubectl downloads before `apply`,
 * - strict field validation (`fieldValidation=Strict`: unknown fields are rejected),
 * - strategic merge patch (lists merged by their patch merge keys).
 *
 * Field numbers, JSON names, merge keys and list types are facts taken from the upstream API
 * (k8s.io/api generated.proto and the OpenAPI extensions); the code around them is ours.
 */

/** Leaf value kinds. `quantity`, `time` and `intOrString` are strings/numbers on the JSON side. */
export type Scalar =
  | 'string'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'double'
  | 'bytes'
  | 'quantity'
  | 'time'
  | 'microTime'
  | 'intOrString'
  /** Any JSON value (runtime.RawExtension, apiextensions JSON, free-form maps). */
  | 'json';

export interface FieldDef {
  /** JSON (camelCase) name; for an `inline` field, the protobuf field name. */
  name: string;
  /**
   * protobuf field number within the message. 0 marks a JSON-only field: `apiVersion` and `kind`
   * of top-level kinds, which protobuf carries in the runtime.Unknown envelope instead.
   */
  proto: number;
  /** A Scalar, or the full name of another TypeDef (e.g. `io.k8s.api.core.v1.Container`). */
  type: Scalar | string;
  /** `repeated` in protobuf, an array in JSON. */
  list?: boolean;
  /** `map<string, type>`: the JSON side is an object whose values have `type`. */
  map?: boolean;
  /** x-kubernetes-patch-merge-key */
  mergeKey?: string;
  /** x-kubernetes-patch-strategy */
  patchStrategy?: 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';
  /** x-kubernetes-list-type */
  listType?: 'atomic' | 'set' | 'map';
  /** x-kubernetes-list-map-keys */
  listMapKeys?: string[];
  /** The Go JSON tag has no omitempty: the field is written even when it holds a zero value. */
  required?: boolean;
  /**
   * A Go pointer scalar (`*int32`, `*bool`, `*string`): a zero value was set on purpose and is kept
   * (`replicas: 0`), where a plain omitempty scalar's zero value means "unset" and is dropped.
   */
  pointer?: boolean;
  /**
   * An embedded Go struct (`json:",inline"`): a nested message in protobuf, but its fields sit
   * directly in the parent object on the JSON side (e.g. Probe's ProbeHandler, Volume's VolumeSource).
   */
  inline?: boolean;
  /**
   * The Go type, when it is not the one `type` implies (named types such as `v1.Protocol` or
   * `v1.ResourceList`); decoding errors name the Go type, as the real apiserver does.
   */
  goType?: string;
  description?: string;
}

export interface TypeDef {
  /** Full OpenAPI-style name, e.g. `io.k8s.api.core.v1.PodSpec`. */
  name: string;
  fields: FieldDef[];
  description?: string;
  /**
   * A Go named slice (authorization's ExtraValue `[]string`): protobuf wraps it in a message whose
   * only field is the repeated `items` (number 1); on the JSON side the value is the bare array.
   */
  listWrapper?: boolean;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** The lookups every consumer needs. */
export interface TypeSchema {
  /** A type by its full name, or undefined when the schema does not know it. */
  type(name: string): TypeDef | undefined;
  /** The top-level type of a kind, e.g. {group:'apps',version:'v1',kind:'Deployment'}. */
  typeForKind(gvk: GroupVersionKind): TypeDef | undefined;
  /** A field of a type by JSON name. */
  field(typeName: string, fieldName: string): FieldDef | undefined;
}
