/**
 * The driver boundary. Everything above it - scenarios, the grader, labctl, the lesson site - is
 * driver-agnostic: a scenario injects its fault, checks and solves through a `Lab`, whether the
 * lab is network namespaces on this kernel (netns) or a kind cluster in Docker (kind).
 */

/** `process` is the network-less development driver (labs/drivers/process), hidden from learners. */
export type DriverName = 'netns' | 'kind' | 'process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the command, for evidence in check results. */
  ms: number;
}

export interface ExecOptions {
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** Where a command runs: a node's host namespace, or a container of a pod. */
export type ExecTarget = { node: string } | { pod: { namespace: string; name: string }; container?: string };

export interface ProgressEvent {
  /** Stable id of the step ('sandbox', 'node:ubuntu02', 'workloads', ...). */
  step: string;
  title: string;
  done: number;
  total: number;
  state: 'running' | 'done' | 'failed';
}

export type ProgressSink = (e: ProgressEvent) => void;

/** Components a scenario may restart, as an operator would (`kubectl delete pod`, systemctl). */
export type Component = 'flannel' | 'kube-proxy' | 'coredns' | 'kubelet';

/**
 * Label every driver puts on each Kubernetes Node with the story's node name (`ubuntu02`): manifests
 * select nodes by it (`nodeSelector`), because kind names its Nodes itself.
 */
export const STORY_NODE_LABEL = 'svc-labs.io/node';

export interface LabNodeInfo {
  /** The story's name (`ubuntu02`): what exec, files and scenarios use. */
  name: string;
  /** The Kubernetes Node's name: the same on netns, kind's container name on kind. */
  kubeName: string;
  role: 'control-plane' | 'worker';
  addresses: { nic: string; address: string }[];
}

export interface Lab {
  readonly name: string;
  readonly driver: DriverName;
  readonly environment: string;
  readonly kubeconfigPath: string;
  nodes(): LabNodeInfo[];
  exec(target: ExecTarget, argv: string[], opts?: ExecOptions): Promise<RunResult>;
  /** The real kubectl against this lab. */
  kubectl(args: string[], opts?: ExecOptions): Promise<RunResult>;
  readNodeFile(node: string, path: string): Promise<string>;
  writeNodeFile(node: string, path: string, content: string): Promise<void>;
  restart(component: Component, node?: string): Promise<void>;
  reboot(node: string): Promise<void>;
  destroy(): Promise<void>;
}
