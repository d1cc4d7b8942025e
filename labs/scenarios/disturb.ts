/**
 * What a persistence check does to a lab before it checks again: the restart, reboot, pod
 * recreation or rollout that would undo a fix made only by hand. Each one waits for the lab to
 * settle afterwards, so the lab is left working (as much as the learner's fix allows) and the
 * recheck sees what a learner would see a few seconds later.
 */
import type { LabContext } from './context.ts';
import type { Disturbance, Localized } from './format.ts';

export function describeDisturbance(d: Disturbance): Localized {
  if ('restart' in d)
    return d.node
      ? { en: `${d.restart} was restarted on ${d.node}`, 'zh-CN': `${d.node} 上的 ${d.restart} 重启` }
      : { en: `${d.restart} was restarted on every node`, 'zh-CN': `所有节点上的 ${d.restart} 重启` };
  if ('reboot' in d) {
    const which = d.reboot === 'all' ? 'every node' : d.reboot.join(', ');
    const zh = d.reboot === 'all' ? '所有节点' : d.reboot.join('、');
    return { en: `${which} rebooted`, 'zh-CN': `${zh} 重启` };
  }
  if ('recreate' in d)
    return {
      en: `the pods ${d.recreate.selector} in ${d.recreate.namespace} were recreated`,
      'zh-CN': `${d.recreate.namespace} 中的 ${d.recreate.selector} Pod 被重建`,
    };
  return {
    en: `${d.rollout.kind} ${d.rollout.name} was rolled out again`,
    'zh-CN': `${d.rollout.kind} ${d.rollout.name} 重新滚动更新`,
  };
}

/** Apply one disturbance through the Lab (recorded in ctx's evidence) and wait for the lab to settle. */
export async function disturb(ctx: LabContext, d: Disturbance, timeoutMs = 90_000): Promise<void> {
  const started = performance.now();
  if ('restart' in d) {
    await ctx.lab.restart(d.restart, d.node);
    ctx.record({
      ran: `restart ${d.restart}${d.node ? ` on ${d.node}` : ''}`,
      target: d.node ?? 'every node',
      exitCode: 0,
      output: '',
      ms: Math.round(performance.now() - started),
    });
  } else if ('reboot' in d) {
    const nodes = d.reboot === 'all' ? ctx.nodes.map((n) => n.name) : d.reboot;
    await Promise.all(nodes.map((n) => ctx.lab.reboot(n)));
    ctx.record({
      ran: `reboot ${nodes.join(' ')}`,
      target: nodes.join(', '),
      exitCode: 0,
      output: 'the node(s) came back from their persistent configuration',
      ms: Math.round(performance.now() - started),
    });
  } else if ('recreate' in d) {
    const { namespace, selector } = d.recreate;
    const before = await ctx.probe.pods(namespace, selector);
    const old = new Set(before.filter((p) => !p.terminating).map((p) => p.name));
    await ctx.kubectlOk(['delete', 'pod', '-n', namespace, '-l', selector, '--wait=false']);
    // Replacements come from their controllers; bare pods would not come back (and should not be recreated).
    await ctx.waitFor(
      `new pods ${selector} in ${namespace}`,
      async () => {
        const now = (await ctx.probe.pods(namespace, selector)).filter((p) => !p.terminating);
        return now.length >= old.size && now.every((p) => !old.has(p.name) && p.ready);
      },
      { timeoutMs },
    );
  } else {
    const { namespace, kind, name } = d.rollout;
    await ctx.kubectlOk(['rollout', 'restart', `${kind}/${name}`, '-n', namespace]);
  }
  await ctx.settle({ timeoutMs });
}
