/**
 * A container's environment as the kubelet assembles it: Service links (`HTTPD_SVC_SERVICE_HOST`,
 * `KUBERNETES_PORT_443_TCP` ...), then envFrom, then env with `$(VAR)` references and valueFrom
 * (fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef). A missing ConfigMap or Secret is a
 * CreateContainerConfigError with the kubelet's message.
 */
import type { KObject } from '../kube/object.ts';

type Obj = Record<string, any>;

export class ContainerConfigError extends Error {}

export interface EnvSources {
  pod: KObject;
  podIP: string;
  hostIP: string;
  /** Node allocatable, for resourceFieldRef without a limit. */
  allocatable: { cpu: string; memory: string; 'ephemeral-storage'?: string };
  /** Services whose links the pod gets: its namespace's, plus `default/kubernetes`. */
  services: KObject[];
  configMap(namespace: string, name: string): KObject | undefined;
  secret(namespace: string, name: string): KObject | undefined;
}

const envName = (s: string) => s.toUpperCase().replace(/-/g, '_');

/** Docker-link style variables of Services (pkg/kubelet/envvars). */
export function serviceEnv(services: KObject[]): [string, string][] {
  const out: [string, string][] = [];
  const sorted = [...services].sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  for (const svc of sorted) {
    const ip: string | undefined = svc.spec?.clusterIP;
    const ports: Obj[] = svc.spec?.ports ?? [];
    if (!ip || ip === 'None' || !ports.length) continue;
    const prefix = envName(svc.metadata.name!);
    out.push([`${prefix}_SERVICE_HOST`, ip]);
    out.push([`${prefix}_SERVICE_PORT`, String(ports[0].port)]);
    for (const p of ports)
      if (p.name) out.push([`${prefix}_SERVICE_PORT_${envName(p.name)}`, String(p.port)]);
    ports.forEach((p, i) => {
      const proto = String(p.protocol ?? 'TCP');
      const url = `${proto.toLowerCase()}://${ip}:${p.port}`;
      if (i === 0) out.push([`${prefix}_PORT`, url]);
      const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.push(
        [pp, url],
        [`${pp}_PROTO`, proto.toLowerCase()],
        [`${pp}_PORT`, String(p.port)],
        [`${pp}_ADDR`, ip],
      );
    });
  }
  return out;
}

/** `$(VAR)` expansion (k8s.io/kubernetes/third_party/forked/golang/expansion): unknown refs stay, `$$` escapes. */
export function expand(input: string, vars: Map<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      out += vars.has(name) ? vars.get(name)! : `$(${name})`;
      i = close;
    } else {
      out += ch;
    }
  }
  return out;
}

function decode(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}

function fieldValue(path: string, s: EnvSources): string {
  const { pod } = s;
  const m = path.match(/^metadata\.(labels|annotations)\['(.+)'\]$/);
  if (m) return (pod.metadata[m[1] as 'labels'] as Record<string, string> | undefined)?.[m[2]] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'metadata.labels':
    case 'metadata.annotations': {
      const map = (path === 'metadata.labels' ? pod.metadata.labels : pod.metadata.annotations) ?? {};
      return Object.keys(map)
        .sort()
        .map((k) => `${k}="${map[k]}"`)
        .join('\n');
    }
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return s.hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return s.podIP;
    default:
      throw new ContainerConfigError(`unsupported fieldPath: ${path}`);
  }
}

const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
};

function quantity(q: unknown): number {
  const m = String(q ?? '').match(/^([0-9.]+)([a-zA-Z]*)$/);
  if (!m || SUFFIX[m[2]] === undefined) return 0;
  return Number(m[1]) * SUFFIX[m[2]];
}

function resourceValue(ref: Obj, container: Obj, s: EnvSources): string {
  const [kind, resource] = String(ref.resource ?? '').split('.');
  const res = container.resources ?? {};
  const set =
    (kind === 'requests' ? res.requests : res.limits)?.[resource] ??
    (kind === 'requests' ? res.limits?.[resource] : undefined);
  const value = set !== undefined ? quantity(set) : quantity((s.allocatable as Obj)[resource] ?? '0');
  const divisor = quantity(ref.divisor ?? '1') || 1;
  return String(Math.ceil(value / divisor));
}

/** The environment for one container, in the order the kubelet builds it (later wins). */
export function containerEnv(container: Obj, s: EnvSources): { name: string; value: string }[] {
  const ns = s.pod.metadata.namespace ?? 'default';
  const vars = new Map<string, string>();
  const links =
    s.pod.spec?.enableServiceLinks === false
      ? s.services.filter((x) => x.metadata.namespace === 'default' && x.metadata.name === 'kubernetes')
      : s.services;
  for (const [k, v] of serviceEnv(links)) vars.set(k, v);

  for (const from of container.envFrom ?? []) {
    const prefix: string = from.prefix ?? '';
    if (from.configMapRef) {
      const cm = s.configMap(ns, from.configMapRef.name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${from.configMapRef.name}" not found`);
      }
      for (const [k, v] of Object.entries<string>(cm.data ?? {})) vars.set(prefix + k, v);
    } else if (from.secretRef) {
      const sec = s.secret(ns, from.secretRef.name);
      if (!sec) {
        if (from.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${from.secretRef.name}" not found`);
      }
      for (const [k, v] of Object.entries<string>(sec.data ?? {})) vars.set(prefix + k, decode(v));
    }
  }

  for (const e of container.env ?? []) {
    if (e.valueFrom === undefined || e.valueFrom === null) {
      vars.set(e.name, expand(String(e.value ?? ''), vars));
      continue;
    }
    const vf = e.valueFrom;
    if (vf.fieldRef) vars.set(e.name, fieldValue(vf.fieldRef.fieldPath, s));
    else if (vf.resourceFieldRef) vars.set(e.name, resourceValue(vf.resourceFieldRef, container, s));
    else if (vf.configMapKeyRef) {
      const { name, key, optional } = vf.configMapKeyRef;
      const cm = s.configMap(ns, name);
      if (!cm) {
        if (optional) continue;
        throw new ContainerConfigError(`configmap "${name}" not found`);
      }
      const v = cm.data?.[key];
      if (v === undefined) {
        if (optional) continue;
        throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
      }
      vars.set(e.name, v);
    } else if (vf.secretKeyRef) {
      const { name, key, optional } = vf.secretKeyRef;
      const sec = s.secret(ns, name);
      if (!sec) {
        if (optional) continue;
        throw new ContainerConfigError(`secret "${name}" not found`);
      }
      const v = sec.data?.[key];
      if (v === undefined) {
        if (optional) continue;
        throw new ContainerConfigError(`couldn't find key ${key} in Secret ${ns}/${name}`);
      }
      vars.set(e.name, decode(v));
    }
  }
  return [...vars.entries()].map(([name, value]) => ({ name, value }));
}

/** command/args with `$(VAR)` references resolved against the container's environment. */
export function expandCommand(
  list: string[] | undefined,
  env: { name: string; value: string }[],
): string[] | undefined {
  if (!list) return undefined;
  const vars = new Map(env.map((e) => [e.name, e.value]));
  return list.map((s) => expand(String(s), vars));
}
