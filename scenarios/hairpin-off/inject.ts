/**
 * Healthy: flanneld on enp0s3, the hostnames Deployment and Service (seed 002).
 * Broken: hairpinMode false in the flannel CNI configuration (ConfigMap kube-flannel-cfg, copied to
 * every node's /etc/cni/net.d/10-flannel.conflist when flannel restarts), then the hostnames pods
 * recreated - so their cni0 ports have hairpin off, and a pod's request to its own Service that
 * kube-proxy sends back to the pod itself never gets an answer.
 */
import { ensureFlannelIface, recreatePods, setFlannelHairpin } from '../../labs/scenarios/kube.ts';
import type { ScenarioContext } from '../../labs/scenarios/types.ts';

export async function setup(ctx: ScenarioContext): Promise<void> {
  await ensureFlannelIface(ctx, 'enp0s3');
  await ctx.apply(ctx.file('files/hostnames.yaml'));
}

export async function inject(ctx: ScenarioContext): Promise<void> {
  await setFlannelHairpin(ctx, false);
  await recreatePods(ctx, 'default', 'app=hostnames');
  await ctx.settle();
}
