/** `kubectl get svc`: TYPE, CLUSTER-IP, EXTERNAL-IP (`<none>`, `<pending>`, the external name) and PORT(S). */
import type { KObject } from '../../kube/object.ts';
import { age, ageCol, col, formatLabels, nameCol, wide } from '../lib/table.ts';
import type { TableConvertor } from '../strategy.ts';
import { ports } from './fields.ts';

type Obj = Record<string, any>;

function loadBalancerIngress(status: Obj | undefined): string[] {
  const out = new Set<string>();
  for (const ing of status?.loadBalancer?.ingress ?? []) {
    if (ing?.ip) out.add(ing.ip);
    else if (ing?.hostname) out.add(ing.hostname);
  }
  return [...out];
}

export function externalIP(svc: KObject): string {
  const spec = svc.spec ?? {};
  const external: string[] = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(svc.status);
      if (external.length) return [...lb, ...external].join(',');
      return lb.length ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
  }
  return '<unknown>';
}

export function portsCell(svc: KObject): string {
  const text = ports(svc)
    .map((p) =>
      p.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol ?? ''}` : `${p.port}/${p.protocol ?? ''}`,
    )
    .join(',');
  return text || '<none>';
}

export const serviceTable: TableConvertor = {
  columns: [
    nameCol(),
    col('Type', 'string', 'type determines how the Service is exposed.'),
    col(
      'Cluster-IP',
      'string',
      'clusterIP is the IP address of the service and is usually assigned randomly.',
    ),
    col(
      'External-IP',
      'string',
      'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
    ),
    col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    ageCol(),
    wide('Selector', 'Route service traffic to pods with label keys and values matching this selector.'),
  ],
  cells: (svc, ctx) => [
    svc.metadata.name,
    svc.spec?.type ?? '',
    svc.spec?.clusterIPs?.[0] ?? '<none>',
    externalIP(svc),
    portsCell(svc),
    age(svc, ctx),
    formatLabels(svc.spec?.selector),
  ],
};
