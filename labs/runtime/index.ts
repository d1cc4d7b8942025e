/**
 * Node agents' runtime side: the kubelet and the PodRuntime boundary it drives.
 *
 * - `Kubelet(core, node, runtime, opts)`: one per node. `start()` registers the Node (labels,
 *   addresses, capacity, nodeInfo, conditions), renews its Lease and runs every pod bound to the
 *   node; `stop()` kills the node's containers without touching the API (a node going down);
 *   `setNetworkReady(bool)` flips Ready the way a missing CNI config does. `containerLog`, `exec`
 *   and `attach` are what the API server's stream handlers call (labs/apiserver/streams).
 * - `PodRuntime` (pod-runtime.ts): sandbox, image, container, exec and probe operations, with the
 *   CRI's messages. `ProcessRuntime` implements it with plain host processes; the netns dataplane
 *   implements it with network namespaces.
 * - `builtinCatalog()` (images/): the images a lab can run and how each behaves.
 * - `reapOrphanContainers()`: kill containers left behind by a lab daemon that died (labctl gc).
 */
export { Backoff, goDuration } from './backoff.ts';
export { ContainerLog, type LogReadOptions } from './container-log.ts';
export { builtinCatalog, ImageCatalog, type ImageDefinition } from './images/index.ts';
export { type AttachSession, Kubelet, KubeletError, type KubeletOptions, type PodRef } from './kubelet.ts';
export type { NodeAddress, NodeDescription, Taint } from './node-status.ts';
export * from './pod-runtime.ts';
export {
  containerArgv,
  ProcessRuntime,
  type ProcessRuntimeOptions,
  SANDBOX_IMAGE,
} from './process-runtime.ts';
export { reapOrphanContainers } from './process-tree.ts';
