/**
 * Healthy: flanneld told to use enp0s3, the seed's httpd Deployment and httpd-svc.
 * Broken: the kube-flannel container's args as kube-flannel.yml ships them (no --iface), flannel
 * restarted - every flanneld takes enp0s8, the default-route NIC, and publishes 10.0.2.15.
 */
import { ensureFlannelIface, flannelArgs, IFACE_FLAG, setFlannelArgs } from '../../labs/scenarios/kube.ts';
import type { ScenarioContext } from '../../labs/scenarios/types.ts';

export async function setup(ctx: ScenarioContext): Promise<void> {
  await ensureFlannelIface(ctx, 'enp0s3');
  await ctx.apply(`${ctx.file('files/httpd.yaml')}\n---\n${ctx.file('files/httpd-svc.yaml')}`);
}

export async function inject(ctx: ScenarioContext): Promise<void> {
  const args = (await flannelArgs(ctx)).filter((a) => !IFACE_FLAG.test(a));
  await setFlannelArgs(ctx, args);
  await ctx.settle();
}
