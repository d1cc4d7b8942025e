/** Services and EndpointSlices shaped as the API server stores them, for kube-proxy tests. */
import type { EndpointSliceObject, ServiceObject } from '../../../labs/agents/kube-proxy/model.ts';

export function service(
  namespace: string,
  name: string,
  spec: NonNullable<ServiceObject['spec']>,
  status?: ServiceObject['status'],
): ServiceObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name },
    spec: { type: 'ClusterIP', sessionAffinity: 'None', ...spec },
    ...(status ? { status } : {}),
  };
}

export interface EndpointSpec {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export function slice(
  namespace: string,
  serviceName: string,
  endpoints: EndpointSpec[],
  ports: { name?: string; port: number; protocol?: string }[],
  sliceName = `${serviceName}-x7k2p`,
): EndpointSliceObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name: sliceName, labels: { 'kubernetes.io/service-name': serviceName } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: {
        ready: e.ready ?? true,
        serving: e.serving ?? e.ready ?? true,
        terminating: e.terminating ?? false,
      },
      ...(e.node ? { nodeName: e.node } : {}),
    })),
    ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

/** Seed 002: Deployment hostnames (3 pods, port 9376) behind Service hostnames 80 -> 9376. */
export const hostnames = {
  service: service('default', 'hostnames', {
    clusterIP: '10.0.1.175',
    clusterIPs: ['10.0.1.175'],
    selector: { app: 'hostnames' },
    ports: [{ name: 'default', protocol: 'TCP', port: 80, targetPort: 9376 }],
  }),
  slice: slice(
    'default',
    'hostnames',
    [
      { ip: '10.244.3.6', node: 'ubuntu03' },
      { ip: '10.244.1.7', node: 'ubuntu01' },
      { ip: '10.244.2.3', node: 'ubuntu02' },
    ],
    [{ name: 'default', port: 9376 }],
  ),
};

/** Seed 003: the kubernetes Service, both apiservers as endpoints. */
export const kubernetesService = {
  service: service('default', 'kubernetes', {
    clusterIP: '172.24.0.1',
    ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: 6443 }],
  }),
  slice: slice(
    'default',
    'kubernetes',
    [{ ip: '10.0.0.8' }, { ip: '10.0.0.12' }],
    [{ name: 'https', port: 6443 }],
    'kubernetes',
  ),
};

export const kubeDns = {
  service: service('kube-system', 'kube-dns', {
    clusterIP: '10.96.0.10',
    ports: [
      { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
      { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 },
      { name: 'metrics', protocol: 'TCP', port: 9153, targetPort: 9153 },
    ],
  }),
  slice: slice(
    'kube-system',
    'kube-dns',
    [
      { ip: '10.244.0.2', node: 'ubuntu01' },
      { ip: '10.244.0.3', node: 'ubuntu01' },
    ],
    [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      { name: 'metrics', port: 9153, protocol: 'TCP' },
    ],
  ),
};

/** The lines of one table (`*filter` or `*nat`) of an iptables-restore input. */
export function tableLines(restore: string, table: 'filter' | 'nat'): string[] {
  const out: string[] = [];
  let inTable = false;
  for (const line of restore.split('\n')) {
    if (line.startsWith('*')) inTable = line === `*${table}`;
    else if (line === 'COMMIT') inTable = false;
    else if (inTable) out.push(line);
  }
  return out;
}

/** Rules of one chain, in order. */
export function chainRules(restore: string, table: 'filter' | 'nat', chain: string): string[] {
  return tableLines(restore, table).filter((l) => l.startsWith(`-A ${chain} `));
}

/** Chain declarations of one table. */
export function declaredChains(restore: string, table: 'filter' | 'nat'): string[] {
  return tableLines(restore, table)
    .filter((l) => l.startsWith(':'))
    .map((l) => l.slice(1).split(' ')[0]!);
}

/**
 * Order-insensitive across chains, order-sensitive within each chain: how kube-proxy's own tests
 * compare dumps, since services come out in map order.
 */
export function normaliseDump(restore: string): string {
  const out: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const lines = tableLines(restore, table);
    out.push(`*${table}`, ...lines.filter((l) => l.startsWith(':')).sort());
    const byChain = new Map<string, string[]>();
    for (const l of lines) {
      if (l.startsWith(':')) continue;
      const chain = l.split(' ')[1]!;
      byChain.set(chain, [...(byChain.get(chain) ?? []), l]);
    }
    for (const chain of [...byChain.keys()].sort()) out.push(...byChain.get(chain)!);
    out.push('COMMIT');
  }
  return out.join('\n');
}
