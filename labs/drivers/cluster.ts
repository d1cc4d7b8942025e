/**
 * What every driver that runs our control plane derives the same way from a topology: the cluster
 * settings, the names on the apiserver certificate, and the shared CA - created once per state
 * directory even when labs of several drivers build at the same moment.
 */

import { ensureServingCert, type TlsMaterial } from '../controlplane/tls.ts';
import type { ClusterConfig } from '../controlplane/types.ts';
import type { Topology } from '../topology/types.ts';
import { type LabNodeInfo, STORY_NODE_LABEL } from './driver.ts';

export const KUBERNETES_VERSION = 'v1.32.4';

export function clusterConfig(name: string, t: Topology, version = KUBERNETES_VERSION): ClusterConfig {
  return {
    name,
    podCIDR: t.cluster.podCIDR,
    serviceCIDR: t.cluster.serviceCIDR,
    dnsIP: t.cluster.dnsIP,
    clusterDomain: t.cluster.dnsDomain,
    nodePortRange: [30000, 32767],
    kubernetesVersion: version,
    apiservers: t.cluster.apiserver.endpoints.map((e) => ({
      nodeName: e.node,
      ip: e.address,
      port: t.cluster.apiserver.port,
    })),
  };
}

/** Nodes as the topology names them, which is also their Kubernetes name on our control plane. */
export function topologyNodes(t: Topology): LabNodeInfo[] {
  return t.nodes.map((n) => ({
    name: n.name,
    kubeName: n.name,
    role: n.role,
    addresses: n.nics.flatMap((nic) => nic.addresses.map((a) => ({ nic: nic.name, address: a }))),
  }));
}

/** Labels a kubelet of ours registers its Node with, besides the well-known ones. */
export function nodeRegistrationLabels(name: string, controlPlane: boolean): Record<string, string> {
  return {
    [STORY_NODE_LABEL]: name,
    ...(controlPlane
      ? {
          'node-role.kubernetes.io/control-plane': '',
          'node.kubernetes.io/exclude-from-external-load-balancers': '',
        }
      : {}),
  };
}

/** The names a kubeadm apiserver certificate carries, plus loopback where the host reaches it. */
export function servingNames(t: Topology): string[] {
  const domain = t.cluster.dnsDomain;
  return [
    '127.0.0.1',
    'localhost',
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    `kubernetes.default.svc.${domain}`,
    t.cluster.kubernetesServiceIP,
    ...t.cluster.apiserver.endpoints.map((e) => e.address),
    ...t.cluster.apiserver.endpoints.map((e) => e.node),
  ];
}

/** One queue for the whole process: labs building at once must not race to create the shared CA. */
const certQueue = new Map<string, Promise<unknown>>();

export function serialisedCert(dir: string, names: string[]): Promise<TlsMaterial> {
  const prev = certQueue.get(dir) ?? Promise.resolve();
  const next = prev.catch(() => {}).then(() => ensureServingCert(dir, names));
  certQueue.set(dir, next);
  return next;
}
