/**
 * The kube-flannel DaemonSet's containers on a netns node:
 * - `install-cni-plugin` (flannel-cni-plugin image): copying the plugin binary has nothing to do here;
 * - `install-cni` (`cp -f /etc/kube-flannel/cni-conf.json /etc/cni/net.d/10-flannel.conflist`):
 *   the ConfigMap's cni-conf.json written to the node, byte for byte;
 * - `kube-flannel` (flanneld): a FlannelAgent with the container's args and the ConfigMap's
 *   net-conf.json, logging klog lines to stderr as flanneld does.
 */
import { FlannelAgent } from '../../../agents/flannel/agent.ts';
import { installCni } from '../../../agents/flannel/files.ts';
import { parseFlanneldArgs } from '../../../agents/flannel/flags.ts';
import { sandboxRunner } from '../../../agents/flannel/runner.ts';
import { readMountedFile } from '../mounts.ts';
import { type AgentLaunch, LabAgents, type RunningAgent } from './types.ts';

const DEFAULT_NET_CONF = '/etc/kube-flannel/net-conf.json';

/**
 * The install-cni step: the text of the conflist source, or cp's complaint. Returns the exit code
 * and what cp would print.
 */
export async function runInstallCni(launch: AgentLaunch): Promise<{ code: number; stderr?: string }> {
  const [, ...args] = launch.argv;
  const operands = args.filter((a) => !a.startsWith('-'));
  const source = operands[0] ?? '/etc/kube-flannel/cni-conf.json';
  const file = launch.pod
    ? readMountedFile(launch.ctx.cp, launch.pod, launch.container.name, source)
    : { error: 'no such file or directory' };
  if ('error' in file) return { code: 1, stderr: `cp: can't stat '${source}': No such file or directory` };
  await installCni(launch.ctx.nodeRoot, file.text);
  return { code: 0 };
}

export function isInstallCni(argv: readonly string[]): boolean {
  const argv0 = argv[0] ?? '';
  return (argv0 === 'cp' || argv0.endsWith('/cp')) && argv.some((a) => a.endsWith('10-flannel.conflist'));
}

export function isFlanneld(argv: readonly string[]): boolean {
  return /(^|\/)flanneld$/.test(argv[0] ?? '');
}

/** Start flanneld for the container; `onRunning` fires once its backend runs (subnet.env written). */
export async function launchFlannel(launch: AgentLaunch, onRunning: () => void): Promise<RunningAgent> {
  const { ctx } = launch;
  const args = launch.argv.slice(1);
  const parsed = parseFlanneldArgs(args);
  const netConfPath = parsed.ok ? parsed.options.netConfPath || DEFAULT_NET_CONF : DEFAULT_NET_CONF;
  const file = launch.pod
    ? readMountedFile(ctx.cp, launch.pod, launch.container.name, netConfPath)
    : undefined;
  const agent = new FlannelAgent({
    nodeName: ctx.node.name,
    runner: sandboxRunner(ctx.sandbox, ctx.nodeNetns),
    nodeRoot: ctx.nodeRoot,
    args,
    // A missing file is a parse error for flanneld, which it reports and exits on.
    netConf: file && 'text' in file ? file.text : '',
    nodes: ctx.sources.nodes,
    log: (line) => launch.log('stderr', line),
  });
  ctx.agents.flannel.set(ctx.node.name, agent);
  agent.start().then(
    () => {
      if (agent.state === 'running') onRunning();
    },
    () => {},
  );
  const exited = agent.exited.then((e) => {
    LabAgents.forget(ctx.agents.flannel, ctx.node.name, agent);
    return e.code;
  });
  return {
    exited,
    stop: async (graceful) => {
      await agent.stop({ graceful });
    },
  };
}
