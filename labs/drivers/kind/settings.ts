/**
 * What a healthy kind lab runs besides its topology, per environment. The same choices as the
 * netns driver's (labs/drivers/netns/settings.ts), so a scenario that injects its fault into the
 * healthy lab finds the same starting point on both drivers.
 */
export type SeedWorkload = 'httpd' | 'hostnames';

export interface KindEnvironmentSettings {
  /** The kube-flannel container's args in the DaemonSet. */
  flannelArgs: string[];
  /** Seed workloads created in `default`. */
  workloads: SeedWorkload[];
}

/** The kube-flannel.yml container args, as shipped: flanneld picks the default-route NIC. */
export const MANIFEST_FLANNEL_ARGS: readonly string[] = ['--ip-masq', '--kube-subnet-mgr'];

const SETTINGS: Record<string, KindEnvironmentSettings> = {
  'virtualbox-3node': {
    // The host-only NIC (renamed from eth0) carries node-to-node traffic; the default route is on the NAT NIC.
    flannelArgs: [...MANIFEST_FLANNEL_ARGS, '--iface=enp0s3'],
    workloads: ['httpd', 'hostnames'],
  },
  'two-master-business': {
    // Healthy: the default route is on the cluster NIC, so the manifest as shipped works.
    flannelArgs: [...MANIFEST_FLANNEL_ARGS],
    workloads: [],
  },
};

export function kindSettings(environment: string): KindEnvironmentSettings {
  const s = SETTINGS[environment] ?? { flannelArgs: [...MANIFEST_FLANNEL_ARGS], workloads: [] };
  return structuredClone(s);
}
