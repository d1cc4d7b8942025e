/**
 * The Node object a kubelet registers and keeps current, and its Lease in kube-node-lease: labels
 * and annotations a kubeadm node carries, capacity/allocatable, nodeInfo, the pressure and Ready
 * conditions with the kubelet's reasons and messages, and the image list.
 */
import { createHash } from 'node:crypto';
import type { KObject } from '../kube/object.ts';
import { nowTimestamp } from '../kube/object.ts';
import type { PulledImage } from './pod-runtime.ts';

type Obj = Record<string, any>;

export interface NodeAddress {
  type: 'InternalIP' | 'ExternalIP' | 'Hostname' | 'InternalDNS' | 'ExternalDNS';
  address: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodeDescription {
  name: string;
  /** InternalIP first: it is the node's address for pods (hostIP) and for the apiserver. */
  addresses: NodeAddress[];
  /** Extra labels, e.g. `node-role.kubernetes.io/control-plane: ''` on control-plane nodes. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: Taint[];
  /** The node's pod subnet, e.g. 10.244.1.0/24. */
  podCIDR: string;
  capacity?: Partial<
    Record<'cpu' | 'memory' | 'pods' | 'ephemeral-storage' | 'hugepages-1Gi' | 'hugepages-2Mi', string>
  >;
  nodeInfo: {
    kubeletVersion: string;
    /** `Ubuntu 16.04.6 LTS` */
    osImage: string;
    kernelVersion: string;
    /** Defaults to the runtime's version (`containerd://1.7.24`). */
    containerRuntimeVersion?: string;
    architecture?: string;
    operatingSystem?: string;
  };
  providerID?: string;
}

export const DEFAULT_CAPACITY = {
  cpu: '2',
  'ephemeral-storage': '61202244Ki',
  'hugepages-1Gi': '0',
  'hugepages-2Mi': '0',
  memory: '4015608Ki',
  pods: '110',
};

/** The node's InternalIP (or its first address). */
export function internalIP(desc: NodeDescription): string {
  return (desc.addresses.find((a) => a.type === 'InternalIP') ?? desc.addresses[0])?.address ?? '';
}

function kiOf(q: string): number | undefined {
  const m = q.match(/^(\d+)Ki$/);
  return m ? Number(m[1]) : undefined;
}

/** Allocatable as the kubelet computes it with kubeadm's defaults (eviction: 100Mi memory, 10% disk). */
export function allocatable(capacity: Record<string, string>): Record<string, string> {
  const out = { ...capacity };
  const mem = kiOf(capacity.memory ?? '');
  if (mem !== undefined) out.memory = `${Math.max(0, mem - 102400)}Ki`;
  const disk = kiOf(capacity['ephemeral-storage'] ?? '');
  if (disk !== undefined) out['ephemeral-storage'] = String(Math.floor(disk * 1024 * 0.9));
  return out;
}

function stableHex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

function uuidFrom(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function capacityOf(desc: NodeDescription): Record<string, string> {
  return { ...DEFAULT_CAPACITY, ...(desc.capacity as Record<string, string>) };
}

export function nodeLabels(desc: NodeDescription): Record<string, string> {
  const arch = desc.nodeInfo.architecture ?? 'amd64';
  const os = desc.nodeInfo.operatingSystem ?? 'linux';
  const hostname = desc.addresses.find((a) => a.type === 'Hostname')?.address ?? desc.name;
  return {
    'beta.kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': os,
    'kubernetes.io/arch': arch,
    'kubernetes.io/hostname': hostname,
    'kubernetes.io/os': os,
    ...desc.labels,
  };
}

/** The object a kubelet registers (POST nodes). */
export function registrationObject(desc: NodeDescription): KObject {
  const spec: Obj = { podCIDR: desc.podCIDR, podCIDRs: [desc.podCIDR] };
  if (desc.providerID) spec.providerID = desc.providerID;
  if (desc.taints?.length) spec.taints = desc.taints.map((t) => ({ ...t }));
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: desc.name,
      labels: nodeLabels(desc),
      annotations: {
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        ...desc.annotations,
      },
    },
    spec,
  };
}

export interface ReadyState {
  ready: boolean;
  /** Why not, as the kubelet words it. */
  message?: string;
}

interface ConditionSpec {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export function nodeConditions(ready: ReadyState): ConditionSpec[] {
  return [
    {
      type: 'MemoryPressure',
      status: 'False',
      reason: 'KubeletHasSufficientMemory',
      message: 'kubelet has sufficient memory available',
    },
    {
      type: 'DiskPressure',
      status: 'False',
      reason: 'KubeletHasNoDiskPressure',
      message: 'kubelet has no disk pressure',
    },
    {
      type: 'PIDPressure',
      status: 'False',
      reason: 'KubeletHasSufficientPID',
      message: 'kubelet has sufficient PID available',
    },
    ready.ready
      ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
      : {
          type: 'Ready',
          status: 'False',
          reason: 'KubeletNotReady',
          message: ready.message ?? 'container runtime status check may not have completed yet',
        },
  ];
}

export interface NodeStatusInput {
  desc: NodeDescription;
  runtimeVersion: string;
  images: PulledImage[];
  ready: ReadyState;
  bootID: string;
  now: number;
}

/**
 * The node status the kubelet posts. Conditions it does not own (NetworkUnavailable from flannel)
 * are kept; its own keep their transition time while their status holds. Returns the status and
 * the condition types whose status changed (for the NodeHas... / NodeReady events).
 */
export function nodeStatus(
  existing: Obj | undefined,
  input: NodeStatusInput,
): { status: Obj; changed: ConditionSpec[] } {
  const { desc, now } = input;
  const stamp = nowTimestamp(now);
  const prior: Obj[] = existing?.conditions ?? [];
  const changed: ConditionSpec[] = [];
  const mine = nodeConditions(input.ready).map((c) => {
    const prev = prior.find((p) => p.type === c.type);
    const same = prev && prev.status === c.status;
    if (!same) changed.push(c);
    return {
      type: c.type,
      status: c.status,
      lastHeartbeatTime: stamp,
      lastTransitionTime: same && prev.lastTransitionTime ? prev.lastTransitionTime : stamp,
      reason: c.reason,
      message: c.message,
    };
  });
  const others = prior.filter((p) => !mine.some((m) => m.type === p.type));
  const capacity = capacityOf(desc);
  const machine = stableHex(`machine ${desc.name}`, 32);
  const images = [...input.images]
    .sort((a, b) => b.sizeBytes - a.sizeBytes)
    .slice(0, 50)
    .map((i) => ({ names: [i.id, i.name], sizeBytes: i.sizeBytes }));
  return {
    status: {
      capacity,
      allocatable: allocatable(capacity),
      conditions: [...others, ...mine],
      addresses: desc.addresses.map((a) => ({ type: a.type, address: a.address })),
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: machine,
        systemUUID: uuidFrom(stableHex(`uuid ${desc.name}`, 32)),
        bootID: input.bootID,
        kernelVersion: desc.nodeInfo.kernelVersion,
        osImage: desc.nodeInfo.osImage,
        containerRuntimeVersion: desc.nodeInfo.containerRuntimeVersion ?? input.runtimeVersion,
        kubeletVersion: desc.nodeInfo.kubeletVersion,
        kubeProxyVersion: '',
        operatingSystem: desc.nodeInfo.operatingSystem ?? 'linux',
        architecture: desc.nodeInfo.architecture ?? 'amd64',
      },
      images,
    },
    changed,
  };
}

/** metav1.MicroTime: `2024-01-15T10:00:00.123456Z`. */
export function microTime(ms: number): string {
  const d = new Date(ms);
  const micros = String(d.getUTCMilliseconds() * 1000 + Math.floor(Math.random() * 1000)).padStart(6, '0');
  return `${d.toISOString().slice(0, 19)}.${micros}Z`;
}

export const LEASE_NAMESPACE = 'kube-node-lease';

export function leaseObject(node: KObject, durationSeconds: number, now: number): KObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: node.metadata.name!,
      namespace: LEASE_NAMESPACE,
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Node', name: node.metadata.name!, uid: node.metadata.uid! },
      ],
    },
    spec: {
      holderIdentity: node.metadata.name!,
      leaseDurationSeconds: durationSeconds,
      renewTime: microTime(now),
    },
  };
}
