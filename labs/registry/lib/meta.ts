/** ObjectMeta validation as k8s.io/apimachinery/pkg/api/validation does it for every kind. */
import type { FieldError } from '../../kube/errors.ts';
import type { KObject, ObjectMeta } from '../../kube/object.ts';
import { each, immutable, invalid, required, tooLong } from './field.ts';
import { isQualifiedName, isValidLabelValue, type NameValidator } from './names.ts';

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateLabels(
  labels: Record<string, unknown> | undefined | null,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...each(path, k, isQualifiedName(k)));
    errs.push(...each(path, v, isValidLabelValue(String(v ?? ''))));
  }
  return errs;
}

export function validateAnnotations(
  annotations: Record<string, unknown> | undefined | null,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    errs.push(...each(path, k, isQualifiedName(k.toLowerCase())));
    size += k.length + String(v ?? '').length;
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

export function validateOwnerReferences(meta: ObjectMeta, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let controllers = 0;
  for (const ref of meta.ownerReferences ?? []) {
    const version = (ref.apiVersion ?? '').split('/').pop() ?? '';
    if (!version) errs.push(invalid(`${path}.apiVersion`, ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) errs.push(invalid(`${path}.kind`, ref.kind ?? '', 'must not be empty'));
    if (!ref.name) errs.push(invalid(`${path}.name`, ref.name ?? '', 'must not be empty'));
    if (!ref.uid) errs.push(invalid(`${path}.uid`, ref.uid ?? '', 'must not be empty'));
    if (ref.controller) controllers++;
  }
  if (controllers > 1) {
    const names = (meta.ownerReferences ?? [])
      .filter((r) => r.controller)
      .map((r) => `${r.kind}/${r.name}`)
      .join(', ');
    errs.push(
      invalid(
        path,
        meta.ownerReferences,
        `Only one reference can have Controller set to true. Found "true" in references for ${names}`,
      ),
    );
  }
  return errs;
}

/** ValidateObjectMeta: names (with the kind's rule), labels, annotations, owner references, finalizers. */
export function validateObjectMeta(obj: KObject, nameFn: NameValidator): FieldError[] {
  const meta = obj.metadata ?? {};
  const errs: FieldError[] = [];
  if (meta.generateName)
    errs.push(...each('metadata.generateName', meta.generateName, nameFn(meta.generateName, true)));
  if (!meta.name) errs.push(required('metadata.name', 'name or generateName is required'));
  else errs.push(...each('metadata.name', meta.name, nameFn(meta.name, false)));
  if (typeof meta.generation === 'number' && meta.generation < 0) {
    errs.push(invalid('metadata.generation', meta.generation, 'must be greater than or equal to 0'));
  }
  errs.push(...validateLabels(meta.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  errs.push(...validateOwnerReferences(meta, 'metadata.ownerReferences'));
  for (const f of meta.finalizers ?? []) errs.push(...each('metadata.finalizers', f, isQualifiedName(f)));
  return errs;
}

export function validateObjectMetaUpdate(obj: KObject, old: KObject): FieldError[] {
  return [
    ...immutable('metadata.name', obj.metadata.name, old.metadata.name),
    ...immutable('metadata.namespace', obj.metadata.namespace, old.metadata.namespace),
  ];
}
