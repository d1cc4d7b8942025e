/**
 * The streaming subresources of pods, for the API server to call:
 *
 * - `handlePodLogs(req, res, {namespace, name}, query, deps): Promise<void>` serves
 *   GET pods/{name}/log. Query: container, follow, previous, sinceSeconds, sinceTime, timestamps,
 *   tailLines, limitBytes. text/plain; with follow=true a chunked response that stays open until
 *   the container exits or the client leaves. Errors are Status JSON with the apiserver's and
 *   kubelet's words (400 `container "web" in pod "web-1" is waiting to start: ContainerCreating`,
 *   400 `a container name must be specified for pod p, choose one of: [a b]`, 404, 422).
 *
 * - `handlePodStreamUpgrade(req, socket, head, {namespace, name, subresource}, query, deps): void`
 *   serves the 'upgrade' event for pods/{name}/exec and pods/{name}/attach: WebSocket with
 *   v5.channel.k8s.io (or v4). Query: command (repeated), container, stdin, stdout, stderr, tty.
 *   `-it` gets a real pty; exit codes reach kubectl (`command terminated with exit code 3`).
 *
 * `deps` (StreamDeps) gives the control plane and `kubeletFor(nodeName)`; a node without a kubelet
 * answers as an unreachable kubelet does (`dial tcp <ip>:10250: connect: connection refused`).
 * The Kubelet class of labs/runtime/kubelet.ts satisfies KubeletStreams.
 */

export { resolveContainer } from './locate.ts';
export { handlePodLogs, type PodLogQuery, parseLogQuery } from './logs.ts';
export {
  CHANNEL,
  exitCodeStatus,
  handlePodStreamUpgrade,
  internalErrorStatus,
  PROTOCOL_V4,
  PROTOCOL_V5,
  parseStreamQuery,
  type StreamQuery,
  successStatus,
} from './remotecommand.ts';
export type { KubeletStreams, LogSource, PodTarget, StreamDeps, StreamTarget } from './types.ts';
