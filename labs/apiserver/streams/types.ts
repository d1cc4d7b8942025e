/**
 * What the stream handlers need: the control plane (to read the pod, as the apiserver does before
 * proxying) and the kubelet of the pod's node (what the apiserver would dial on port 10250).
 */
import type { ControlPlaneCore } from '../../controlplane/types.ts';
import type { LogReadOptions } from '../../runtime/container-log.ts';
import type { AttachSession, PodRef } from '../../runtime/kubelet.ts';
import type { ExecOptions, ExecProcess, OutputSink } from '../../runtime/pod-runtime.ts';

/** A container instance's log, as the kubelet hands it out. */
export interface LogSource {
  read(opts: LogReadOptions): string;
  follow(opts: LogReadOptions, write: (text: string) => void, signal?: AbortSignal): Promise<void>;
}

/** The kubelet endpoints the apiserver proxies to (pods/log, pods/exec, pods/attach). */
export interface KubeletStreams {
  containerLog(ref: PodRef, container: string, previous: boolean): LogSource;
  exec(ref: PodRef, container: string, options: ExecOptions, output: OutputSink): Promise<ExecProcess>;
  attach(ref: PodRef, container: string, opts: { stdin: boolean }, output: OutputSink): AttachSession;
}

export interface StreamDeps {
  core: ControlPlaneCore;
  /** The kubelet running on a node, or undefined when none answers (node down, kubelet stopped). */
  kubeletFor(nodeName: string): KubeletStreams | undefined;
}

export interface PodTarget {
  namespace: string;
  name: string;
}

export interface StreamTarget extends PodTarget {
  subresource: 'exec' | 'attach';
}
