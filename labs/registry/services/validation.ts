/** ValidateService and ValidateServiceUpdate, with the apiserver's field paths and wording. */
import type { FieldError } from '../../kube/errors.ts';
import type { KObject } from '../../kube/object.ts';
import { duplicate, each, forbidden, invalid, notSupported, required } from '../lib/field.ts';
import { validateLabels } from '../lib/meta.ts';
import {
  INVALID_IP,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidPortNum,
  nonSpecialIPErrors,
  parsesAsIP,
} from '../lib/names.ts';
import { validatePortNumOrName } from '../pods/validation.ts';
import { externallyAccessible, isHeadless, needsHealthCheckNodePort, ports } from './fields.ts';

type Obj = Record<string, any>;

const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const KUBELET_PORT = 10250;
const MAX_AFFINITY_SECONDS = 86400;

/** How Go's %#v shows the (protocol, port) key of a duplicated service port. */
function servicePortKey(p: Obj): string {
  return `core.ServicePort{Name:"", Protocol:${JSON.stringify(p.protocol ?? '')}, AppProtocol:(*string)(nil), Port:${p.port ?? 0}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
}

function validateServicePort(p: Obj, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = typeof p.name === 'string' ? p.name : '';
  if (requireName && !name) errs.push(required(`${path}.name`));
  else if (name) {
    errs.push(...each(`${path}.name`, name, isDNS1123Label(name)));
    if (names.has(name)) errs.push(duplicate(`${path}.name`, name));
    else names.add(name);
  }
  errs.push(...each(`${path}.port`, p.port ?? 0, isValidPortNum(p.port)));
  if (!p.protocol) errs.push(required(`${path}.protocol`));
  else if (!PROTOCOLS.includes(p.protocol))
    errs.push(notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
  errs.push(...validatePortNumOrName(p.targetPort, `${path}.targetPort`));
  if (p.appProtocol !== undefined && p.appProtocol !== null) {
    errs.push(...each(`${path}.appProtocol`, p.appProtocol, isQualifiedName(String(p.appProtocol))));
  }
  return errs;
}

function validateClientIPAffinity(cfg: Obj | undefined, path: string): FieldError[] {
  const why = 'when session affinity type is ClientIP';
  if (!cfg) return [required(path, why)];
  if (!cfg.clientIP) return [required(`${path}.clientIP`, why)];
  const t = cfg.clientIP.timeoutSeconds;
  if (t === undefined || t === null) return [required(`${path}.clientIP.timeoutSeconds`, why)];
  if (!(t > 0 && t <= MAX_AFFINITY_SECONDS)) {
    return [
      invalid(
        `${path}.clientIP.timeoutSeconds`,
        t,
        `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`,
      ),
    ];
  }
  return [];
}

function validateClusterIPFields(svc: KObject): FieldError[] {
  const spec = svc.spec;
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ips: string[] = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
  if (spec.clusterIP) {
    if (!ips.length) errs.push(required('spec.clusterIPs'));
    else if (ips[0] !== spec.clusterIP)
      errs.push(invalid('spec.clusterIPs', ips, 'first value must match `clusterIP`'));
  } else if (ips.length) {
    errs.push(invalid('spec.clusterIPs', ips, 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  (Array.isArray(spec.ipFamilies) ? spec.ipFamilies : []).forEach((f: string, i: number) => {
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(notSupported(`spec.ipFamilies[${i}]`, f, ['IPv4', 'IPv6']));
    if (seen.has(f)) errs.push(duplicate(`spec.ipFamilies[${i}]`, f));
    seen.add(f);
  });
  if (
    spec.ipFamilyPolicy &&
    !['PreferDualStack', 'RequireDualStack', 'SingleStack'].includes(spec.ipFamilyPolicy)
  ) {
    errs.push(
      notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, [
        'PreferDualStack',
        'RequireDualStack',
        'SingleStack',
      ]),
    );
  }
  let bad = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        bad = true;
        errs.push(invalid('spec.clusterIPs', ips, "'None' must be the first and only value"));
      }
      return;
    }
    if (!parsesAsIP(ip)) {
      bad = true;
      errs.push(invalid(`spec.clusterIPs[${i}]`, ip, INVALID_IP));
    }
  });
  if (ips.length > 2) errs.push(invalid('spec.clusterIPs', ips, 'may only hold up to 2 values'));
  if (bad) return errs;
  if (ips.length > 1 && isIPv6(ips[0]) === isIPv6(ips[1])) {
    errs.push(invalid('spec.clusterIPs', ips, 'may specify no more than one IP for each IP family'));
  }
  return errs;
}

const isIPv6 = (ip: string) => ip.includes(':');

export function validateService(svc: KObject): FieldError[] {
  const spec: Obj = svc.spec ?? {};
  const errs: FieldError[] = [];
  const list = ports(svc);
  const headless = isHeadless(svc);
  if (!list.length && !headless && spec.type !== 'ExternalName') errs.push(required('spec.ports'));
  switch (spec.type) {
    case 'LoadBalancer':
      list.forEach((p, i) => {
        if (p.port === KUBELET_PORT) {
          errs.push(
            invalid(
              `spec.ports[${i}]`,
              p.port,
              `may not expose port ${KUBELET_PORT} externally since it is used by kubelet`,
            ),
          );
        }
      });
      if (headless)
        errs.push(
          invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for LoadBalancer services"),
        );
      break;
    case 'NodePort':
      if (headless)
        errs.push(invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for NodePort services"));
      break;
    case 'ExternalName': {
      if ((spec.clusterIPs ?? []).length)
        errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
      if ((spec.ipFamilies ?? []).length)
        errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
      if (spec.ipFamilyPolicy)
        errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
      const cname = String(spec.externalName ?? '').replace(/\.$/, '');
      if (cname) errs.push(...each('spec.externalName', cname, isDNS1123Subdomain(cname)));
      else errs.push(required('spec.externalName'));
      break;
    }
  }
  const names = new Set<string>();
  list.forEach((p, i) => {
    errs.push(...validateServicePort(p, list.length > 1, names, `spec.ports[${i}]`));
  });
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  if (!spec.sessionAffinity) errs.push(required('spec.sessionAffinity'));
  else if (!['ClientIP', 'None'].includes(spec.sessionAffinity)) {
    errs.push(notSupported('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']));
  }
  if (spec.sessionAffinity === 'ClientIP')
    errs.push(...validateClientIPAffinity(spec.sessionAffinityConfig, 'spec.sessionAffinityConfig'));
  else if (spec.sessionAffinity === 'None' && spec.sessionAffinityConfig) {
    errs.push(forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }
  errs.push(...validateClusterIPFields(svc));
  (Array.isArray(spec.externalIPs) ? spec.externalIPs : []).forEach((ip: string, i: number) => {
    const p = `spec.externalIPs[${i}]`;
    if (!parsesAsIP(ip)) errs.push(invalid(p, ip, INVALID_IP));
    else errs.push(...each(p, ip, nonSpecialIPErrors(ip)));
  });
  if (!spec.type) errs.push(required('spec.type'));
  else if (!TYPES.includes(spec.type)) errs.push(notSupported('spec.type', spec.type, TYPES));
  if (spec.type === 'ClusterIP') {
    list.forEach((p, i) => {
      if (p.nodePort)
        errs.push(forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  list.forEach((p, i) => {
    if (!p.nodePort) return;
    const k = `${p.protocol}/${p.nodePort}`;
    if (nodePorts.has(k)) errs.push(duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
    nodePorts.add(k);
  });
  const seenPorts = new Set<string>();
  list.forEach((p, i) => {
    const k = `${p.protocol}/${p.port}`;
    if (seenPorts.has(k)) errs.push(duplicate(`spec.ports[${i}]`, servicePortKey(p)));
    seenPorts.add(k);
  });
  errs.push(...validateTrafficPolicies(svc));
  if (spec.type === 'LoadBalancer') {
    if (spec.loadBalancerClass !== undefined && spec.loadBalancerClass !== null) {
      errs.push(
        ...each(
          'spec.loadBalancerClass',
          spec.loadBalancerClass,
          isQualifiedName(String(spec.loadBalancerClass)),
        ),
      );
    }
  } else {
    if (spec.loadBalancerClass !== undefined && spec.loadBalancerClass !== null) {
      errs.push(forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
    }
    if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts !== null) {
      errs.push(
        forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"),
      );
    }
  }
  return errs;
}

function validateTrafficPolicies(svc: KObject): FieldError[] {
  const spec = svc.spec;
  const errs: FieldError[] = [];
  if (!externallyAccessible(svc)) {
    if (spec.externalTrafficPolicy) {
      errs.push(
        invalid(
          'spec.externalTrafficPolicy',
          spec.externalTrafficPolicy,
          'may only be set for externally-accessible services',
        ),
      );
    }
  } else if (!spec.externalTrafficPolicy) errs.push(required('spec.externalTrafficPolicy'));
  else if (!['Cluster', 'Local'].includes(spec.externalTrafficPolicy)) {
    errs.push(notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (!needsHealthCheckNodePort(svc) && spec.healthCheckNodePort) {
    errs.push(
      invalid(
        'spec.healthCheckNodePort',
        spec.healthCheckNodePort,
        "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
      ),
    );
  }
  if (!spec.internalTrafficPolicy) {
    if (['NodePort', 'LoadBalancer', 'ClusterIP'].includes(spec.type))
      errs.push(required('spec.internalTrafficPolicy'));
  } else if (!['Cluster', 'Local'].includes(spec.internalTrafficPolicy)) {
    errs.push(notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, ['Cluster', 'Local']));
  }
  return errs;
}

export function validateServiceUpdate(svc: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = svc.spec ?? {};
  const o = old.spec ?? {};
  if (spec.type !== 'ExternalName' && o.type !== 'ExternalName' && !(isHeadless(svc) && isHeadless(old))) {
    const next: string[] = spec.clusterIPs ?? [];
    const prev: string[] = o.clusterIPs ?? [];
    if (next.length === prev.length) {
      prev.forEach((ip, i) => {
        if (ip !== next[i]) errs.push(invalid(`spec.clusterIPs[${i}]`, next, 'may not change once set'));
      });
    } else if (prev.length > next.length) {
      if (!next.length) errs.push(invalid('spec.clusterIPs[0]', next, 'primary clusterIP can not be unset'));
      else if (next[0] !== prev[0]) errs.push(invalid('spec.clusterIPs[0]', next, 'may not change once set'));
    } else if (prev.length && next[0] !== prev[0]) {
      errs.push(invalid('spec.clusterIPs[0]', next, 'may not change once set'));
    }
  }
  if (
    spec.type !== 'ExternalName' &&
    o.type !== 'ExternalName' &&
    isHeadless(svc) === isHeadless(old) &&
    !isHeadless(svc)
  ) {
    const next: string[] = spec.ipFamilies ?? [];
    const prev: string[] = o.ipFamilies ?? [];
    if (next.length === prev.length && prev.some((f, i) => f !== next[i])) {
      errs.push(invalid('spec.ipFamilies[0]', next, 'may not change once set'));
    }
  }
  if (
    spec.type === 'LoadBalancer' &&
    o.type === 'LoadBalancer' &&
    (spec.loadBalancerClass ?? null) !== (o.loadBalancerClass ?? null)
  ) {
    errs.push(invalid('spec.loadBalancerClass', spec.loadBalancerClass ?? null, 'may not change once set'));
  }
  return errs;
}
