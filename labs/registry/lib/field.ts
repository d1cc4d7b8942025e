/**
 * Field-error constructors shaped like k8s.io/apimachinery/pkg/util/validation/field, so the
 * messages labs/kube/errors.ts renders read exactly like the apiserver's.
 */
import type { FieldError } from '../../kube/errors.ts';

export function required(field: string, detail = ''): FieldError {
  return { type: 'Required', field, detail };
}

export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { type: 'Invalid', field, value, detail };
}

export function notSupported(field: string, value: unknown, supported: string[]): FieldError {
  return { type: 'NotSupported', field, value, supported };
}

export function duplicate(field: string, value: unknown): FieldError {
  return { type: 'Duplicate', field, value };
}

export function forbidden(field: string, detail: string): FieldError {
  return { type: 'Forbidden', field, detail };
}

export function notFound(field: string, value: unknown): FieldError {
  return { type: 'NotFound', field, value };
}

export function tooLong(field: string, maxBytes: number): FieldError {
  return {
    type: 'TooLong',
    field,
    detail: `may not be more than ${maxBytes} ${maxBytes === 1 ? 'byte' : 'bytes'}`,
  };
}

/** `data[key]` as field.Path.Key renders it. */
export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

/** Many validators return plain messages; turn each into an Invalid error on one field. */
export function each(field: string, value: unknown, messages: string[]): FieldError[] {
  return messages.map((m) => invalid(field, value, m));
}

export const FIELD_IMMUTABLE = 'field is immutable';
export const IS_NEGATIVE = 'must be greater than or equal to 0';
export const IS_NOT_POSITIVE = 'must be greater than zero';

export function nonNegative(field: string, value: unknown): FieldError[] {
  return typeof value === 'number' && value < 0 ? [invalid(field, value, IS_NEGATIVE)] : [];
}

/** ValidateImmutableField: compares JSON renderings, as apiequality.Semantic.DeepEqual would for plain data. */
export function immutable(field: string, next: unknown, old: unknown, shown: unknown = next): FieldError[] {
  return sameJSON(next, old) ? [] : [invalid(field, shown, FIELD_IMMUTABLE)];
}

/** Deep equality for JSON values, treating a missing key, null and undefined alike. */
export function sameJSON(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, value) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value).sort())
        if (value[k] !== undefined && value[k] !== null) out[k] = value[k];
      return out;
    }
    return value;
  });
}
