/** networking.k8s.io/v1: Ingresses, IngressClasses and NetworkPolicies. */
import type { FieldError } from '../../kube/errors.ts';
import { defineStrategy, specOf } from '../lib/base.ts';
import { invalid, notSupported, required } from '../lib/field.ts';
import { info } from '../lib/info.ts';
import { age, ageCol, col, formatLabelSelector, nameCol } from '../lib/table.ts';
import type { KindDefinition } from '../strategy.ts';
import { validateLabelSelector } from '../workloads/common.ts';

type Obj = Record<string, any>;
const GROUP = 'networking.k8s.io';

function hostsCell(rules: unknown): string {
  const list: Obj[] = Array.isArray(rules) ? rules : [];
  const max = 3;
  const hosts: string[] = [];
  let more = false;
  for (const r of list) {
    if (hosts.length === max) more = true;
    if (!more && r?.host) hosts.push(r.host);
  }
  if (!hosts.length) return '*';
  return more ? `${hosts.join(',')} + ${list.length - max} more...` : hosts.join(',');
}

function validateIngress(ing: Obj): FieldError[] {
  const spec: Obj = ing.spec ?? {};
  const errs: FieldError[] = [];
  const rules: Obj[] = Array.isArray(spec.rules) ? spec.rules : [];
  if (!rules.length && !spec.defaultBackend) {
    errs.push(invalid('spec.rules', rules, 'either `defaultBackend` or `rules` must be specified'));
  }
  rules.forEach((r, i) => {
    (r?.http?.paths ?? []).forEach((p: Obj, j: number) => {
      const pp = `spec.rules[${i}].http.paths[${j}]`;
      if (!p?.pathType) errs.push(required(`${pp}.pathType`, 'pathType must be specified'));
      else if (!['Exact', 'Prefix', 'ImplementationSpecific'].includes(p.pathType)) {
        errs.push(notSupported(`${pp}.pathType`, p.pathType, ['Exact', 'ImplementationSpecific', 'Prefix']));
      }
      if (
        p?.pathType !== 'ImplementationSpecific' &&
        p?.path !== undefined &&
        !String(p.path).startsWith('/')
      ) {
        errs.push(invalid(`${pp}.path`, p.path, 'must be an absolute path'));
      }
    });
  });
  return errs;
}

export const networkingKinds: KindDefinition[] = [
  {
    info: info({
      group: GROUP,
      resource: 'ingresses',
      kind: 'Ingress',
      shortNames: ['ing'],
      subresources: ['status'],
    }),
    strategy: defineStrategy({
      tracksGeneration: true,
      status: true,
      initialStatus: () => ({ loadBalancer: {} }),
      validate: validateIngress,
      table: {
        columns: [
          nameCol(),
          col(
            'Class',
            'string',
            'The name of the IngressClass resource that should be used for additional configuration',
          ),
          col('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
          col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
          col('Ports', 'string', 'Ports of TLS configurations that open'),
          ageCol(),
        ],
        cells: (ing, ctx) => {
          const addrs = new Set<string>();
          for (const i of ing.status?.loadBalancer?.ingress ?? []) {
            if (i?.ip) addrs.add(i.ip);
            else if (i?.hostname) addrs.add(i.hostname);
          }
          return [
            ing.metadata.name,
            ing.spec?.ingressClassName ?? '<none>',
            hostsCell(ing.spec?.rules),
            [...addrs].join(','),
            (ing.spec?.tls ?? []).length ? '80, 443' : '80',
            age(ing, ctx),
          ];
        },
      },
    }),
  },
  {
    info: info({ group: GROUP, resource: 'ingressclasses', kind: 'IngressClass', namespaced: false }),
    strategy: defineStrategy({
      tracksGeneration: true,
      validate: (ic) => (ic.spec?.controller ? [] : [required('spec.controller')]),
      table: {
        columns: [
          nameCol(),
          col('Controller', 'string', 'Controller that is responsible for handling this class'),
          col('Parameters', 'string', 'A reference to a resource with additional parameters'),
          ageCol(),
        ],
        cells: (ic, ctx) => {
          const p = ic.spec?.parameters;
          const params = p ? `${p.kind}${p.apiGroup ? `.${p.apiGroup}` : ''}/${p.name}` : '<none>';
          return [ic.metadata.name, ic.spec?.controller ?? '', params, age(ic, ctx)];
        },
      },
    }),
  },
  {
    info: info({ group: GROUP, resource: 'networkpolicies', kind: 'NetworkPolicy', shortNames: ['netpol'] }),
    strategy: defineStrategy({
      tracksGeneration: true,
      defaults(np) {
        const spec = specOf(np);
        spec.podSelector ??= {};
        if (!(spec.policyTypes ?? []).length) {
          spec.policyTypes = (spec.egress ?? []).length ? ['Ingress', 'Egress'] : ['Ingress'];
        }
        for (const rule of [...(spec.ingress ?? []), ...(spec.egress ?? [])]) {
          for (const port of rule?.ports ?? []) if (port && !port.protocol) port.protocol = 'TCP';
        }
      },
      validate(np) {
        const spec: Obj = np.spec ?? {};
        const errs = validateLabelSelector(spec.podSelector, 'spec.podSelector');
        (spec.policyTypes ?? []).forEach((t: string, i: number) => {
          if (!['Ingress', 'Egress'].includes(t))
            errs.push(notSupported(`spec.policyTypes[${i}]`, t, ['Egress', 'Ingress']));
        });
        return errs;
      },
      table: {
        columns: [
          nameCol(),
          col(
            'Pod-Selector',
            'string',
            'podSelector selects the pods to which this NetworkPolicy object applies.',
          ),
          ageCol(),
        ],
        cells: (np, ctx) => [np.metadata.name, formatLabelSelector(np.spec?.podSelector ?? {}), age(np, ctx)],
      },
    }),
  },
];
