/**
 * /etc/resolv.conf of a pod, as the kubelet computes it (pkg/kubelet/network/dns) and the container
 * runtime writes it (containerd: `search`, then `nameserver` lines, then `options`):
 *
 *   search default.svc.cluster.local svc.cluster.local cluster.local
 *   nameserver 10.96.0.10
 *   options ndots:5
 *
 * ClusterFirst (and ClusterFirstWithHostNet) use the cluster DNS, the three cluster search domains
 * followed by the node's own, and `ndots:5`. Default - and ClusterFirst on a hostNetwork pod - use
 * the node's resolv.conf, re-rendered from its nameserver/search/options lines. None uses only the
 * pod's dnsConfig. dnsConfig is appended in every case; limits (3 nameservers, 32 search domains,
 * 2048 characters) are applied last.
 */

export type DnsPolicy = 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';

export interface PodDnsConfig {
  nameservers?: string[];
  searches?: string[];
  options?: { name: string; value?: string }[];
}

export interface PodResolvConfInput {
  namespace: string;
  /** The cluster DNS Service IP(s) (kubelet --cluster-dns), e.g. 10.96.0.10. */
  dnsIP: string | string[];
  /** kubelet --cluster-domain. Default cluster.local. */
  clusterDomain?: string;
  hostNetwork?: boolean;
  /** Default ClusterFirst, the API default. */
  dnsPolicy?: DnsPolicy;
  /** The node's resolv.conf text (kubelet --resolv-conf). */
  nodeResolvConf?: string;
  /** The pod's spec.dnsConfig. */
  dnsConfig?: PodDnsConfig;
}

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

const MAX_NAMESERVERS = 3;
const MAX_SEARCH_PATHS = 32;
const MAX_SEARCH_CHARS = 2048;
const MAX_SEARCH_PATH_LENGTH = 253;

/** Parse resolv.conf like the kubelet: nameservers accumulate, the last search and options lines win. */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    const fields = line.split(/\s+/).filter(Boolean);
    if (fields.length === 0) continue;
    if (fields[0] === 'nameserver' && fields[1]) out.nameservers.push(fields[1]);
    if (fields[0] === 'search') out.searches = fields.slice(1).map((s) => s.replace(/\.$/, ''));
    if (fields[0] === 'options') out.options = fields.slice(1);
  }
  return out;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

function mergeOptions(existing: string[], extra: PodDnsConfig['options'] = []): string[] {
  const map = new Map<string, string>();
  for (const op of existing) {
    const i = op.indexOf(':');
    if (i === -1) map.set(op, '');
    else map.set(op.slice(0, i), op.slice(i + 1));
  }
  for (const op of extra) map.set(op.name, op.value ?? '');
  return [...map].map(([name, value]) => (value ? `${name}:${value}` : name));
}

function fitSearches(searches: string[]): string[] {
  let list = searches.slice(0, MAX_SEARCH_PATHS).filter((s) => s.length <= MAX_SEARCH_PATH_LENGTH);
  while (list.length > 0 && list.join(' ').length > MAX_SEARCH_CHARS) list = list.slice(0, -1);
  return list;
}

/** The kubelet's DNS settings for a pod. */
export function podDnsSettings(input: PodResolvConfInput): ResolvConf {
  const domain = (input.clusterDomain ?? 'cluster.local').replace(/\.$/, '');
  const host = parseResolvConf(input.nodeResolvConf ?? '');
  const clusterDNS = Array.isArray(input.dnsIP) ? input.dnsIP : input.dnsIP ? [input.dnsIP] : [];
  const policy = input.dnsPolicy ?? 'ClusterFirst';
  const usesCluster =
    policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !input.hostNetwork);
  let dns: ResolvConf;
  if (policy === 'None') {
    dns = { nameservers: [], searches: [], options: [] };
  } else if (usesCluster && clusterDNS.length > 0) {
    const clusterSearch = domain ? [`${input.namespace}.svc.${domain}`, `svc.${domain}`, domain] : [];
    dns = {
      nameservers: [...clusterDNS],
      searches: unique([...clusterSearch, ...host.searches]),
      options: ['ndots:5'],
    };
  } else {
    dns = host;
  }
  if (input.dnsConfig) {
    dns = {
      nameservers: unique([...dns.nameservers, ...(input.dnsConfig.nameservers ?? [])]),
      searches: unique([...dns.searches, ...(input.dnsConfig.searches ?? [])]),
      options: mergeOptions(dns.options, input.dnsConfig.options),
    };
  }
  return {
    nameservers: dns.nameservers.slice(0, MAX_NAMESERVERS),
    searches: fitSearches(dns.searches),
    options: dns.options,
  };
}

/** The file itself, byte for byte as the container runtime writes it. */
export function renderResolvConf(dns: ResolvConf): string {
  let out = '';
  if (dns.searches.length > 0) out += `search ${dns.searches.join(' ')}\n`;
  if (dns.nameservers.length > 0) out += `nameserver ${dns.nameservers.join('\nnameserver ')}\n`;
  if (dns.options.length > 0) out += `options ${dns.options.join(' ')}\n`;
  return out;
}

/**
 * The pod's /etc/resolv.conf. When nothing at all is configured (policy None without dnsConfig,
 * or an empty node file), the runtime copies the node's file instead of writing an empty one.
 */
export function podResolvConf(input: PodResolvConfInput): string {
  const text = renderResolvConf(podDnsSettings(input));
  return text === '' ? (input.nodeResolvConf ?? '') : text;
}
