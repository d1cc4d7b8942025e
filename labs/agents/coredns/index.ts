/** CoreDNS (1.11.3, kubeadm's Corefile) for the lab: wire codec, kubernetes plugin, server, pod resolv.conf. */
export { type CachedReply, ResponseCache } from './cache.ts';
export { type ClusterSource, type KubeObject, LABEL_SERVICE_NAME } from './cluster.ts';
export {
  type CacheSettings,
  CorefileError,
  corednsConfigMap,
  KUBEADM_COREFILE,
  kubeadmCorefile,
  parseCorefile,
  type ServerSettings,
  serverSettings,
} from './corefile.ts';
export { addressFromReverse, parseIP, reverseName } from './ip.ts';
export {
  COREDNS_COMMIT,
  COREDNS_GO_VERSION,
  COREDNS_PLATFORM,
  COREDNS_VERSION,
  corefileSha512,
  startupLines,
} from './logs.ts';
export * from './message.ts';
export {
  type DnsPolicy,
  type PodDnsConfig,
  type PodResolvConfInput,
  parseResolvConf,
  podDnsSettings,
  podResolvConf,
  type ResolvConf,
  renderResolvConf,
} from './resolvconf.ts';
export {
  DNS_SCHEMA_VERSION,
  KUBEADM_TTL,
  KUBERNETES_PLUGIN_DEFAULT_TTL,
  KubernetesResolver,
  type PodMode,
  type Resolution,
  type ResolverOptions,
  type Upstream,
  type UpstreamAnswer,
} from './resolver.ts';
export { CoreDnsServer, type CoreDnsServerOptions, type Transport } from './server.ts';
