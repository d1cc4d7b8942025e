/**
 * Healthy: the cluster network's gateway is the default route (metric 100), the business gateway a
 * second one (metric 200); flanneld told to use enslf0; the cloud-disk plugin on every node.
 * Broken: what the business team's change did on every machine - the enslf0 gateway route deleted
 * from the persistent network configuration and from the kernel - so the only default route is on
 * enslf1 and host traffic to 172.24.0.1 leaves with a 10.141.13.x source.
 */
import { parseDocument } from 'yaml';
import { ensureFlannelIface } from '../../labs/scenarios/kube.ts';
import type { ScenarioContext } from '../../labs/scenarios/types.ts';

export const NETPLAN = '/etc/netplan/50-cloud-init.yaml';

/** The node's netplan text without enslf0's default route (comments and the rest kept). */
export function withoutClusterGateway(text: string): string {
  const doc = parseDocument(text);
  const routes = doc.getIn(['network', 'ethernets', 'enslf0', 'routes']) as { items?: unknown[] } | undefined;
  if (!routes?.items) return text;
  routes.items = routes.items.filter((r) => {
    const to = (r as { get?: (k: string) => unknown }).get?.('to');
    return to !== 'default' && to !== '0.0.0.0/0';
  });
  if (routes.items.length === 0) doc.deleteIn(['network', 'ethernets', 'enslf0', 'routes']);
  return doc.toString();
}

export async function setup(ctx: ScenarioContext): Promise<void> {
  await ensureFlannelIface(ctx, 'enslf0');
  await ctx.apply(ctx.file('files/cloud-disk-node.yaml'));
  // The business gateway is the one default route the constraint allows; its address is the
  // driver's (10.141.13.1 on netns, Docker's gateway on kind).
  const gateways: Record<string, string> = {};
  await Promise.all(
    ctx.nodes.map(async (n) => {
      const out = await ctx.shOk(n.name, 'ip route show default dev enslf1');
      const via = /\bvia (\S+)/.exec(out)?.[1];
      if (!via) throw new Error(`${n.name} has no default route on enslf1: ${out.trim() || '(none)'}`);
      gateways[n.name] = via;
    }),
  );
  ctx.facts.businessGateways = gateways;
}

export async function inject(ctx: ScenarioContext): Promise<void> {
  await Promise.all(
    ctx.nodes.map(async (n) => {
      const text = await ctx.readNodeFile(n.name, NETPLAN);
      const next = withoutClusterGateway(text);
      if (next !== text) await ctx.writeNodeFile(n.name, NETPLAN, next);
      await ctx.sh(n.name, 'ip route del default dev enslf0 2>/dev/null; ip route show default');
    }),
  );
  // From now on the business team's rule holds (a lab built with --no-fault never had the change).
  ctx.facts.businessDefaultRoute = true;
  await ctx.settle();
}
