/**
 * Helpers for what every lab has (flannel as kube-flannel.yml deploys it, Deployments), used by
 * injections and setups. They change the declared objects with kubectl, as an operator would, and
 * restart the component through the Lab so that it reads them again.
 */
import type { ScenarioContext } from './types.ts';

export const FLANNEL = {
  namespace: 'kube-flannel',
  daemonset: 'kube-flannel-ds',
  container: 'kube-flannel',
  configmap: 'kube-flannel-cfg',
};

/** The NIC-choosing flags of flanneld. */
export const IFACE_FLAG = /^--iface(-regex|-can-reach)?(=|$)/;

export async function flannelArgs(ctx: ScenarioContext): Promise<string[]> {
  const ds = await ctx.getJson<any>(['daemonset', FLANNEL.daemonset, '-n', FLANNEL.namespace]);
  if (!ds) throw new Error(`daemonset ${FLANNEL.namespace}/${FLANNEL.daemonset} does not exist`);
  const c = (ds.spec.template.spec.containers as any[]).find((x) => x.name === FLANNEL.container);
  return [...(c?.args ?? [])];
}

/** Give the kube-flannel container these args and restart flannel (nothing happens if they are already). */
export async function setFlannelArgs(ctx: ScenarioContext, args: string[]): Promise<boolean> {
  const ds = await ctx.getJson<any>(['daemonset', FLANNEL.daemonset, '-n', FLANNEL.namespace]);
  if (!ds) throw new Error(`daemonset ${FLANNEL.namespace}/${FLANNEL.daemonset} does not exist`);
  const containers = ds.spec.template.spec.containers as any[];
  const i = containers.findIndex((x) => x.name === FLANNEL.container);
  if (i < 0) throw new Error(`daemonset ${FLANNEL.daemonset} has no container ${FLANNEL.container}`);
  if (JSON.stringify(containers[i].args ?? []) === JSON.stringify(args)) return false;
  const patch = [
    {
      op: containers[i].args ? 'replace' : 'add',
      path: `/spec/template/spec/containers/${i}/args`,
      value: args,
    },
  ];
  await ctx.kubectlOk([
    'patch',
    'daemonset',
    FLANNEL.daemonset,
    '-n',
    FLANNEL.namespace,
    '--type',
    'json',
    '-p',
    JSON.stringify(patch),
  ]);
  await ctx.lab.restart('flannel');
  return true;
}

/** Make sure flanneld picks the NIC given (healthy baseline for scenarios whose fault is elsewhere). */
export async function ensureFlannelIface(ctx: ScenarioContext, nic: string): Promise<void> {
  const args = await flannelArgs(ctx);
  if (args.some((a) => IFACE_FLAG.test(a))) return;
  await setFlannelArgs(ctx, [...args, `--iface=${nic}`]);
}

/** The flannel delegate's hairpinMode in a parsed cni-conf.json (undefined when left out: the bridge plugin then keeps hairpin off). */
export function delegateHairpin(conf: any): boolean | undefined {
  const plugin = (conf.plugins ?? []).find((p: any) => p.type === 'flannel');
  return plugin?.delegate?.hairpinMode;
}

/**
 * Set hairpinMode in the ConfigMap's cni-conf.json (keeping the rest of the text as it is) and
 * restart flannel, whose install-cni init container copies it to every node's
 * /etc/cni/net.d/10-flannel.conflist. Pods made afterwards get it; running pods keep theirs.
 */
export async function setFlannelHairpin(ctx: ScenarioContext, on: boolean): Promise<boolean> {
  const cm = await ctx.getJson<any>(['configmap', FLANNEL.configmap, '-n', FLANNEL.namespace]);
  if (!cm) throw new Error(`configmap ${FLANNEL.namespace}/${FLANNEL.configmap} does not exist`);
  const text: string = cm.data['cni-conf.json'];
  if (delegateHairpin(JSON.parse(text)) === on) return false;
  const next = /"hairpinMode"\s*:\s*(true|false)/.test(text)
    ? text.replace(/"hairpinMode"\s*:\s*(true|false)/, `"hairpinMode": ${on}`)
    : text.replace(/"delegate"\s*:\s*\{/, `"delegate": {\n        "hairpinMode": ${on},`);
  const patch = { data: { 'cni-conf.json': next } };
  await ctx.kubectlOk([
    'patch',
    'configmap',
    FLANNEL.configmap,
    '-n',
    FLANNEL.namespace,
    '--type',
    'merge',
    '-p',
    JSON.stringify(patch),
  ]);
  await ctx.lab.restart('flannel');
  return true;
}

/** Recreate a Deployment's pods (delete them; the ReplicaSet makes new ones) and wait. */
export async function recreatePods(ctx: ScenarioContext, namespace: string, selector: string): Promise<void> {
  const before = new Set((await ctx.probe.pods(namespace, selector)).map((p) => p.name));
  await ctx.kubectlOk(['delete', 'pod', '-n', namespace, '-l', selector, '--wait=false']);
  await ctx.waitFor(`new pods ${selector}`, async () => {
    const now = (await ctx.probe.pods(namespace, selector)).filter((p) => !p.terminating);
    return now.length > 0 && now.every((p) => !before.has(p.name) && p.phase === 'Running');
  });
}
