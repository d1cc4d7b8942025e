/**
 * The kube-proxy DaemonSet's container on a netns node: a KubeProxyAgent configured from the
 * KubeProxyConfiguration its --config file names (ConfigMap kube-system/kube-proxy), writing the
 * node's iptables rules and logging klog lines to stderr.
 */
import { parse as parseYaml } from 'yaml';
import { klogLine, nowMicros } from '../../../agents/flannel/klog.ts';
import { sandboxRunner } from '../../../agents/flannel/runner.ts';
import { KubeProxyAgent } from '../../../agents/kube-proxy/agent.ts';
import type { KubeProxyConfig } from '../../../agents/kube-proxy/rules.ts';
import { readMountedFile } from '../mounts.ts';
import { SyncTracker } from '../sources.ts';
import { type AgentLaunch, exitLatch, flagValue, LabAgents, type RunningAgent } from './types.ts';

type Obj = Record<string, any>;

/** Go's time.ParseDuration for the units a config file uses; undefined when unparsable. */
export function goDurationMs(text: unknown): number | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const unit: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * unit[m[2]];
    consumed = re.lastIndex;
  }
  return consumed === text.length ? total : undefined;
}

export interface ParsedProxyConfig {
  mode: string;
  config: KubeProxyConfig;
  minSyncPeriodMs?: number;
  syncPeriodMs?: number;
}

/** The parts of a KubeProxyConfiguration the iptables proxier reads; zero durations mean defaults. */
export function parseKubeProxyConfiguration(text: string): ParsedProxyConfig {
  const c = (parseYaml(text) ?? {}) as Obj;
  if (typeof c !== 'object' || Array.isArray(c)) throw new Error('config is not a KubeProxyConfiguration');
  if (c.kind !== undefined && c.kind !== 'KubeProxyConfiguration')
    throw new Error(`unexpected kind "${c.kind}" in config`);
  const ipt: Obj = c.iptables ?? {};
  const positive = (ms: number | undefined) => (ms && ms > 0 ? ms : undefined);
  return {
    mode: typeof c.mode === 'string' && c.mode !== '' ? c.mode : 'iptables',
    config: {
      clusterCIDR: typeof c.clusterCIDR === 'string' && c.clusterCIDR !== '' ? c.clusterCIDR : undefined,
      masqueradeAll: !!ipt.masqueradeAll,
      masqueradeBit: typeof ipt.masqueradeBit === 'number' ? ipt.masqueradeBit : undefined,
      nodePortAddresses: Array.isArray(c.nodePortAddresses) ? c.nodePortAddresses.map(String) : undefined,
      localhostNodePorts: typeof ipt.localhostNodePorts === 'boolean' ? ipt.localhostNodePorts : undefined,
    },
    minSyncPeriodMs: positive(goDurationMs(ipt.minSyncPeriod)),
    syncPeriodMs: positive(goDurationMs(ipt.syncPeriod)),
  };
}

export function isKubeProxy(argv: readonly string[]): boolean {
  return /(^|\/)kube-proxy$/.test(argv[0] ?? '');
}

export async function launchKubeProxy(launch: AgentLaunch): Promise<RunningAgent> {
  const { ctx } = launch;
  const args = launch.argv.slice(1);
  const latch = exitLatch();
  const fatal = (source: string, message: string) => {
    launch.log('stderr', klogLine('E', source, message, nowMicros()));
    latch.exit(1);
  };
  const configPath = flagValue(args, 'config');
  let parsed: ParsedProxyConfig | undefined;
  if (configPath) {
    const file = launch.pod
      ? readMountedFile(ctx.cp, launch.pod, launch.container.name, configPath)
      : undefined;
    if (!file || 'error' in file) {
      fatal(
        'run.go:72',
        `"command failed" err="failed to load config: open ${configPath}: no such file or directory"`,
      );
    } else {
      try {
        parsed = parseKubeProxyConfiguration(file.text);
      } catch (e) {
        fatal('run.go:72', `"command failed" err="failed to decode config: ${(e as Error).message}"`);
      }
    }
  } else {
    parsed = { mode: 'iptables', config: { masqueradeAll: false } };
  }
  if (parsed && parsed.mode !== 'iptables') {
    const why =
      parsed.mode === 'ipvs'
        ? "can't use the IPVS proxier: this lab's kernel has no IPVS (ipvsadm: Protocol not available)"
        : `proxy mode "${parsed.mode}" is not modelled by this lab; use mode: iptables`;
    fatal('run.go:72', `"command failed" err="${why}"`);
    parsed = undefined;
  }
  if (!parsed) return { exited: latch.exited, stop: async () => latch.exit(0) };

  const tracker = new SyncTracker(ctx.sources.services);
  const agent = new KubeProxyAgent({
    nodeName: flagValue(args, 'hostname-override') || ctx.node.name,
    nodeIPs: [ctx.nodeIP],
    config: parsed.config,
    runner: sandboxRunner(ctx.sandbox, ctx.nodeNetns),
    source: tracker.source,
    onSync: (report) => tracker.synced(report.ok),
    log: (line) => launch.log('stderr', line),
    // Unset periods keep the agent's defaults (1 s and 30 s), as kube-proxy defaults zero values.
    ...(parsed.minSyncPeriodMs !== undefined ? { minSyncPeriodMs: parsed.minSyncPeriodMs } : {}),
    ...(parsed.syncPeriodMs !== undefined ? { syncPeriodMs: parsed.syncPeriodMs } : {}),
    version: ctx.kubernetesVersion,
  });
  ctx.agents.kubeProxy.set(ctx.node.name, agent);
  ctx.agents.kubeProxySync.set(ctx.node.name, tracker);
  agent.start().catch((e: Error) => fatal('server.go:528', `"Error running ProxyServer" err="${e.message}"`));
  let stopped = false;
  return {
    exited: latch.exited.then((code) => {
      LabAgents.forget(ctx.agents.kubeProxy, ctx.node.name, agent);
      LabAgents.forget(ctx.agents.kubeProxySync, ctx.node.name, tracker);
      return code;
    }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await agent.stop();
      latch.exit(0);
    },
  };
}
