/**
 * The kind cluster configuration (kind.x-k8s.io/v1alpha4) of a lab: one node per topology node with
 * its role, no default CNI (flannel comes after), the environment's pod and service subnets,
 * kube-proxy in iptables mode, and the CNI plugins flannel delegates to mounted at /opt/cni/bin -
 * the node image carries only host-local, loopback, ptp and portmap, and flannel fails with
 * `failed to find plugin "bridge"` without it. The mount hides the image's own plugins, so the
 * directory holds the whole set (cni.ts).
 */
import { stringify } from 'yaml';
import type { Topology } from '../../topology/types.ts';
import { STORY_NODE_LABEL } from '../driver.ts';
import type { KindLayout } from './layout.ts';
import { KIND_VERSION, NODE_IMAGE } from './versions.ts';

/** Kubernetes label with the topology name on each node (kind names the nodes itself). */
export const NODE_LABEL = STORY_NODE_LABEL;

export interface KindConfigOptions {
  /** Host directory with the CNI plugins, mounted at /opt/cni/bin in every node. */
  cniBinDir: string;
  image?: string;
}

export interface KindClusterConfig {
  kind: 'Cluster';
  apiVersion: 'kind.x-k8s.io/v1alpha4';
  name: string;
  networking: {
    ipFamily: 'ipv4';
    disableDefaultCNI: true;
    kubeProxyMode: 'iptables';
    podSubnet: string;
    serviceSubnet: string;
  };
  nodes: {
    role: 'control-plane' | 'worker';
    image: string;
    labels: Record<string, string>;
    extraMounts: { hostPath: string; containerPath: string }[];
  }[];
}

export function kindConfig(layout: KindLayout, t: Topology, opts: KindConfigOptions): KindClusterConfig {
  return {
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    name: layout.cluster,
    networking: {
      ipFamily: 'ipv4',
      disableDefaultCNI: true,
      kubeProxyMode: 'iptables',
      podSubnet: t.cluster.podCIDR,
      serviceSubnet: t.cluster.serviceCIDR,
    },
    nodes: layout.nodes.map((n) => ({
      role: n.role,
      image: opts.image ?? NODE_IMAGE,
      labels: { [NODE_LABEL]: n.name },
      extraMounts: [{ hostPath: opts.cniBinDir, containerPath: '/opt/cni/bin' }],
    })),
  };
}

export function renderKindConfig(config: KindClusterConfig, topology: Topology): string {
  const header = [
    `# kind ${KIND_VERSION} cluster for the ${topology.name} environment (svc-labs)`,
    `# nodes, in order: ${config.nodes.map((n) => `${n.labels[NODE_LABEL]} (${n.role})`).join(', ')}`,
  ];
  return `${header.join('\n')}\n${stringify(config, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
