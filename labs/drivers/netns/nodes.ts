/**
 * A netns lab's node as the cluster sees it: a kubelet whose runtime makes pods network namespaces
 * on the node's cni0 (NetnsPodRuntime) and runs the system components' agents (AgentPodRuntime).
 * The node registers NotReady and turns Ready once flannel has written its subnet.env; the control
 * plane's images are already in its store (kubeadm pulls them at init), the rest "pulls" at once.
 */
import type { ControlPlane } from '../../controlplane/controlplane.ts';
import { NetnsPodRuntime } from '../../netns/pods/runtime.ts';
import type { ImageCatalog } from '../../runtime/images/catalog.ts';
import { Kubelet } from '../../runtime/kubelet.ts';
import type { NodeSpec, Topology } from '../../topology/types.ts';
import { nodeRegistrationLabels } from '../cluster.ts';
import { AgentPodRuntime } from './agent-runtime.ts';
import type { NodeAgentContext } from './agents/types.ts';
import { prePulledImages } from './manifests.ts';
import type { NetnsEnvironmentSettings } from './settings.ts';

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

export interface RunningNode {
  kubelet: Kubelet;
  runtime: AgentPodRuntime;
}

export async function startNode(
  ctx: NodeAgentContext,
  settings: NetnsEnvironmentSettings,
  catalog: ImageCatalog,
): Promise<RunningNode> {
  const { cp, node } = ctx;
  const controlPlane = node.role === 'control-plane';
  const inner = new NetnsPodRuntime({
    sandbox: ctx.sandbox,
    nodeName: node.name,
    nodeNetns: ctx.nodeNetns,
    nodeIP: ctx.nodeIP,
    nodeRoot: ctx.nodeRoot,
    podCIDR: node.podCIDR,
    nodeHostname: node.hostname,
    catalog,
    pullTime: () => 0,
  });
  let kubelet: Kubelet | undefined;
  const runtime = new AgentPodRuntime({
    inner,
    catalog,
    ctx,
    onNetworkReady: () => kubelet?.setNetworkReady(true),
  });
  await Promise.all(prePulledImages(settings, controlPlane).map((image) => runtime.pullImage(image)));
  kubelet = new Kubelet(
    cp,
    {
      name: node.name,
      addresses: [
        { type: 'InternalIP', address: ctx.nodeIP },
        { type: 'Hostname', address: node.hostname },
      ],
      labels: nodeRegistrationLabels(node.name, controlPlane),
      taints: controlPlane ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : [],
      podCIDR: node.podCIDR,
      nodeInfo: {
        kubeletVersion: settings.kubernetesVersion,
        osImage: settings.osImage,
        kernelVersion: settings.kernelVersion,
      },
    },
    runtime,
    { networkReady: false },
  );
  // The apiserver proxies logs, exec and attach to the node's kubelet through this map.
  cp.kubelets.set(node.name, kubelet as never);
  try {
    await kubelet.start();
    // A node whose flannel state survived (a kubelet restart) is Ready at once.
    await runtime.checkNetwork();
  } catch (e) {
    await stopNode(cp, node.name, { kubelet, runtime });
    throw e;
  }
  return { kubelet, runtime };
}

export async function stopNode(cp: ControlPlane, name: string, running: RunningNode): Promise<void> {
  await running.kubelet.stop();
  if (cp.kubelets.get(name) === (running.kubelet as never)) cp.kubelets.delete(name);
}
