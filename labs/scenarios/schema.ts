/**
 * A small schema language for plain data read from YAML: each schema checks a value, collects
 * every problem with the path where it was found (`checks[2].hint`), and yields a typed value.
 * Written for scenario.yaml (labs/scenarios/format.ts); no dependency, so a validation error is
 * ours to phrase: what was found, what was expected.
 */

export interface Issue {
  /** Where, as a reader would point at it: `checks[2].hint`, `title.zh-CN`; '' for the document. */
  path: string;
  message: string;
}

const INVALID: unique symbol = Symbol('invalid');
type Invalid = typeof INVALID;

export interface Schema<T> {
  /** What a valid value looks like, for messages (`a string`, `one of: outcome, constraint`). */
  readonly expected: string;
  check(value: unknown, path: string, issues: Issue[]): T | Invalid;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** A field that may be left out (its value is then undefined). */
export interface OptionalField<T> {
  readonly optional: true;
  readonly schema: Schema<T>;
}

type Field = Schema<unknown> | OptionalField<unknown>;
type Shape = Record<string, Field>;

type RequiredKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends OptionalField<unknown> ? never : K;
}[keyof S];
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends OptionalField<unknown> ? K : never;
}[keyof S];
type FieldType<F> = F extends OptionalField<infer T> ? T : F extends Schema<infer T> ? T : never;

export type ObjectOf<S extends Shape> = { [K in RequiredKeys<S>]: FieldType<S[K]> } & {
  [K in OptionalKeys<S>]?: FieldType<S[K]>;
};

export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${String(value)}`;
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function fail(issues: Issue[], path: string, message: string): Invalid {
  issues.push({ path, message });
  return INVALID;
}

export function optional<T>(schema: Schema<T>): OptionalField<T> {
  return { optional: true, schema };
}

export function string(
  opts: { pattern?: RegExp; describe?: string; nonEmpty?: boolean } = {},
): Schema<string> {
  const expected = opts.describe ?? 'a string';
  return {
    expected,
    check(value, path, issues) {
      if (typeof value !== 'string') return fail(issues, path, `is ${show(value)} (expected ${expected})`);
      if (opts.nonEmpty !== false && value.trim() === '')
        return fail(issues, path, `is empty (expected ${expected})`);
      if (opts.pattern && !opts.pattern.test(value))
        return fail(issues, path, `${show(value)} is not ${expected}`);
      return value;
    },
  };
}

export function boolean(): Schema<boolean> {
  return {
    expected: 'true or false',
    check(value, path, issues) {
      if (typeof value !== 'boolean') return fail(issues, path, `is ${show(value)} (expected true or false)`);
      return value;
    },
  };
}

export function integer(opts: { min?: number; max?: number } = {}): Schema<number> {
  const range =
    opts.min !== undefined && opts.max !== undefined
      ? ` from ${opts.min} to ${opts.max}`
      : opts.min !== undefined
        ? ` of at least ${opts.min}`
        : '';
  const expected = `a whole number${range}`;
  return {
    expected,
    check(value, path, issues) {
      if (typeof value !== 'number' || !Number.isInteger(value))
        return fail(issues, path, `is ${show(value)} (expected ${expected})`);
      if ((opts.min !== undefined && value < opts.min) || (opts.max !== undefined && value > opts.max))
        return fail(issues, path, `is ${value} (expected ${expected})`);
      return value;
    },
  };
}

export function oneOf<const T extends string>(values: readonly T[]): Schema<T> {
  const expected = `one of: ${values.join(', ')}`;
  return {
    expected,
    check(value, path, issues) {
      if (typeof value !== 'string' || !(values as readonly string[]).includes(value))
        return fail(issues, path, `is ${show(value)} (expected ${expected})`);
      return value as T;
    },
  };
}

export function array<T>(item: Schema<T>, opts: { min?: number; unique?: boolean } = {}): Schema<T[]> {
  const expected = `a list of ${item.expected}`;
  return {
    expected,
    check(value, path, issues) {
      if (!Array.isArray(value)) return fail(issues, path, `is ${show(value)} (expected ${expected})`);
      if (opts.min !== undefined && value.length < opts.min)
        return fail(issues, path, `has ${value.length} entries (expected at least ${opts.min})`);
      const out: T[] = [];
      let ok = true;
      value.forEach((v, i) => {
        const r = item.check(v, join(path, i), issues);
        if (r === INVALID) ok = false;
        else out.push(r);
      });
      if (opts.unique) {
        const seen = new Map<string, number>();
        value.forEach((v, i) => {
          const key = JSON.stringify(v);
          const first = seen.get(key);
          if (first !== undefined) {
            ok = false;
            issues.push({ path: join(path, i), message: `repeats ${join(path, first)} (${show(v)})` });
          } else seen.set(key, i);
        });
      }
      return ok ? out : INVALID;
    },
  };
}

/** A mapping with known keys; unknown keys are errors (a typo must not be silently ignored). */
export function object<S extends Shape>(shape: S, opts: { describe?: string } = {}): Schema<ObjectOf<S>> {
  const keys = Object.keys(shape);
  const expected = opts.describe ?? `a mapping with ${keys.join(', ')}`;
  return {
    expected,
    check(value, path, issues) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return fail(issues, path, `is ${show(value)} (expected ${expected})`);
      const record = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      let ok = true;
      for (const key of Object.keys(record)) {
        if (!(key in shape)) {
          ok = false;
          issues.push({
            path: join(path, key),
            message: `unknown field (expected one of: ${keys.join(', ')})`,
          });
        }
      }
      for (const key of keys) {
        const field = shape[key];
        const isOptional = 'optional' in field;
        const schema = isOptional ? field.schema : (field as Schema<unknown>);
        const v = record[key];
        if (v === undefined || v === null) {
          if (!isOptional) {
            ok = false;
            issues.push({ path: join(path, key), message: `is missing (expected ${schema.expected})` });
          }
          continue;
        }
        const r = schema.check(v, join(path, key), issues);
        if (r === INVALID) ok = false;
        else out[key] = r;
      }
      return ok ? (out as ObjectOf<S>) : INVALID;
    },
  };
}

/** A mapping from any string key to values of one schema. */
export function record<T>(
  value: Schema<T>,
  opts: { key?: RegExp; keyDescribe?: string } = {},
): Schema<Record<string, T>> {
  const expected = `a mapping of ${value.expected}`;
  return {
    expected,
    check(input, path, issues) {
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        return fail(issues, path, `is ${show(input)} (expected ${expected})`);
      const out: Record<string, T> = {};
      let ok = true;
      for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
        if (opts.key && !opts.key.test(k)) {
          ok = false;
          issues.push({ path: join(path, k), message: `key is not ${opts.keyDescribe ?? String(opts.key)}` });
          continue;
        }
        const r = value.check(v, join(path, k), issues);
        if (r === INVALID) ok = false;
        else out[k] = r;
      }
      return ok ? out : INVALID;
    },
  };
}

/** Any value, passed through (environment options are the environment's to validate). */
export function unknownValue(): Schema<unknown> {
  return { expected: 'any value', check: (v) => v };
}

/**
 * Exactly one of several mappings, told apart by which of their keys is present
 * (`{restart: flannel}` vs `{reboot: all}`).
 */
export function variant<T>(cases: Record<string, Schema<T>>): Schema<T> {
  const keys = Object.keys(cases);
  const expected = `a mapping with one of: ${keys.join(', ')}`;
  return {
    expected,
    check(value, path, issues) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return fail(issues, path, `is ${show(value)} (expected ${expected})`);
      const present = keys.filter((k) => k in (value as Record<string, unknown>));
      if (present.length !== 1)
        return fail(
          issues,
          path,
          present.length === 0
            ? `names none of: ${keys.join(', ')}`
            : `names ${present.join(' and ')} (expected exactly one of: ${keys.join(', ')})`,
        );
      return cases[present[0]].check(value, path, issues);
    },
  };
}

/** Run a schema over a document; the value, or every issue found. */
export function validate<T>(
  schema: Schema<T>,
  value: unknown,
): { ok: true; value: T } | { ok: false; issues: Issue[] } {
  const issues: Issue[] = [];
  const r = schema.check(value, '', issues);
  if (r === INVALID || issues.length > 0) return { ok: false, issues };
  return { ok: true, value: r };
}
