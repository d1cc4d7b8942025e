/**
 * ValidatePodUpdate: a running Pod's spec is frozen except container images, a shrinking
 * activeDeadlineSeconds, added tolerations and removed scheduling gates. Anything else gets the
 * long Forbidden message learners know from `kubectl apply`, followed by a diff of the spec.
 */
import type { FieldError } from '../../kube/errors.ts';
import { clone } from '../../kube/object.ts';
import { forbidden, invalid, required, sameJSON } from '../lib/field.ts';
import { inclusiveRangeError } from '../lib/names.ts';
import { validateTolerations } from './validation.ts';

type Obj = Record<string, any>;

const UPDATABLE = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** PodSpec fields in the order of the Go struct, named as cmp.Diff prints them. */
const SPEC_FIELDS: [string, string][] = [
  ['volumes', 'Volumes'],
  ['initContainers', 'InitContainers'],
  ['containers', 'Containers'],
  ['ephemeralContainers', 'EphemeralContainers'],
  ['restartPolicy', 'RestartPolicy'],
  ['terminationGracePeriodSeconds', 'TerminationGracePeriodSeconds'],
  ['activeDeadlineSeconds', 'ActiveDeadlineSeconds'],
  ['dnsPolicy', 'DNSPolicy'],
  ['nodeSelector', 'NodeSelector'],
  ['serviceAccountName', 'ServiceAccountName'],
  ['automountServiceAccountToken', 'AutomountServiceAccountToken'],
  ['nodeName', 'NodeName'],
  ['securityContext', 'SecurityContext'],
  ['imagePullSecrets', 'ImagePullSecrets'],
  ['hostname', 'Hostname'],
  ['subdomain', 'Subdomain'],
  ['setHostnameAsFQDN', 'SetHostnameAsFQDN'],
  ['affinity', 'Affinity'],
  ['schedulerName', 'SchedulerName'],
  ['tolerations', 'Tolerations'],
  ['hostAliases', 'HostAliases'],
  ['priorityClassName', 'PriorityClassName'],
  ['priority', 'Priority'],
  ['preemptionPolicy', 'PreemptionPolicy'],
  ['dnsConfig', 'DNSConfig'],
  ['readinessGates', 'ReadinessGates'],
  ['runtimeClassName', 'RuntimeClassName'],
  ['overhead', 'Overhead'],
  ['enableServiceLinks', 'EnableServiceLinks'],
  ['topologySpreadConstraints', 'TopologySpreadConstraints'],
  ['os', 'OS'],
  ['schedulingGates', 'SchedulingGates'],
  ['resourceClaims', 'ResourceClaims'],
];

function goValue(v: unknown): string {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** A cmp.Diff-like rendering of the changed top-level PodSpec fields. */
export function podSpecDiff(oldSpec: Obj, newSpec: Obj): string {
  const lines = ['  core.PodSpec{'];
  let same = 0;
  const flush = () => {
    if (same) lines.push(`  \t... // ${same} identical ${same === 1 ? 'field' : 'fields'}`);
    same = 0;
  };
  const known = new Set(SPEC_FIELDS.map(([k]) => k));
  const fields = [
    ...SPEC_FIELDS,
    ...Object.keys({ ...oldSpec, ...newSpec })
      .filter((k) => !known.has(k))
      .map((k): [string, string] => [k, k[0].toUpperCase() + k.slice(1)]),
  ];
  for (const [k, goName] of fields) {
    if (sameJSON(oldSpec[k], newSpec[k])) {
      same++;
      continue;
    }
    flush();
    lines.push(`- \t${goName}: ${goValue(oldSpec[k])},`);
    lines.push(`+ \t${goName}: ${goValue(newSpec[k])},`);
  }
  flush();
  lines.push('  }');
  return lines.join('\n');
}

function containerUpdates(next: unknown, old: unknown, path: string): { errs: FieldError[]; stop: boolean } {
  const n: Obj[] = Array.isArray(next) ? next : [];
  const o: Obj[] = Array.isArray(old) ? old : [];
  if (n.length !== o.length)
    return { errs: [forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  n.forEach((c, i) => {
    const image = typeof c?.image === 'string' ? c.image : '';
    if (!image) errs.push(required(`${path}[${i}].image`));
    if (image !== image.trim())
      errs.push(invalid(`${path}[${i}].image`, image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

function onlyAddedTolerations(next: unknown, old: unknown, path: string): FieldError[] {
  const n: Obj[] = Array.isArray(next) ? next : [];
  for (const o of Array.isArray(old) ? old : []) {
    const found = n.some((t) => sameJSON({ ...o, tolerationSeconds: t?.tolerationSeconds }, t));
    if (!found)
      return [forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(n, path);
}

function ephemeralAdded(old: unknown, next: unknown): boolean {
  const o: Obj[] = Array.isArray(old) ? old : [];
  const n: Obj[] = Array.isArray(next) ? next : [];
  return n.length >= o.length && o.every((c, i) => sameJSON(c, n[i]));
}

export function validatePodSpecUpdate(newSpec: Obj, oldSpec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const c = containerUpdates(newSpec.containers, oldSpec.containers, 'spec.containers');
  errs.push(...c.errs);
  if (c.stop) return errs;
  const ic = containerUpdates(newSpec.initContainers, oldSpec.initContainers, 'spec.initContainers');
  errs.push(...ic.errs);
  if (ic.stop) return errs;

  const deadline = newSpec.activeDeadlineSeconds;
  const oldDeadline = oldSpec.activeDeadlineSeconds;
  if (deadline !== undefined && deadline !== null) {
    if (deadline < 0 || deadline > 2147483647) {
      return [...errs, invalid('spec.activeDeadlineSeconds', deadline, inclusiveRangeError(0, 2147483647))];
    }
    if (oldDeadline !== undefined && oldDeadline !== null && oldDeadline < deadline) {
      return [
        ...errs,
        invalid('spec.activeDeadlineSeconds', deadline, 'must be less than or equal to previous value'),
      ];
    }
  } else if (oldDeadline !== undefined && oldDeadline !== null) {
    errs.push(
      invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'),
    );
  }

  errs.push(...onlyAddedTolerations(newSpec.tolerations, oldSpec.tolerations, 'spec.tolerations'));
  const oldGates: Obj[] = Array.isArray(oldSpec.schedulingGates) ? oldSpec.schedulingGates : [];
  for (const g of Array.isArray(newSpec.schedulingGates) ? newSpec.schedulingGates : []) {
    if (!oldGates.some((o) => o?.name === g?.name)) {
      errs.push(forbidden('spec.schedulingGates', 'only deletion is allowed, but found new scheduling gate'));
      break;
    }
  }
  if (sameJSON(newSpec, oldSpec)) return errs;

  const munged = clone(newSpec);
  (munged.containers ?? []).forEach((ctr: Obj, i: number) => {
    if (ctr) ctr.image = oldSpec.containers?.[i]?.image;
  });
  (munged.initContainers ?? []).forEach((ctr: Obj, i: number) => {
    if (ctr) ctr.image = oldSpec.initContainers?.[i]?.image;
  });
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.schedulingGates = oldSpec.schedulingGates;
  munged.tolerations = oldSpec.tolerations;
  // The binding and ephemeralcontainers subresources reach the store as ordinary updates here, so
  // binding an unbound pod and adding ephemeral containers pass (the apiserver's own paths for them).
  if (!oldSpec.nodeName && munged.nodeName) munged.nodeName = oldSpec.nodeName;
  if (ephemeralAdded(oldSpec.ephemeralContainers, munged.ephemeralContainers)) {
    munged.ephemeralContainers = oldSpec.ephemeralContainers;
  }
  if ((oldSpec.terminationGracePeriodSeconds ?? 0) < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  if (!sameJSON(munged, oldSpec)) {
    errs.push(
      forbidden(
        'spec',
        `pod updates may not change fields other than ${UPDATABLE.join(',')}\n${podSpecDiff(oldSpec, munged)}`,
      ),
    );
  }
  return errs;
}
