/** What every pod-template workload shares: selector checks, template validation, Go-style renderings. */
import type { FieldError } from '../../kube/errors.ts';
import type { KObject } from '../../kube/object.ts';
import { matchesSelector, selectorFromObject } from '../../kube/selectors.ts';
import { each, forbidden, invalid, nonNegative, notSupported, required } from '../lib/field.ts';
import { validateAnnotations, validateLabels } from '../lib/meta.ts';
import { isQualifiedName, isValidLabelValue, isValidPercent } from '../lib/names.ts';
import { validatePodSpec } from '../pods/validation.ts';

type Obj = Record<string, any>;

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export function validateLabelSelector(sel: unknown, path: string): FieldError[] {
  if (!sel || typeof sel !== 'object') return [];
  const s = sel as Obj;
  const errs = validateLabels(s.matchLabels, `${path}.matchLabels`);
  (Array.isArray(s.matchExpressions) ? s.matchExpressions : []).forEach((e: Obj, i: number) => {
    const p = `${path}.matchExpressions[${i}]`;
    const values: unknown[] = Array.isArray(e?.values) ? e.values : [];
    switch (e?.operator) {
      case 'In':
      case 'NotIn':
        if (!values.length)
          errs.push(required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length)
          errs.push(
            forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
          );
        break;
      default:
        errs.push(invalid(`${p}.operator`, e?.operator ?? '', 'not a valid selector operator'));
    }
    errs.push(...each(`${p}.key`, e?.key ?? '', isQualifiedName(String(e?.key ?? ''))));
    values.forEach((v, j) => {
      errs.push(...each(`${p}.values[${j}]`, v, isValidLabelValue(String(v))));
    });
  });
  return errs;
}

/** LabelSelectorAsSelector fails on unknown operators; validation then reports "invalid label selector". */
export function selectorParses(sel: unknown): boolean {
  if (!sel || typeof sel !== 'object') return true;
  return ((sel as Obj).matchExpressions ?? []).every((e: Obj) => OPERATORS.includes(e?.operator));
}

export function selectorIsEmpty(sel: unknown): boolean {
  const s = (sel ?? {}) as Obj;
  return !Object.keys(s.matchLabels ?? {}).length && !(s.matchExpressions ?? []).length;
}

/**
 * How a selector shows up as the value of a validation error. The apiserver prints the Go struct
 * (`v1.LabelSelector{MatchLabels:map[string]string{...}, ...}`); the closest our error renderer
 * can print is the label map itself.
 */
export function selectorValue(sel: unknown): unknown {
  const s = (sel ?? {}) as Obj;
  if (!(s.matchExpressions ?? []).length) return { ...(s.matchLabels ?? {}) };
  return s;
}

/** ValidatePodTemplateSpec: template labels and annotations, then the pod spec. */
export function validatePodTemplate(template: unknown, path: string): FieldError[] {
  if (!template || typeof template !== 'object') return [required(path)];
  const t = template as Obj;
  const errs = [
    ...validateLabels(t.metadata?.labels, `${path}.labels`),
    ...validateAnnotations(t.metadata?.annotations, `${path}.annotations`),
    ...validatePodSpec(t.spec, `${path}.spec`, { pod: false }),
  ];
  if ((t.spec?.ephemeralContainers ?? []).length) {
    errs.push(
      forbidden(`${path}.spec.ephemeralContainers`, 'ephemeral containers not allowed in pod template'),
    );
  }
  return errs;
}

/** Template labels must be selected by the workload's selector. */
export function selectorMatchesTemplate(sel: unknown, template: Obj | undefined, path: string): FieldError[] {
  const labels = template?.metadata?.labels ?? {};
  if (matchesSelector(selectorFromObject(sel as Obj), labels)) return [];
  return [invalid(`${path}.metadata.labels`, { ...labels }, '`selector` does not match template `labels`')];
}

/**
 * ValidatePodTemplateSpecForReplicaSet: Deployment/ReplicaSet-style selector and template rules.
 * `what` names the kind in "empty selector is invalid for ...".
 */
export function validateReplicatedSpec(
  obj: KObject,
  what: string,
  restartPolicies = ['Always'],
): FieldError[] {
  const spec: Obj = obj.spec ?? {};
  const errs: FieldError[] = [];
  errs.push(...nonNegative('spec.replicas', spec.replicas));
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  const sel = spec.selector;
  if (!sel || typeof sel !== 'object') errs.push(required('spec.selector'));
  else {
    errs.push(...validateLabelSelector(sel, 'spec.selector'));
    if (selectorIsEmpty(sel))
      errs.push(invalid('spec.selector', selectorValue(sel), `empty selector is invalid for ${what}`));
  }
  if (!selectorParses(sel)) errs.push(invalid('spec.selector', selectorValue(sel), 'invalid label selector'));
  else errs.push(...templateForReplicaSet(spec, 'spec.template', restartPolicies, what));
  return errs;
}

function templateForReplicaSet(
  spec: Obj,
  path: string,
  restartPolicies: string[],
  what: string,
): FieldError[] {
  const t = spec.template;
  if (!t || typeof t !== 'object') return [required(path)];
  const errs: FieldError[] = [];
  // A missing selector selects nothing (so nothing matches); an empty one selects everything.
  if (!spec.selector || typeof spec.selector !== 'object') {
    const labels = { ...(t.metadata?.labels ?? {}) };
    errs.push(invalid(`${path}.metadata.labels`, labels, '`selector` does not match template `labels`'));
  } else if (!selectorIsEmpty(spec.selector)) errs.push(...selectorMatchesTemplate(spec.selector, t, path));
  errs.push(...validatePodTemplate(t, path));
  const rp = t.spec?.restartPolicy;
  if (!restartPolicies.includes(rp))
    errs.push(notSupported(`${path}.spec.restartPolicy`, rp ?? '', restartPolicies));
  if (
    t.spec?.activeDeadlineSeconds !== undefined &&
    t.spec?.activeDeadlineSeconds !== null &&
    what !== 'job'
  ) {
    const kind = what === 'daemonset' ? 'DaemonSet' : 'ReplicaSet';
    errs.push(
      invalid(
        `${path}.spec.activeDeadlineSeconds`,
        t.spec.activeDeadlineSeconds,
        `activeDeadlineSeconds in ${kind} is not Supported`,
      ),
    );
  }
  return errs;
}

/** ValidatePositiveIntOrPercent for maxSurge / maxUnavailable. */
export function validateIntOrPercent(v: unknown, path: string): FieldError[] {
  if (typeof v === 'string') return each(path, v, isValidPercent(v));
  return nonNegative(path, v);
}

export function intOrPercentValue(v: unknown): number {
  if (typeof v === 'string') return Number.parseInt(v, 10) || 0;
  return typeof v === 'number' ? v : 0;
}

export function notMoreThan100Percent(v: unknown, path: string): FieldError[] {
  if (typeof v === 'string' && isValidPercent(v).length === 0 && intOrPercentValue(v) > 100) {
    return [invalid(path, v, 'must not be greater than 100%')];
  }
  return [];
}
