/**
 * What a netns lab runs besides its topology, per environment: component versions, what the nodes
 * report about themselves, the kube-flannel container's args and the seed workloads. The healthy
 * form is the default; a scenario (or a test) overrides single fields through
 * `NetnsLabSpec.settings` - e.g. the manifest's own flannel args, which select the default-route
 * NIC and so are the seed-000 fault.
 */
import type { Topology } from '../../topology/types.ts';
import type { LabSpec } from '../lab-driver.ts';

export type SeedWorkload = 'httpd' | 'hostnames';

export interface NetnsEnvironmentSettings {
  kubernetesVersion: string;
  /** What `kubectl get nodes -o wide` shows as OS-IMAGE and KERNEL-VERSION. */
  osImage: string;
  kernelVersion: string;
  /** The kube-flannel container's args in the DaemonSet. */
  flannelArgs: string[];
  /** Seed workloads created in `default`. */
  workloads: SeedWorkload[];
  /** CoreDNS Deployment replicas (kubeadm: 2). */
  corednsReplicas: number;
}

/** The kube-flannel.yml container args, as shipped: flanneld picks the default-route NIC. */
export const MANIFEST_FLANNEL_ARGS: readonly string[] = ['--ip-masq', '--kube-subnet-mgr'];

const KUBERNETES_VERSION = 'v1.32.4';

const ENVIRONMENT_SETTINGS: Record<string, NetnsEnvironmentSettings> = {
  'virtualbox-3node': {
    kubernetesVersion: KUBERNETES_VERSION,
    osImage: 'Ubuntu 16.04.6 LTS',
    kernelVersion: '4.4.0-210-generic',
    // The host-only NIC carries node-to-node traffic; the default route is on the NAT NIC.
    flannelArgs: [...MANIFEST_FLANNEL_ARGS, '--iface=enp0s3'],
    workloads: ['httpd', 'hostnames'],
    corednsReplicas: 2,
  },
  'two-master-business': {
    kubernetesVersion: KUBERNETES_VERSION,
    osImage: 'CentOS Linux 7 (Core)',
    kernelVersion: '3.10.0-1160.el7.x86_64',
    // In the healthy form the default route is on the cluster NIC, so the manifest as shipped works.
    flannelArgs: [...MANIFEST_FLANNEL_ARGS],
    workloads: [],
    corednsReplicas: 2,
  },
};

const FALLBACK: NetnsEnvironmentSettings = {
  kubernetesVersion: KUBERNETES_VERSION,
  osImage: 'Ubuntu 22.04.5 LTS',
  kernelVersion: '5.15.0-125-generic',
  flannelArgs: [...MANIFEST_FLANNEL_ARGS],
  workloads: [],
  corednsReplicas: 2,
};

/** A LabSpec the netns driver also reads overrides from (scenarios, tests). */
export interface NetnsLabSpec extends LabSpec {
  settings?: Partial<NetnsEnvironmentSettings>;
}

export function environmentSettings(
  environment: string,
  _topology: Topology,
  overrides: Partial<NetnsEnvironmentSettings> = {},
): NetnsEnvironmentSettings {
  const base = ENVIRONMENT_SETTINGS[environment] ?? FALLBACK;
  const merged = { ...structuredClone(base) };
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (merged as Record<string, unknown>)[k] = structuredClone(v);
  }
  return merged;
}
