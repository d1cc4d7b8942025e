/**
 * A small cluster as the API server stores it, in the VirtualBox environment of the seeds
 * (service CIDR 10.96.0.0/12, DNS 10.96.0.10, pods in 10.244.0.0/16): the kubernetes and kube-dns
 * Services, seed 002's hostnames Deployment, a headless Service whose pods set hostname and
 * subdomain (StatefulSet-style), and an ExternalName Service.
 */
import type { ClusterSource, KubeObject } from '../../../labs/agents/coredns/cluster.ts';

export function service(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name },
    spec: { type: 'ClusterIP', ...spec },
  };
}

export interface EndpointSpec {
  ip: string;
  ready?: boolean;
  hostname?: string;
  pod?: string;
  node?: string;
}

export function slice(
  namespace: string,
  serviceName: string,
  endpoints: EndpointSpec[],
  ports: { name?: string; port: number; protocol?: string }[],
  sliceName = `${serviceName}-7xk2p`,
): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name: sliceName, labels: { 'kubernetes.io/service-name': serviceName } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.ready ?? true, terminating: false },
      ...(e.hostname ? { hostname: e.hostname } : {}),
      ...(e.pod ? { targetRef: { kind: 'Pod', namespace, name: e.pod } } : {}),
      nodeName: e.node ?? 'ubuntu02',
    })),
    ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

export function namespace(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } };
}

export function pod(namespace: string, name: string, ip: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name },
    status: { podIP: ip, podIPs: [{ ip }] },
  };
}

export const kubernetesSvc = service('default', 'kubernetes', {
  clusterIP: '10.96.0.1',
  clusterIPs: ['10.96.0.1'],
  ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: 6443 }],
});

export const kubeDnsSvc = service('kube-system', 'kube-dns', {
  clusterIP: '10.96.0.10',
  clusterIPs: ['10.96.0.10'],
  selector: { 'k8s-app': 'kube-dns' },
  ports: [
    { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
    { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 },
    { name: 'metrics', protocol: 'TCP', port: 9153, targetPort: 9153 },
  ],
});

/** Seed 002's Service: `kubectl expose deployment hostnames --port=80 --target-port=9376` (unnamed port). */
export const hostnamesSvc = service('default', 'hostnames', {
  clusterIP: '10.96.1.175',
  clusterIPs: ['10.96.1.175'],
  selector: { app: 'hostnames' },
  ports: [{ protocol: 'TCP', port: 80, targetPort: 9376 }],
});

export const hostnamesIPs = ['10.244.0.5', '10.244.1.6', '10.244.2.7'];

/** Headless, with a named port; its pods set hostname web-N and subdomain web. */
export const webSvc = service('default', 'web', {
  clusterIP: 'None',
  clusterIPs: ['None'],
  selector: { app: 'web' },
  ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 80 }],
});

export const dbSvc = service('default', 'db', {
  type: 'ExternalName',
  externalName: 'my.database.example.com',
});
export const aliasSvc = service('default', 'alias', {
  type: 'ExternalName',
  externalName: 'hostnames.default.svc.cluster.local',
});

export const slices = [
  slice('default', 'kubernetes', [{ ip: '192.168.56.11' }], [{ name: 'https', port: 6443 }], 'kubernetes'),
  slice(
    'kube-system',
    'kube-dns',
    [
      { ip: '10.244.0.2', pod: 'coredns-7db6d8ff4d-4xk9p' },
      { ip: '10.244.0.3', pod: 'coredns-7db6d8ff4d-q2wz8' },
    ],
    [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      { name: 'metrics', port: 9153, protocol: 'TCP' },
    ],
  ),
  slice(
    'default',
    'hostnames',
    [
      { ip: hostnamesIPs[0], pod: 'hostnames-0uton' },
      { ip: hostnamesIPs[1], pod: 'hostnames-yp2kp' },
      { ip: hostnamesIPs[2], pod: 'hostnames-bvc05' },
    ],
    [{ port: 9376 }],
  ),
  slice(
    'default',
    'web',
    [
      { ip: '10.244.1.10', hostname: 'web-0', pod: 'web-0' },
      { ip: '10.244.2.11', hostname: 'web-1', pod: 'web-1' },
      { ip: '10.244.1.12', hostname: 'web-2', pod: 'web-2', ready: false },
    ],
    [{ name: 'http', port: 80 }],
  ),
];

export const services = [kubernetesSvc, kubeDnsSvc, hostnamesSvc, webSvc, dbSvc, aliasSvc];
export const namespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'empty'].map(
  namespace,
);

/** A source over mutable arrays, so a test can change the cluster between queries. */
export function clusterSource(
  extra: Partial<{ services: KubeObject[]; slices: KubeObject[]; pods: KubeObject[] }> = {},
) {
  const state = {
    services: [...services, ...(extra.services ?? [])],
    slices: [...slices, ...(extra.slices ?? [])],
    pods: [...(extra.pods ?? [])],
    namespaces: [...namespaces],
  };
  const source: ClusterSource = {
    services: () => state.services,
    endpointSlices: () => state.slices,
    pods: () => state.pods,
    namespaces: () => state.namespaces,
  };
  return { state, source };
}
