/**
 * A control-plane core (real store, real kinds, real event recorder) with kubelets on the process
 * runtime, for runtime and stream tests. No scheduler: pods are created with spec.nodeName set,
 * as a bound pod arrives at a kubelet.
 */

import { EventRecorder } from '../../../labs/controllers/events.ts';
import type { ClusterConfig, ControlPlaneCore } from '../../../labs/controlplane/types.ts';
import type { KObject } from '../../../labs/kube/object.ts';
import { builtinKinds } from '../../../labs/registry/index.ts';
import type { ClusterContext, KindDefinition } from '../../../labs/registry/strategy.ts';
import { Kubelet, type KubeletOptions } from '../../../labs/runtime/kubelet.ts';
import type { NodeDescription } from '../../../labs/runtime/node-status.ts';
import { ProcessRuntime } from '../../../labs/runtime/process-runtime.ts';
import { CidrAllocator, PortRangeAllocator } from '../../../labs/store/allocators.ts';
import { KindRegistry } from '../../../labs/store/kind-registry.ts';
import { ObjectStore } from '../../../labs/store/store.ts';

export function makeCore(): ControlPlaneCore {
  const config: ClusterConfig = {
    name: 'test',
    podCIDR: '10.244.0.0/16',
    serviceCIDR: '10.96.0.0/12',
    dnsIP: '10.96.0.10',
    clusterDomain: 'cluster.local',
    nodePortRange: [30000, 32767],
    kubernetesVersion: 'v1.32.4',
    apiservers: [{ nodeName: 'ubuntu01', ip: '192.168.56.11', port: 6443 }],
  };
  const ctx: ClusterContext = {
    serviceCIDR: config.serviceCIDR,
    nodePortRange: config.nodePortRange,
    clusterDomain: config.clusterDomain,
    allocators: {
      clusterIP: new CidrAllocator(config.serviceCIDR),
      nodePort: new PortRangeAllocator(30000, 32767),
    },
    now: Date.now,
  };
  const kinds = new KindRegistry();
  for (const def of builtinKinds()) kinds.register(def);
  const store = new ObjectStore(kinds, ctx);
  const core: ControlPlaneCore = {
    config,
    ctx,
    store,
    kinds,
    events: new EventRecorder({ store }),
    kind(group: string, resource: string): KindDefinition {
      const def = kinds.byResource(group, resource);
      if (!def) throw new Error(`kind ${resource}.${group} is not registered`);
      return def;
    },
  };
  for (const ns of ['default', 'kube-system', 'kube-node-lease']) {
    store.create(core.kind('', 'namespaces'), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
  }
  return core;
}

export function nodeDescription(
  name: string,
  ip: string,
  podCIDR: string,
  controlPlane = false,
): NodeDescription {
  return {
    name,
    addresses: [
      { type: 'InternalIP', address: ip },
      { type: 'Hostname', address: name },
    ],
    labels: controlPlane ? { 'node-role.kubernetes.io/control-plane': '' } : {},
    taints: controlPlane ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : [],
    podCIDR,
    nodeInfo: {
      kubeletVersion: 'v1.32.4',
      osImage: 'Ubuntu 16.04.6 LTS',
      kernelVersion: '4.4.0-210-generic',
    },
  };
}

/** Fast timings for tests: short back-offs, instant pulls. */
export const FAST: KubeletOptions = {
  crashLoopBackoff: { initialMs: 400, maxMs: 1600 },
  imagePullBackoff: { initialMs: 400, maxMs: 1600 },
  resyncMs: 100,
  syncPeriodMs: 300,
};

export class TestNode {
  readonly core: ControlPlaneCore;
  readonly kubelet: Kubelet;
  readonly runtime: ProcessRuntime;

  constructor(
    core: ControlPlaneCore,
    name = 'ubuntu02',
    ip = '192.168.56.12',
    podCIDR = '10.244.1.0/24',
    opts: KubeletOptions = FAST,
  ) {
    this.core = core;
    this.runtime = new ProcessRuntime({ nodeName: name, nodeIP: ip, podCIDR, pullTime: () => 0 });
    this.kubelet = new Kubelet(core, nodeDescription(name, ip, podCIDR), this.runtime, opts);
  }
}

export function podsDef(core: ControlPlaneCore): KindDefinition {
  return core.kind('', 'pods');
}

export function createPod(
  core: ControlPlaneCore,
  pod: Partial<KObject> & { metadata: KObject['metadata']; spec: any },
): KObject {
  return core.store.create(podsDef(core), { apiVersion: 'v1', kind: 'Pod', ...pod } as KObject);
}

export function getPod(core: ControlPlaneCore, name: string, namespace = 'default'): KObject | undefined {
  return core.store.tryGet(podsDef(core), namespace, name);
}

/** Poll until `check` returns a truthy value (or throw with the last value seen). */
export async function until<T>(
  what: string,
  check: () => T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = check();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)?.slice(0, 400)})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function condition(pod: KObject | undefined, type: string): string | undefined {
  return pod?.status?.conditions?.find((c: any) => c.type === type)?.status;
}

export function containerStatus(pod: KObject | undefined, name: string): any {
  return pod?.status?.containerStatuses?.find((c: any) => c.name === name);
}

/** Events about an object, oldest first, as `Reason: message`. */
export function eventsFor(core: ControlPlaneCore, name: string, namespace = 'default'): string[] {
  return core.store
    .list(core.kind('', 'events'), namespace)
    .filter((e) => e.involvedObject?.name === name)
    .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))
    .map((e) => `${e.reason}: ${e.message}`);
}
