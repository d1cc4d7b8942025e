export type {
  ClusterInput,
  HostInput,
  InterfaceInput,
  NicInput,
  NodeInput,
  RouterInput,
} from './declare.ts';
export {
  DEFAULT_PERSISTENT_PATHS,
  defineTopology,
  KUBEADM_NODE_SYSCTLS,
  stableMac,
  TopologyDraft,
} from './declare.ts';
export type { DhcpLease } from './dhcp.ts';
export { dhcpLease } from './dhcp.ts';
export * as ipv4 from './ipv4.ts';
export type * from './types.ts';
export type { TopologyIssue } from './validate.ts';
export {
  assertValidTopology,
  formatIssue,
  ifnameProblem,
  isNetnsSysctl,
  MAX_IFNAME,
  TopologyError,
  validateTopology,
} from './validate.ts';
