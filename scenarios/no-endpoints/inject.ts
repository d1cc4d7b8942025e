/**
 * Healthy: flanneld on enp0s3, seed 002's hostnames Deployment and Service.
 * Broken, three ways (the variant): the Service selects nothing ready -
 *   selector   the Service's selector says app: hostname (the pods are app: hostnames);
 *   readiness  the Deployment's readinessProbe asks port 9377, where nothing listens;
 *   manual     the servers run on two nodes' host network, the Service has no selector and no one
 *              wrote its Endpoints (seed 001's selector-less Service).
 * The variant's manifest is left in /root/hostnames.yaml on the control plane, where the team keeps
 * it; the Service's ClusterIP is recorded, because clients use it.
 */
import { ensureFlannelIface } from '../../labs/scenarios/kube.ts';
import type { ScenarioContext } from '../../labs/scenarios/types.ts';

export const MANIFEST = '/root/hostnames.yaml';
/** Where files/servers.yaml runs the servers of the manual variant. */
const SERVER_NODES = ['ubuntu02', 'ubuntu03'];

async function removeDeployment(ctx: ScenarioContext): Promise<void> {
  await ctx.kubectlOk(['delete', 'deployment', 'hostnames', '--ignore-not-found']);
  await ctx.kubectlOk([
    'delete',
    'pods',
    '-l',
    'app=hostnames',
    '--grace-period=0',
    '--force',
    '--ignore-not-found',
  ]);
}

async function recordClusterIP(ctx: ScenarioContext): Promise<void> {
  const svc = await ctx.probe.service('default', 'hostnames');
  if (!svc) throw new Error('Service hostnames is missing');
  ctx.facts.clusterIP = svc.clusterIP;
}

export async function setup(ctx: ScenarioContext): Promise<void> {
  await ensureFlannelIface(ctx, 'enp0s3');
  await ctx.apply(ctx.file('files/hostnames.yaml'));
  await recordClusterIP(ctx);
}

export async function inject(ctx: ScenarioContext): Promise<void> {
  const variant = ctx.variant ?? 'selector';
  const manifest = ctx.file(`files/${variant}.yaml`);
  if (variant === 'selector') await ctx.apply(manifest);
  if (variant === 'readiness') {
    // Created afresh, and the old pods gone at once: a pod of the old ReplicaSet would stay Ready
    // behind the rollout, and a terminating one would still be served while no pod is ready.
    await removeDeployment(ctx);
    await ctx.apply(manifest);
  }
  if (variant === 'manual') {
    await removeDeployment(ctx);
    await ctx.kubectlOk(['delete', 'service', 'hostnames', '--ignore-not-found']);
    await ctx.apply(`${manifest}\n---\n${ctx.file('files/servers.yaml')}`);
  }
  await ctx.writeNodeFile(ctx.controlPlane(), MANIFEST, manifest);
  await ctx.settle({ ready: variant !== 'readiness' });
  await recordClusterIP(ctx);
  // serve_hostname answers with its node's hostname, which is the container's name on kind.
  ctx.facts.servers =
    variant === 'manual'
      ? await Promise.all(SERVER_NODES.map(async (n) => (await ctx.shOk(n, 'hostname')).trim()))
      : undefined;
}
