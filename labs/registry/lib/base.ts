/**
 * One place that composes what every kind's strategy shares: decode-time defaulting (run on
 * create and on every update, as the apiserver defaults each request body), status ownership,
 * and ObjectMeta validation with the kind's naming rule.
 */
import type { FieldError } from '../../kube/errors.ts';
import { clone, type KObject } from '../../kube/object.ts';
import type { ClusterContext, Strategy } from '../strategy.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { type NameValidator, nameIsDNSSubdomain } from './names.ts';

export interface KindBehaviour
  extends Omit<Strategy, 'validate' | 'validateUpdate' | 'prepareForCreate' | 'prepareForUpdate'> {
  /** Naming rule for metadata.name; DNS-1123 subdomain unless said otherwise. */
  name?: NameValidator;
  /** Defaults applied to every incoming body (create and update). */
  defaults?(obj: KObject, ctx: ClusterContext): void;
  /**
   * The kind has a status owned by controllers: on create it is replaced by `initialStatus`
   * (`{}` when not given), on update of the main resource it is carried over from the old object.
   */
  status?: boolean;
  initialStatus?(obj: KObject): unknown;
  prepareForCreate?(obj: KObject, ctx: ClusterContext): void;
  prepareForUpdate?(obj: KObject, old: KObject, ctx: ClusterContext): void;
  validate?(obj: KObject, ctx: ClusterContext): FieldError[];
  validateUpdate?(obj: KObject, old: KObject, ctx: ClusterContext): FieldError[];
}

export function defineStrategy(b: KindBehaviour): Strategy {
  const nameFn = b.name ?? nameIsDNSSubdomain;
  const { name: _n, defaults, status, initialStatus, ...rest } = b;
  return {
    ...rest,
    prepareForCreate(obj, ctx) {
      defaults?.(obj, ctx);
      if (status) obj.status = initialStatus ? initialStatus(obj) : {};
      b.prepareForCreate?.(obj, ctx);
    },
    prepareForUpdate(obj, old, ctx) {
      defaults?.(obj, ctx);
      if (status) {
        if (old.status === undefined) delete obj.status;
        else obj.status = clone(old.status);
      }
      b.prepareForUpdate?.(obj, old, ctx);
    },
    validate(obj, ctx) {
      return [...validateObjectMeta(obj, nameFn), ...(b.validate?.(obj, ctx) ?? [])];
    },
    validateUpdate(obj, old, ctx) {
      return [...validateObjectMetaUpdate(obj, old), ...(b.validateUpdate?.(obj, old, ctx) ?? [])];
    },
  };
}

/** `obj.spec`, created if missing, so defaulting code can write into it. */
export function specOf(obj: KObject): Record<string, any> {
  if (!obj.spec || typeof obj.spec !== 'object') obj.spec = {};
  return obj.spec;
}

/** A value is "unset" in the Go sense when it is missing, null, or the zero string. */
export function unset(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}
