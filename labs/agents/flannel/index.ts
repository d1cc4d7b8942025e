/** flanneld (v0.26, kube subnet manager, vxlan backend) for one lab node, and its install-cni step. */
export {
  type AgentExit,
  type AgentState,
  FlannelAgent,
  type FlannelAgentOptions,
  FlannelExitError,
  type FlannelStatus,
} from './agent.ts';
export { CNI_CONFLIST_PATH, installCni, parseEnvFile, renderSubnetEnv } from './files.ts';
export { defaultOptions, type FlanneldOptions, formatCliFlags, parseFlanneldArgs } from './flags.ts';
export { type ExternalInterface, type SelectionInput, selectExternalInterface, usableIPv4 } from './iface.ts';
export { forwardGroup, masqGroup, type RuleGroup } from './iptables.ts';
export { type NetConf, parseNetConf } from './netconf.ts';
export {
  type AnnotationNames,
  annotationNames,
  MemoryNodeSource,
  type NetworkAvailableCondition,
  type NodeObject,
  type NodeSource,
} from './nodes.ts';
export { type NodeCommandRunner, sandboxRunner } from './runner.ts';
