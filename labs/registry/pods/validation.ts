/**
 * PodSpec validation (pkg/apis/core/validation ValidatePodSpec and friends): the checks a learner
 * hits with hand-written manifests, with the apiserver's field paths and wording.
 */
import type { FieldError } from '../../kube/errors.ts';
import {
  duplicate,
  each,
  forbidden,
  IS_NEGATIVE,
  invalid,
  nonNegative,
  notFound,
  notSupported,
  required,
} from '../lib/field.ts';
import { validateLabels } from '../lib/meta.ts';
import {
  INVALID_IP,
  inclusiveRangeError,
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  parsesAsIP,
} from '../lib/names.ts';
import { parseQuantity } from '../lib/quantity.ts';
import { volumeSources } from './defaults.ts';

type Obj = Record<string, any>;

export interface PodSpecOptions {
  /** A Pod rather than a template: a few checks only apply to real pods. */
  pod: boolean;
}

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const MAX_INT32 = 2147483647;

const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter((x) => x && typeof x === 'object') : []);
const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);

export function dns1123Label(value: string, path: string): FieldError[] {
  return each(path, value, isDNS1123Label(value));
}

/** ValidatePortNumOrName: an int must be a port, a string an IANA_SVC_NAME. */
export function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === 'string') return each(path, port, isValidPortName(port));
  const n = typeof port === 'number' ? port : 0;
  return each(path, n, isValidPortNum(n));
}

function validateVolumeSource(v: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const sources = volumeSources(v);
  if (!sources.length) return [required(path, 'must specify a volume type')];
  for (const extra of sources.slice(1))
    errs.push(forbidden(`${path}.${extra}`, 'may not specify more than 1 volume type'));
  const [kind] = sources;
  const src = v[kind] ?? {};
  const p = `${path}.${kind}`;
  const mode = (m: unknown, at: string) =>
    typeof m === 'number' && (m < 0 || m > 0o777)
      ? [invalid(at, m, 'must be a number between 0 and 0777 (octal), both inclusive')]
      : [];
  switch (kind) {
    case 'hostPath':
      if (!str(src.path)) errs.push(required(`${p}.path`));
      if (
        src.type &&
        ![
          '',
          'DirectoryOrCreate',
          'Directory',
          'FileOrCreate',
          'File',
          'Socket',
          'CharDevice',
          'BlockDevice',
        ].includes(src.type)
      ) {
        errs.push(
          notSupported(`${p}.type`, src.type, [
            '',
            'BlockDevice',
            'CharDevice',
            'Directory',
            'DirectoryOrCreate',
            'File',
            'FileOrCreate',
            'Socket',
          ]),
        );
      }
      break;
    case 'secret':
      if (!str(src.secretName)) errs.push(required(`${p}.secretName`));
      errs.push(...mode(src.defaultMode, `${p}.defaultMode`));
      errs.push(...validateKeyToPaths(src.items, `${p}.items`));
      break;
    case 'configMap':
      if (!str(src.name)) errs.push(required(`${p}.name`));
      errs.push(...mode(src.defaultMode, `${p}.defaultMode`));
      errs.push(...validateKeyToPaths(src.items, `${p}.items`));
      break;
    case 'persistentVolumeClaim':
      if (!str(src.claimName)) errs.push(required(`${p}.claimName`));
      break;
    case 'nfs':
      if (!str(src.server)) errs.push(required(`${p}.server`));
      if (!str(src.path)) errs.push(required(`${p}.path`));
      else if (!str(src.path).startsWith('/'))
        errs.push(invalid(`${p}.path`, src.path, 'must be an absolute path'));
      break;
    case 'emptyDir':
      if (src.sizeLimit !== undefined && parseQuantity(src.sizeLimit) === undefined) {
        errs.push(invalid(`${p}.sizeLimit`, src.sizeLimit, 'must be a valid quantity'));
      }
      break;
  }
  return errs;
}

function validateKeyToPaths(items: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  list(items).forEach((item, i) => {
    const p = `${path}[${i}]`;
    if (!str(item.key)) errs.push(required(`${p}.key`));
    if (!str(item.path)) errs.push(required(`${p}.path`));
    else if (str(item.path).startsWith('/'))
      errs.push(invalid(`${p}.path`, item.path, 'must be a relative path'));
    else if (str(item.path).split('/').includes('..'))
      errs.push(invalid(`${p}.path`, item.path, "must not contain '..'"));
  });
  return errs;
}

/** Returns the names of well-formed volumes too: mounts may only refer to those. */
function validateVolumes(volumes: unknown, path: string): { names: Set<string>; errs: FieldError[] } {
  const names = new Set<string>();
  const errs: FieldError[] = [];
  list(volumes).forEach((v, i) => {
    const p = `${path}[${i}]`;
    const el = validateVolumeSource(v, p);
    const name = str(v.name);
    if (!name) el.push(required(`${p}.name`));
    else el.push(...dns1123Label(name, `${p}.name`));
    if (names.has(name)) el.push(duplicate(`${p}.name`, name));
    if (!el.length) names.add(name);
    else errs.push(...el);
  });
  return { names, errs };
}

const DOWNWARD_ENV_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

function validateEnv(env: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  list(env).forEach((e, i) => {
    const p = `${path}[${i}]`;
    const name = str(e.name);
    if (!name) errs.push(required(`${p}.name`));
    errs.push(...each(`${p}.name`, name, isEnvVarName(name)));
    const from = e.valueFrom;
    if (!from || typeof from !== 'object') return;
    const vp = `${p}.valueFrom`;
    const kinds = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter((k) => from[k]);
    if (from.fieldRef) {
      const fp = str(from.fieldRef.fieldPath);
      const subscripted = /^metadata\.(labels|annotations)\[.+\]$/.test(fp);
      if (!fp) errs.push(required(`${vp}.fieldRef.fieldPath`));
      else if (!subscripted && !DOWNWARD_ENV_PATHS.includes(fp)) {
        errs.push(
          invalid(
            `${vp}.fieldRef.fieldPath`,
            fp,
            `error converting fieldPath: field label not supported: ${fp}`,
          ),
        );
      }
    }
    for (const ref of ['configMapKeyRef', 'secretKeyRef']) {
      if (!from[ref]) continue;
      if (!str(from[ref].name)) errs.push(required(`${vp}.${ref}.name`));
      const k = str(from[ref].key);
      if (!k) errs.push(required(`${vp}.${ref}.key`));
      else errs.push(...each(`${vp}.${ref}.key`, k, isConfigMapKey(k)));
    }
    if (from.resourceFieldRef && !str(from.resourceFieldRef.resource))
      errs.push(required(`${vp}.resourceFieldRef.resource`));
    if (!kinds.length) {
      errs.push(
        invalid(
          vp,
          '',
          'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        ),
      );
    } else if (str(e.value)) {
      errs.push(invalid(vp, '', 'may not be specified when `value` is not empty'));
    } else if (kinds.length > 1) {
      errs.push(invalid(vp, '', 'may not have more than one field specified at a time'));
    }
  });
  return errs;
}

function validatePorts(ports: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  list(ports).forEach((port, i) => {
    const p = `${path}[${i}]`;
    if (port.name) {
      const msgs = isValidPortName(str(port.name));
      if (msgs.length) errs.push(...each(`${p}.name`, port.name, msgs));
      else if (names.has(port.name)) errs.push(duplicate(`${p}.name`, port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) errs.push(required(`${p}.containerPort`));
    else errs.push(...each(`${p}.containerPort`, port.containerPort, isValidPortNum(port.containerPort)));
    if (port.hostPort) errs.push(...each(`${p}.hostPort`, port.hostPort, isValidPortNum(port.hostPort)));
    if (!port.protocol) errs.push(required(`${p}.protocol`));
    else if (!PROTOCOLS.includes(port.protocol))
      errs.push(notSupported(`${p}.protocol`, port.protocol, PROTOCOLS));
  });
  return errs;
}

function validateHandler(h: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  for (const kind of ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep']) {
    const a = h[kind];
    if (!a || typeof a !== 'object') continue;
    if (count > 0) {
      errs.push(forbidden(`${path}.${kind}`, 'may not specify more than 1 handler type'));
      continue;
    }
    count++;
    const p = `${path}.${kind}`;
    if (kind === 'exec' && !(Array.isArray(a.command) && a.command.length))
      errs.push(required(`${p}.command`));
    if (kind === 'httpGet') {
      if (!str(a.path)) errs.push(required(`${p}.path`));
      errs.push(...validatePortNumOrName(a.port, `${p}.port`));
      if (!['HTTP', 'HTTPS'].includes(a.scheme))
        errs.push(notSupported(`${p}.scheme`, a.scheme ?? '', ['HTTP', 'HTTPS']));
    }
    if (kind === 'tcpSocket') errs.push(...validatePortNumOrName(a.port, `${p}.port`));
    if (kind === 'grpc') errs.push(...each(`${p}.port`, a.port ?? 0, isValidPortNum(a.port)));
  }
  if (!count) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

function validateProbe(probe: unknown, path: string, mustSucceedOnce: boolean): FieldError[] {
  if (!probe || typeof probe !== 'object') return [];
  const pr = probe as Obj;
  const errs = validateHandler(pr, path);
  for (const f of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ]) {
    errs.push(...nonNegative(`${path}.${f}`, pr[f]));
  }
  if (typeof pr.terminationGracePeriodSeconds === 'number' && pr.terminationGracePeriodSeconds <= 0) {
    errs.push(
      invalid(
        `${path}.terminationGracePeriodSeconds`,
        pr.terminationGracePeriodSeconds,
        'must be greater than 0',
      ),
    );
  }
  if (mustSucceedOnce && pr.successThreshold !== 1)
    errs.push(invalid(`${path}.successThreshold`, pr.successThreshold, 'must be 1'));
  return errs;
}

function validateResources(res: unknown, path: string): FieldError[] {
  if (!res || typeof res !== 'object') return [];
  const r = res as Obj;
  const errs: FieldError[] = [];
  for (const kind of ['limits', 'requests']) {
    for (const [name, q] of Object.entries(r[kind] ?? {})) {
      const v = parseQuantity(q);
      if (v !== undefined && v < 0) errs.push(invalid(`${path}.${kind}[${name}]`, String(q), IS_NEGATIVE));
    }
  }
  for (const [name, q] of Object.entries(r.requests ?? {})) {
    const limit = r.limits?.[name];
    if (limit === undefined) continue;
    const req = parseQuantity(q);
    const lim = parseQuantity(limit);
    if (req !== undefined && lim !== undefined && req > lim) {
      errs.push(
        invalid(`${path}.requests`, String(q), `must be less than or equal to ${name} limit of ${limit}`),
      );
    }
  }
  return errs;
}

function validateVolumeMounts(mounts: unknown, volumes: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  list(mounts).forEach((m, i) => {
    const p = `${path}[${i}]`;
    if (!str(m.name)) errs.push(required(`${p}.name`));
    if (!volumes.has(str(m.name))) errs.push(notFound(`${p}.name`, str(m.name)));
    if (!str(m.mountPath)) errs.push(required(`${p}.mountPath`));
    if (seen.has(str(m.mountPath))) errs.push(invalid(`${p}.mountPath`, m.mountPath, 'must be unique'));
    seen.add(str(m.mountPath));
    if (m.subPath && (str(m.subPath).startsWith('/') || str(m.subPath).split('/').includes('..'))) {
      errs.push(
        invalid(
          `${p}.subPath`,
          m.subPath,
          str(m.subPath).startsWith('/') ? 'must be a relative path' : "must not contain '..'",
        ),
      );
    }
  });
  return errs;
}

function validateContainer(c: Obj, path: string, volumes: Set<string>, opts: PodSpecOptions): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name);
  if (!name) errs.push(required(`${path}.name`));
  else errs.push(...dns1123Label(name, `${path}.name`));
  const image = str(c.image);
  if (!image) errs.push(required(`${path}.image`));
  switch (c.terminationMessagePolicy) {
    case 'File':
    case 'FallbackToLogsOnError':
      break;
    case undefined:
    case null:
    case '':
      errs.push(required(`${path}.terminationMessagePolicy`));
      break;
    default:
      errs.push(
        notSupported(`${path}.terminationMessagePolicy`, c.terminationMessagePolicy, [
          'File',
          'FallbackToLogsOnError',
        ]),
      );
  }
  errs.push(...validatePorts(c.ports, `${path}.ports`));
  errs.push(...validateEnv(c.env, `${path}.env`));
  switch (c.imagePullPolicy) {
    case 'Always':
    case 'IfNotPresent':
    case 'Never':
      break;
    case undefined:
    case null:
    case '':
      errs.push(required(`${path}.imagePullPolicy`));
      break;
    default:
      errs.push(
        notSupported(`${path}.imagePullPolicy`, c.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']),
      );
  }
  errs.push(...validateVolumeMounts(c.volumeMounts, volumes, `${path}.volumeMounts`));
  errs.push(...validateResources(c.resources, `${path}.resources`));
  if (opts.pod && image !== image.trim())
    errs.push(invalid(`${path}.image`, image, 'must not have leading or trailing whitespace'));
  return errs;
}

export function validateTolerations(tolerations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  list(tolerations).forEach((t, i) => {
    const p = `${path}[${i}]`;
    const k = str(t.key);
    if (k) errs.push(...each(`${p}.key`, k, isQualifiedName(k)));
    if (!k && t.operator !== 'Exists') {
      errs.push(
        invalid(
          `${p}.operator`,
          str(t.operator),
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      errs.push(
        invalid(`${p}.effect`, str(t.effect), "effect must be 'NoExecute' when `tolerationSeconds` is set"),
      );
    }
    switch (t.operator ?? '') {
      case 'Equal':
      case '': {
        const msgs = isValidLabelValue(str(t.value));
        if (msgs.length) errs.push(invalid(`${p}.operator`, str(t.value), msgs.join(';')));
        break;
      }
      case 'Exists':
        if (str(t.value))
          errs.push(invalid(`${p}.operator`, t, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(`${p}.operator`, t.operator, ['Equal', 'Exists']));
    }
    if (t.effect && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
      errs.push(notSupported(`${p}.effect`, t.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']));
    }
  });
  return errs;
}

function validateContainerList(
  containers: unknown,
  path: string,
  volumes: Set<string>,
  names: Set<string>,
  opts: PodSpecOptions,
  livenessRules: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  list(containers).forEach((c, i) => {
    const p = `${path}[${i}]`;
    errs.push(...validateContainer(c, p, volumes, opts));
    if (names.has(str(c.name))) errs.push(duplicate(`${p}.name`, str(c.name)));
    else names.add(str(c.name));
    if (livenessRules) {
      errs.push(...validateProbe(c.livenessProbe, `${p}.livenessProbe`, true));
      errs.push(...validateProbe(c.readinessProbe, `${p}.readinessProbe`, false));
      errs.push(...validateProbe(c.startupProbe, `${p}.startupProbe`, true));
    }
  });
  return errs;
}

export function validatePodSpec(spec: Obj | undefined, path: string, opts: PodSpecOptions): FieldError[] {
  const s: Obj = spec && typeof spec === 'object' ? spec : {};
  const errs: FieldError[] = [];
  const vols = validateVolumes(s.volumes, `${path}.volumes`);
  errs.push(...vols.errs);
  const names = new Set<string>();
  if (!list(s.containers).length) errs.push(required(`${path}.containers`));
  errs.push(...validateContainerList(s.containers, `${path}.containers`, vols.names, names, opts, true));
  errs.push(
    ...validateContainerList(s.initContainers, `${path}.initContainers`, vols.names, names, opts, false),
  );
  if (s.hostNetwork) {
    for (const kind of ['containers', 'initContainers']) {
      list(s[kind]).forEach((c, i) => {
        list(c.ports).forEach((port, j) => {
          if ((opts.pod || port.hostPort) && (port.hostPort ?? 0) !== port.containerPort) {
            errs.push(
              invalid(
                `${path}.${kind}[${i}].ports[${j}].hostPort`,
                port.hostPort ?? 0,
                'must match `containerPort` when `hostNetwork` is true',
              ),
            );
          }
        });
      });
    }
  }
  switch (s.restartPolicy) {
    case 'Always':
    case 'OnFailure':
    case 'Never':
      break;
    case undefined:
    case null:
    case '':
      errs.push(required(`${path}.restartPolicy`));
      break;
    default:
      errs.push(notSupported(`${path}.restartPolicy`, s.restartPolicy, ['Always', 'OnFailure', 'Never']));
  }
  switch (s.dnsPolicy) {
    case 'ClusterFirstWithHostNet':
    case 'ClusterFirst':
    case 'Default':
    case 'None':
      break;
    case undefined:
    case null:
    case '':
      errs.push(required(`${path}.dnsPolicy`));
      break;
    default:
      errs.push(
        notSupported(`${path}.dnsPolicy`, s.dnsPolicy, [
          'ClusterFirstWithHostNet',
          'ClusterFirst',
          'Default',
          'None',
        ]),
      );
  }
  errs.push(...validateLabels(s.nodeSelector, `${path}.nodeSelector`));
  errs.push(...validateDNSConfig(s, `${path}.dnsConfig`));
  if (s.serviceAccountName)
    errs.push(
      ...each(
        `${path}.serviceAccountName`,
        s.serviceAccountName,
        isDNS1123Subdomain(str(s.serviceAccountName)),
      ),
    );
  if (s.nodeName) errs.push(...each(`${path}.nodeName`, s.nodeName, isDNS1123Subdomain(str(s.nodeName))));
  if (s.activeDeadlineSeconds !== undefined && s.activeDeadlineSeconds !== null) {
    const v = s.activeDeadlineSeconds;
    if (v < 1 || v > MAX_INT32)
      errs.push(invalid(`${path}.activeDeadlineSeconds`, v, inclusiveRangeError(1, MAX_INT32)));
  }
  if (s.hostname) errs.push(...dns1123Label(str(s.hostname), `${path}.hostname`));
  if (s.subdomain) errs.push(...dns1123Label(str(s.subdomain), `${path}.subdomain`));
  errs.push(...validateTolerations(s.tolerations, `${path}.tolerations`));
  if (s.priorityClassName)
    errs.push(
      ...each(`${path}.priorityClassName`, s.priorityClassName, isDNS1123Subdomain(str(s.priorityClassName))),
    );
  if (s.preemptionPolicy && !['Never', 'PreemptLowerPriority'].includes(s.preemptionPolicy)) {
    errs.push(
      notSupported(`${path}.preemptionPolicy`, s.preemptionPolicy, ['Never', 'PreemptLowerPriority']),
    );
  }
  return errs;
}

function validateDNSConfig(s: Obj, path: string): FieldError[] {
  const cfg = s.dnsConfig;
  if (s.dnsPolicy === 'None') {
    if (!cfg || typeof cfg !== 'object')
      return [required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (!(Array.isArray(cfg.nameservers) && cfg.nameservers.length)) {
      return [
        required(`${path}.nameservers`, 'must provide at least one DNS nameserver when `dnsPolicy` is None'),
      ];
    }
  }
  if (!cfg || typeof cfg !== 'object') return [];
  const errs: FieldError[] = [];
  const servers: unknown[] = Array.isArray(cfg.nameservers) ? cfg.nameservers : [];
  if (servers.length > 3)
    errs.push(invalid(`${path}.nameservers`, servers, 'must not have more than 3 nameservers'));
  servers.forEach((ns, i) => {
    if (!parsesAsIP(ns)) errs.push(invalid(`${path}.nameservers[${i}]`, ns, INVALID_IP));
  });
  return errs;
}
