/**
 * The process driver's nodes: a kubelet on the process runtime per topology node, with the node's
 * first static address as InternalIP and its pod subnet from the topology. Nothing listens on
 * those addresses: they are what the API shows.
 */
import type { ControlPlane } from '../../controlplane/controlplane.ts';
import { Kubelet } from '../../runtime/kubelet.ts';
import { ProcessRuntime } from '../../runtime/process-runtime.ts';
import type { NodeSpec, Topology } from '../../topology/types.ts';
import { nodeRegistrationLabels } from '../cluster.ts';

/** The node's InternalIP: its apiserver advertise address, else the first static address of its NICs. */
export function nodeIP(topology: Topology, node: NodeSpec): string {
  const advertised = topology.cluster.apiserver.endpoints.find((e) => e.node === node.name);
  if (advertised) return advertised.address;
  for (const nic of node.nics) {
    const first = nic.addresses[0];
    if (first) return first.split('/')[0];
  }
  throw new Error(`node ${node.name} has no static address to register with`);
}

export async function startKubelet(cp: ControlPlane, topology: Topology, node: NodeSpec): Promise<Kubelet> {
  const ip = nodeIP(topology, node);
  const controlPlane = node.role === 'control-plane';
  const runtime = new ProcessRuntime({ nodeName: node.name, nodeIP: ip, podCIDR: node.podCIDR });
  const kubelet = new Kubelet(
    cp,
    {
      name: node.name,
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: node.hostname },
      ],
      labels: nodeRegistrationLabels(node.name, controlPlane),
      taints: controlPlane ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : [],
      podCIDR: node.podCIDR,
      nodeInfo: {
        kubeletVersion: cp.config.kubernetesVersion,
        osImage: 'Ubuntu 16.04.6 LTS',
        kernelVersion: '4.4.0-210-generic',
      },
    },
    runtime,
  );
  // The apiserver proxies logs, exec and attach to the node's kubelet through this map.
  cp.kubelets.set(node.name, kubelet as never);
  try {
    await kubelet.start();
  } catch (e) {
    cp.kubelets.delete(node.name);
    await kubelet.stop().catch(() => {});
    throw e;
  }
  return kubelet;
}

export async function stopKubelet(cp: ControlPlane, name: string, kubelet: Kubelet): Promise<void> {
  await kubelet.stop();
  if (cp.kubelets.get(name) === (kubelet as never)) cp.kubelets.delete(name);
}

/** Resolves when every named Node reports Ready=True; rejects on abort or after `timeoutMs`. */
export async function waitNodesReady(
  cp: ControlPlane,
  names: string[],
  signal: AbortSignal,
  timeoutMs = 30_000,
): Promise<void> {
  const nodes = cp.kind('', 'nodes');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal.throwIfAborted();
    const notReady = names.filter((name) => {
      const conditions = (cp.store.tryGet(nodes, undefined, name)?.status?.conditions ?? []) as {
        type: string;
        status: string;
      }[];
      return !conditions.some((c) => c.type === 'Ready' && c.status === 'True');
    });
    if (notReady.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`nodes not Ready after ${timeoutMs} ms: ${notReady.join(', ')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
