/** kube-proxy (iptables mode, as 1.32) for one lab node: the rules it writes and the agent that keeps them. */
export { KubeProxyAgent, type KubeProxyAgentOptions, type SyncReport } from './agent.ts';
export { endpointChainName, portProtoHash, serviceChainName } from './chains.ts';
export type { EndpointSliceObject, ServiceObject } from './model.ts';
export {
  buildRules,
  type JumpRule,
  jumpRules,
  type KubeProxyConfig,
  type RulesInput,
  type RulesResult,
} from './rules.ts';
export { ipNetnsRunner, type NodeCommandRunner, sandboxRunner } from './runner.ts';
export { MemoryServiceSource, type ServiceSnapshot, type ServiceSource } from './source.ts';
