/**
 * Pods as real network namespaces on a netns lab node: the CNI bridge emulation (flannel delegating
 * to bridge + host-local), the per-pod files, real serving sockets and node-side probes, behind the
 * kubelet's PodRuntime interface.
 */
export { attachPod, detachPod, ensureBridge, hostVethName, POD_IFNAME, podRoutes } from './bridge.ts';
export { CniNode, type CniNodeOptions, type CniPlan, type PodNetwork } from './cni.ts';
export {
  type BridgeConf,
  CNI_BIN_DIR,
  CNI_CONF_DIR,
  CNI_NOT_INITIALIZED,
  CniError,
  FLANNEL_DATA_DIR,
  FLANNEL_SUBNET_FILE,
  type FlannelSubnetEnv,
  flannelDelegate,
  HOST_LOCAL_DATA_DIR,
  type HostLocalConf,
  loadFlannelSubnetEnv,
  loadNetworkConfig,
  type NetworkConfigList,
  parseNetworkConfig,
} from './cni-config.ts';
export { type Allocation, releaseById, reservations, reserve, storeDir } from './host-local.ts';
export {
  CONTAINERD_SANDBOXES,
  KUBELET_PODS,
  parseResolvConf,
  podHostname,
  renderPodHosts,
  renderResolvConf,
} from './pod-files.ts';
export { type NetworkProbeOptions, networkProbe } from './probes.ts';
export { NetnsPodRuntime, type NetnsPodRuntimeOptions } from './runtime.ts';
export { responderFor, type ServeContext, type ServedPorts, servePorts } from './serving.ts';
