/**
 * Nodes whose pods are plain host processes (no network namespaces): enough for the control-plane
 * test suites, where what matters is what the API shows and what exec, attach and logs do.
 */
import { subnet } from '../kube/ipnet.ts';
import { Kubelet, type KubeletOptions } from '../runtime/kubelet.ts';
import { ProcessRuntime } from '../runtime/process-runtime.ts';
import type { ControlPlane } from './controlplane.ts';

export interface ProcessNodeSpec {
  name: string;
  ip: string;
  controlPlane?: boolean;
}

export interface ProcessNodes {
  kubelets: Map<string, Kubelet>;
  stop(): Promise<void>;
}

export async function startProcessNodes(
  cp: ControlPlane,
  specs: ProcessNodeSpec[],
  opts: KubeletOptions = {},
): Promise<ProcessNodes> {
  const kubelets = new Map<string, Kubelet>();
  await Promise.all(
    specs.map(async (spec, index) => {
      const podCIDR = subnet(cp.config.podCIDR, 24, index);
      const runtime = new ProcessRuntime({ nodeName: spec.name, nodeIP: spec.ip, podCIDR });
      const kubelet = new Kubelet(
        cp,
        {
          name: spec.name,
          addresses: [
            { type: 'InternalIP', address: spec.ip },
            { type: 'Hostname', address: spec.name },
          ],
          labels: spec.controlPlane ? { 'node-role.kubernetes.io/control-plane': '' } : {},
          taints: spec.controlPlane
            ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]
            : [],
          podCIDR,
          nodeInfo: {
            kubeletVersion: cp.config.kubernetesVersion,
            osImage: 'Ubuntu 16.04.6 LTS',
            kernelVersion: '4.4.0-210-generic',
          },
        },
        runtime,
        opts,
      );
      kubelets.set(spec.name, kubelet);
      cp.kubelets.set(spec.name, kubelet);
      await kubelet.start();
    }),
  );
  return {
    kubelets,
    async stop() {
      await Promise.all([...kubelets.values()].map((k) => k.stop()));
      for (const name of kubelets.keys()) cp.kubelets.delete(name);
    },
  };
}
