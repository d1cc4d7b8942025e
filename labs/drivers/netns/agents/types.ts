/**
 * How a system container's agent is started and watched. The container itself is the image's idle
 * placeholder (for `kubectl exec`); the agent does the component's work in this process, writes
 * its log lines into the container's log and ends the container when it exits on its own.
 */

import type { ClusterSource } from '../../../agents/coredns/cluster.ts';
import type { CoreDnsServer } from '../../../agents/coredns/server.ts';
import type { FlannelAgent } from '../../../agents/flannel/agent.ts';
import type { NodeSource } from '../../../agents/flannel/nodes.ts';
import type { KubeProxyAgent } from '../../../agents/kube-proxy/agent.ts';
import type { ControlPlane } from '../../../controlplane/controlplane.ts';
import type { KObject } from '../../../kube/object.ts';
import type { NativeSandbox } from '../../../netns/sandbox/types.ts';
import type { ContainerConfig, StdStream } from '../../../runtime/pod-runtime.ts';
import type { NodeSpec, Topology } from '../../../topology/types.ts';
import type { ChangeHub } from '../changes.ts';
import type { CountingServiceSource, SyncTracker } from '../sources.ts';

/** An agent standing in for a container's main process. */
export interface RunningAgent {
  /** Exit code once the agent ends (on its own, or after stop()). */
  readonly exited: Promise<number>;
  /** SIGTERM (`graceful`) or SIGKILL semantics. Idempotent. */
  stop(graceful: boolean): Promise<void>;
}

/** Every agent running in one lab, for readiness checks and tools. */
export class LabAgents {
  readonly flannel = new Map<string, FlannelAgent>();
  readonly kubeProxy = new Map<string, KubeProxyAgent>();
  /** Per node: whether its kube-proxy's last sync saw the current Services and EndpointSlices. */
  readonly kubeProxySync = new Map<string, SyncTracker>();
  readonly coredns = new Set<CoreDnsServer>();

  /**
   * Bring every node's kube-proxy rules up to the current Services and EndpointSlices: a sync now
   * where the last one saw older state (or always, with `force`).
   */
  async syncKubeProxies(force = false): Promise<void> {
    await Promise.all(
      [...this.kubeProxy].map(([node, agent]) =>
        force || !this.kubeProxySync.get(node)?.current ? agent.syncNow() : undefined,
      ),
    );
  }

  /** Remove `value` from `map` under `key` only if it is still the registered one. */
  static forget<V>(map: Map<string, V>, key: string, value: V): void {
    if (map.get(key) === value) map.delete(key);
  }
}

/** What one node offers its agents. */
export interface NodeAgentContext {
  cp: ControlPlane;
  sandbox: NativeSandbox;
  topology: Topology;
  node: NodeSpec;
  nodeIP: string;
  /** Sandbox-local name of the node's network namespace. */
  nodeNetns: string;
  /** Host directory of the node's files. */
  nodeRoot: string;
  kubernetesVersion: string;
  sources: { nodes: NodeSource; services: CountingServiceSource; dns: ClusterSource };
  /** The lab's one store listener. */
  hub: ChangeHub;
  agents: LabAgents;
}

/** One container start that an agent serves. */
export interface AgentLaunch {
  ctx: NodeAgentContext;
  /** The pod as stored (undefined if it vanished meanwhile). */
  pod: KObject | undefined;
  container: ContainerConfig;
  /** The container's full command line (entrypoint + args, or command + args). */
  argv: string[];
  /** Sandbox-local network namespace of the pod (the node's for hostNetwork pods). */
  netns: string;
  podIP: string;
  /** One line into the container's log. */
  log(stream: StdStream, line: string): void;
}

export type AgentLauncher = (launch: AgentLaunch) => Promise<RunningAgent>;

/** `--name=value` or `--name value` from a Go-style command line. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    for (const p of [`--${name}`, `-${name}`]) {
      if (a === p) return args[i + 1];
      if (a.startsWith(`${p}=`)) return a.slice(p.length + 1);
    }
  }
  return undefined;
}

/** An agent whose exit promise resolves once, with the first code given. */
export function exitLatch(): { exited: Promise<number>; exit: (code: number) => void } {
  let exit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => {
    exit = resolve;
  });
  return { exited, exit };
}
