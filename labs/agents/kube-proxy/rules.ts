/**
 * The iptables-restore input kube-proxy 1.32 (iptables mode, IPv4) writes on one node: a pure
 * function of the node, the kube-proxy configuration, Services and EndpointSlices.
 *
 * The text is what kube-proxy hands to `iptables-restore --noflush`: the filter table first, then
 * nat; chain lines (`:CHAIN - [0:0]`, which flush the chain) before rules; per service port the
 * rules appear in the order kube-proxy writes them. What learners see in `iptables-save` is this
 * text as the kernel normalises it (`-d 10.96.0.1/32`, `--probability 0.33333333349`, quotes
 * around every comment, `--set-xmark` for `--or-mark`).
 *
 * One deliberate difference: kube-proxy walks its service map in Go's random map order, so the
 * order of services inside KUBE-SERVICES changes between syncs on a real node. Here service ports
 * are sorted by name (then protocol), which keeps dumps stable for tests and lessons.
 */
import {
  endpointChainName,
  externalChainName,
  firewallChainName,
  isServiceChainName,
  KUBE_EXTERNAL_SERVICES,
  KUBE_FIREWALL,
  KUBE_FORWARD,
  KUBE_MARK_MASQ,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
  localServiceChainName,
  serviceChainName,
} from './chains.ts';
import {
  categorizeEndpoints,
  cidrContainsIPv4,
  type EndpointInfo,
  type EndpointSliceObject,
  endpointsOf,
  externallyAccessible,
  LABEL_TOPOLOGY_ZONE,
  parseIPv4,
  parseIPv4Cidr,
  type ServiceObject,
  type ServicePortInfo,
  servicePortKey,
  servicePortsOf,
  usesClusterEndpoints,
  usesLocalEndpoints,
} from './model.ts';

/** The parts of KubeProxyConfiguration that shape the rules. */
export interface KubeProxyConfig {
  /** `clusterCIDR` (comma-separated allowed; the first IPv4 CIDR counts). Unset: no local detection. */
  clusterCIDR?: string;
  masqueradeAll: boolean;
  /** `iptables.masqueradeBit`, default 14 (mark 0x4000). */
  masqueradeBit?: number;
  /** `nodePortAddresses`: CIDRs and/or `primary`. Unset or empty: every local address. */
  nodePortAddresses?: string[];
  /** `iptables.localhostNodePorts`, default true. */
  localhostNodePorts?: boolean;
  /** True when the node has net.netfilter.nf_conntrack_tcp_be_liberal set: no INVALID drop rule. */
  conntrackTCPLiberal?: boolean;
  /** True when the nfacct counters exist on the node (kube-proxy then counts with `-m nfacct`). */
  nfacct?: boolean;
  /** iptables supports --random-fully (1.8.x does). Default true. */
  randomFully?: boolean;
}

export interface RulesInput {
  nodeName: string;
  /** The node's IPs as kube-proxy detected them; the first IPv4 one is "the" node IP. */
  nodeIPs: string[];
  config: KubeProxyConfig;
  services: readonly ServiceObject[];
  endpointSlices: readonly EndpointSliceObject[];
  /** Node labels (only topology.kubernetes.io/zone is read, for topology hints). */
  nodeLabels?: Record<string, string>;
  /** Every IPv4 address on the node's interfaces; used when nodePortAddresses lists CIDRs. */
  localAddresses?: string[];
  /** nat chains present now (from iptables-save); stale per-service chains among them are deleted. */
  existingNatChains?: Iterable<string>;
  /**
   * A partial sync: only these Services (`ns/name`) get their SVC/SVL/EXT/FW/SEP chains rewritten;
   * the other services' chains are left as they are in the kernel. Unset: full sync.
   */
  changedServices?: ReadonlySet<string>;
}

export interface RulesResult {
  /** Input for `iptables-restore --noflush`. */
  restore: string;
  numServices: number;
  numEndpoints: number;
  numFilterChains: number;
  numFilterRules: number;
  numNATChains: number;
  numNATRules: number;
  /** Chains deleted as stale (`-X`). */
  deletedChains: string[];
  /** Service ports that were programmed, for logging and conntrack clean-up. */
  servicePorts: ServicePortInfo[];
  /** Endpoints per service port key (servicePortKey). */
  endpoints: Map<string, EndpointInfo[]>;
}

/** Above this many endpoint chains kube-proxy drops per-endpoint comments to keep restores small. */
const LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000;

/** `fmt.Sprintf("%0.10f", 1/n)`: what kube-proxy writes. iptables-save prints it back as %.11f. */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

/**
 * How `iptables-save` prints a `--probability` that was written as `text`: the statistic match
 * keeps round(p * 2^31) as a 32-bit integer and prints it divided by 2^31 with 11 decimals.
 */
export function savedProbability(text: string): string {
  const stored = Math.round(Number(text) * 0x80000000);
  return (stored / 0x80000000).toFixed(11);
}

/** `fmt.Sprintf("%#08x", 1<<bit)`: Go pads to 8 digits after 0x (bit 14 gives 0x00004000). */
export function masqueradeMark(bit = 14): string {
  return `0x${(2 ** bit).toString(16).padStart(8, '0')}`;
}

/** A comment argument quoted the way kube-proxy quotes comments that contain spaces. */
function quoted(text: string): string {
  return `"${text}"`;
}

class LineBuffer {
  readonly lines: string[] = [];
  write(...args: (string | readonly string[])[]): void {
    this.lines.push(args.flat().join(' '));
  }
  get length(): number {
    return this.lines.length;
  }
}

function chainLine(chain: string): string {
  return `:${chain} - [0:0]`;
}

interface NodePortAddresses {
  matchAll: boolean;
  cidrs: string[];
  containsIPv4Loopback: boolean;
}

function nodePortAddressesOf(config: KubeProxyConfig, nodeIP: string | undefined): NodePortAddresses {
  const cidrs: string[] = [];
  for (const entry of config.nodePortAddresses ?? []) {
    if (entry === 'primary') {
      if (nodeIP) cidrs.push(`${nodeIP}/32`);
      continue;
    }
    const cidr = parseIPv4Cidr(entry);
    if (cidr !== undefined) cidrs.push(cidr);
  }
  const matchAll = cidrs.length === 0;
  return {
    matchAll,
    cidrs,
    containsIPv4Loopback: matchAll || cidrs.some((c) => cidrContainsIPv4(c, '127.0.0.1')),
  };
}

/** The first IPv4 CIDR of clusterCIDR, which kube-proxy uses to tell pod traffic apart. */
export function localTrafficCIDR(config: KubeProxyConfig): string | undefined {
  for (const part of (config.clusterCIDR ?? '').split(',')) {
    const cidr = parseIPv4Cidr(part);
    if (cidr !== undefined) return cidr;
  }
  return undefined;
}

/** Whether kube-proxy will run with localhost NodePorts (and so set route_localnet=1). */
export function localhostNodePortsEnabled(config: KubeProxyConfig, nodeIPs: readonly string[]): boolean {
  const nodeIP = nodeIPs.map(parseIPv4).find((x) => x !== undefined);
  return (config.localhostNodePorts ?? true) && nodePortAddressesOf(config, nodeIP).containsIPv4Loopback;
}

function compareServicePorts(a: ServicePortInfo, b: ServicePortInfo): number {
  if (a.nameString !== b.nameString) return a.nameString < b.nameString ? -1 : 1;
  return a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0;
}

export function buildRules(input: RulesInput): RulesResult {
  const { config } = input;
  const nodeIP = input.nodeIPs.map(parseIPv4).find((x) => x !== undefined);
  const mark = masqueradeMark(config.masqueradeBit ?? 14);
  const npa = nodePortAddressesOf(config, nodeIP);
  const localhostNodePorts = (config.localhostNodePorts ?? true) && npa.containsIPv4Loopback;
  const localCIDR = localTrafficCIDR(config);
  const nfacct = config.nfacct ?? false;
  const nodeZone = input.nodeLabels?.[LABEL_TOPOLOGY_ZONE];

  const servicePorts = servicePortsOf(input.services).sort(compareServicePorts);
  const endpointsMap = endpointsOf(input.endpointSlices, input.nodeName);

  const filterChains = new LineBuffer();
  const filterRules = new LineBuffer();
  const natChains = new LineBuffer();
  const natRules = new LineBuffer();
  // A partial sync computes unchanged services' chains and throws them away.
  const skippedChains = new LineBuffer();
  const skippedRules = new LineBuffer();

  for (const chain of [
    KUBE_SERVICES,
    KUBE_EXTERNAL_SERVICES,
    KUBE_FORWARD,
    KUBE_NODEPORTS,
    KUBE_PROXY_FIREWALL,
  ]) {
    filterChains.write(chainLine(chain));
  }
  for (const chain of [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ]) {
    natChains.write(chainLine(chain));
  }

  natRules.write('-A', KUBE_POSTROUTING, '-m', 'mark', '!', '--mark', `${mark}/${mark}`, '-j', 'RETURN');
  // Clearing the mark keeps a packet that re-traverses the stack from being masqueraded twice.
  natRules.write('-A', KUBE_POSTROUTING, '-j', 'MARK', '--xor-mark', mark);
  natRules.write(
    '-A',
    KUBE_POSTROUTING,
    '-m',
    'comment',
    '--comment',
    quoted('kubernetes service traffic requiring SNAT'),
    '-j',
    'MASQUERADE',
    config.randomFully === false ? [] : ['--random-fully'],
  );
  natRules.write('-A', KUBE_MARK_MASQ, '-j', 'MARK', '--or-mark', mark);

  if (localhostNodePorts) {
    // route_localnet=1 opens 127.0.0.0/8 to the network; this rule closes that hole again.
    filterChains.write(chainLine(KUBE_FIREWALL));
    filterRules.write(
      '-A',
      KUBE_FIREWALL,
      '-m',
      'comment',
      '--comment',
      quoted('block incoming localnet connections'),
      '-d',
      '127.0.0.0/8',
      '!',
      '-s',
      '127.0.0.0/8',
      '-m',
      'conntrack',
      '!',
      '--ctstate',
      'RELATED,ESTABLISHED,DNAT',
      '-j',
      'DROP',
    );
  }

  const activeNatChains = new Set<string>();
  let totalEndpoints = 0;
  for (const sp of servicePorts) {
    totalEndpoints += endpointsMap.get(servicePortKey(sp.nameString, sp.protocol))?.length ?? 0;
  }
  const largeClusterMode = totalEndpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD;
  const serviceComment = (text: string): string[] =>
    largeClusterMode ? [] : ['-m', 'comment', '--comment', text];

  for (const sp of servicePorts) {
    const protocol = sp.protocol.toLowerCase();
    const name = sp.nameString;
    const allEndpoints = endpointsMap.get(servicePortKey(name, sp.protocol)) ?? [];
    const { clusterEndpoints, localEndpoints, allReachableEndpoints, hasAnyEndpoints } = categorizeEndpoints(
      allEndpoints,
      sp,
      nodeZone,
    );
    const clusterPolicyChain = serviceChainName(name, protocol);
    const localPolicyChain = localServiceChainName(name, protocol);
    const usesClusterPolicyChain = clusterEndpoints.length > 0 && usesClusterEndpoints(sp);
    const usesLocalPolicyChain = localEndpoints.length > 0 && usesLocalEndpoints(sp);

    let internalPolicyChain = clusterPolicyChain;
    let hasInternalEndpoints = hasAnyEndpoints;
    if (sp.internalPolicyLocal) {
      internalPolicyChain = localPolicyChain;
      if (localEndpoints.length === 0) hasInternalEndpoints = false;
    }
    const internalTrafficChain = internalPolicyChain;

    let externalPolicyChain = clusterPolicyChain;
    let hasExternalEndpoints = hasAnyEndpoints;
    if (sp.externalPolicyLocal) {
      externalPolicyChain = localPolicyChain;
      if (localEndpoints.length === 0) hasExternalEndpoints = false;
    }
    const externalTrafficChain = externalChainName(name, protocol);
    // The EXT chain exists whenever there are endpoints anywhere: local short-circuit rules live there.
    const usesExternalTrafficChain = hasAnyEndpoints && externallyAccessible(sp);

    const fwChain = firewallChainName(name, protocol);
    const usesFWChain =
      hasAnyEndpoints && sp.loadBalancerVIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
    const loadBalancerTrafficChain = usesFWChain ? fwChain : externalTrafficChain;

    let internalFilterTarget = '';
    let internalFilterComment = '';
    let externalFilterTarget = '';
    let externalFilterComment = '';
    if (!hasAnyEndpoints) {
      internalFilterTarget = 'REJECT';
      internalFilterComment = quoted(`${name} has no endpoints`);
      externalFilterTarget = 'REJECT';
      externalFilterComment = internalFilterComment;
    } else {
      if (!hasInternalEndpoints) {
        internalFilterTarget = 'DROP';
        internalFilterComment = quoted(`${name} has no local endpoints`);
      }
      if (!hasExternalEndpoints) {
        externalFilterTarget = 'DROP';
        externalFilterComment = quoted(`${name} has no local endpoints`);
      }
    }

    const proto = ['-m', protocol, '-p', protocol];
    const port = String(sp.port);

    // Capture the cluster IP.
    if (hasInternalEndpoints) {
      natRules.write(
        '-A',
        KUBE_SERVICES,
        '-m',
        'comment',
        '--comment',
        quoted(`${name} cluster IP`),
        proto,
        '-d',
        sp.clusterIP,
        '--dport',
        port,
        '-j',
        internalTrafficChain,
      );
    } else {
      filterRules.write(
        '-A',
        KUBE_SERVICES,
        '-m',
        'comment',
        '--comment',
        internalFilterComment,
        proto,
        '-d',
        sp.clusterIP,
        '--dport',
        port,
        '-j',
        internalFilterTarget,
      );
    }

    // Capture external IPs.
    for (const externalIP of sp.externalIPs) {
      if (hasAnyEndpoints) {
        natRules.write(
          '-A',
          KUBE_SERVICES,
          '-m',
          'comment',
          '--comment',
          quoted(`${name} external IP`),
          proto,
          '-d',
          externalIP,
          '--dport',
          port,
          '-j',
          externalTrafficChain,
        );
      }
      if (!hasExternalEndpoints) {
        filterRules.write(
          '-A',
          KUBE_EXTERNAL_SERVICES,
          '-m',
          'comment',
          '--comment',
          externalFilterComment,
          proto,
          '-d',
          externalIP,
          '--dport',
          port,
          '-j',
          externalFilterTarget,
        );
      }
    }

    // Capture load-balancer ingress IPs.
    for (const lbip of sp.loadBalancerVIPs) {
      if (hasAnyEndpoints) {
        natRules.write(
          '-A',
          KUBE_SERVICES,
          '-m',
          'comment',
          '--comment',
          quoted(`${name} loadbalancer IP`),
          proto,
          '-d',
          lbip,
          '--dport',
          port,
          '-j',
          loadBalancerTrafficChain,
        );
      }
      if (usesFWChain) {
        filterRules.write(
          '-A',
          KUBE_PROXY_FIREWALL,
          '-m',
          'comment',
          '--comment',
          quoted(`${name} traffic not accepted by ${fwChain}`),
          proto,
          '-d',
          lbip,
          '--dport',
          port,
          '-j',
          'DROP',
        );
      }
    }
    if (!hasExternalEndpoints) {
      for (const lbip of sp.loadBalancerVIPs) {
        filterRules.write(
          '-A',
          KUBE_EXTERNAL_SERVICES,
          '-m',
          'comment',
          '--comment',
          externalFilterComment,
          proto,
          '-d',
          lbip,
          '--dport',
          port,
          '-j',
          externalFilterTarget,
        );
      }
    }

    // Capture node ports.
    if (sp.nodePort !== 0) {
      const nodePort = String(sp.nodePort);
      if (hasAnyEndpoints) {
        if (localhostNodePorts && nfacct) {
          natRules.write(
            '-A',
            KUBE_NODEPORTS,
            '-m',
            'comment',
            '--comment',
            name,
            proto,
            '-d',
            '127.0.0.0/8',
            '--dport',
            nodePort,
            '-m',
            'nfacct',
            '--nfacct-name',
            'localhost_nps_accepted_pkts',
            '-j',
            externalTrafficChain,
          );
        }
        natRules.write(
          '-A',
          KUBE_NODEPORTS,
          '-m',
          'comment',
          '--comment',
          name,
          proto,
          '--dport',
          nodePort,
          '-j',
          externalTrafficChain,
        );
      }
      if (!hasExternalEndpoints) {
        filterRules.write(
          '-A',
          KUBE_EXTERNAL_SERVICES,
          '-m',
          'comment',
          '--comment',
          externalFilterComment,
          '-m',
          'addrtype',
          '--dst-type',
          'LOCAL',
          proto,
          '--dport',
          nodePort,
          '-j',
          externalFilterTarget,
        );
      }
    }

    // Health check node ports are accepted whether or not this node has endpoints.
    if (sp.healthCheckNodePort !== 0) {
      filterRules.write(
        '-A',
        KUBE_NODEPORTS,
        '-m',
        'comment',
        '--comment',
        quoted(`${name} health check node port`),
        '-m',
        'tcp',
        '-p',
        'tcp',
        '--dport',
        String(sp.healthCheckNodePort),
        '-j',
        'ACCEPT',
      );
    }

    const skip = input.changedServices !== undefined && !input.changedServices.has(sp.serviceName);
    const chains = skip ? skippedChains : natChains;
    const rules = skip ? skippedRules : natRules;

    // Internal traffic: masquerade what did not come from a pod (or everything with masqueradeAll).
    if (hasInternalEndpoints) {
      const match = [
        '-m',
        'comment',
        '--comment',
        quoted(`${name} cluster IP`),
        ...proto,
        '-d',
        sp.clusterIP,
        '--dport',
        port,
      ];
      if (config.masqueradeAll) {
        rules.write('-A', internalTrafficChain, match, '-j', KUBE_MARK_MASQ);
      } else if (localCIDR !== undefined) {
        rules.write('-A', internalTrafficChain, match, '!', '-s', localCIDR, '-j', KUBE_MARK_MASQ);
      }
    }

    // External traffic (NodePort, external IPs, load balancer IPs) goes through the EXT chain.
    if (usesExternalTrafficChain) {
      chains.write(chainLine(externalTrafficChain));
      activeNatChains.add(externalTrafficChain);
      if (!sp.externalPolicyLocal) {
        rules.write(
          '-A',
          externalTrafficChain,
          '-m',
          'comment',
          '--comment',
          quoted(`masquerade traffic for ${name} external destinations`),
          '-j',
          KUBE_MARK_MASQ,
        );
      } else {
        if (localCIDR !== undefined) {
          // Pods reaching an external address of the service behave as if they went out and back in.
          rules.write(
            '-A',
            externalTrafficChain,
            '-m',
            'comment',
            '--comment',
            quoted(`pod traffic for ${name} external destinations`),
            '-s',
            localCIDR,
            '-j',
            clusterPolicyChain,
          );
        }
        rules.write(
          '-A',
          externalTrafficChain,
          '-m',
          'comment',
          '--comment',
          quoted(`masquerade LOCAL traffic for ${name} external destinations`),
          '-m',
          'addrtype',
          '--src-type',
          'LOCAL',
          '-j',
          KUBE_MARK_MASQ,
        );
        rules.write(
          '-A',
          externalTrafficChain,
          '-m',
          'comment',
          '--comment',
          quoted(`route LOCAL traffic for ${name} external destinations`),
          '-m',
          'addrtype',
          '--src-type',
          'LOCAL',
          '-j',
          clusterPolicyChain,
        );
      }
      if (hasExternalEndpoints) rules.write('-A', externalTrafficChain, '-j', externalPolicyChain);
    }

    // loadBalancerSourceRanges: only listed sources continue to the EXT chain.
    if (usesFWChain) {
      chains.write(chainLine(fwChain));
      activeNatChains.add(fwChain);
      const head = ['-A', fwChain, '-m', 'comment', '--comment', quoted(`${name} loadbalancer IP`)];
      let allowFromNode = false;
      for (const cidr of sp.loadBalancerSourceRanges) {
        rules.write(head, '-s', cidr, '-j', externalTrafficChain);
        if (nodeIP !== undefined && cidrContainsIPv4(cidr, nodeIP)) allowFromNode = true;
      }
      if (allowFromNode) {
        for (const lbip of sp.loadBalancerVIPs) rules.write(head, '-s', lbip, '-j', externalTrafficChain);
      }
      rules.write(
        '-A',
        fwChain,
        '-m',
        'comment',
        '--comment',
        quoted(`other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`),
      );
    }

    if (usesClusterPolicyChain) {
      chains.write(chainLine(clusterPolicyChain));
      activeNatChains.add(clusterPolicyChain);
      writeServiceToEndpointRules(
        rules,
        name,
        protocol,
        sp,
        clusterPolicyChain,
        clusterEndpoints,
        serviceComment,
      );
    }
    if (usesLocalPolicyChain) {
      chains.write(chainLine(localPolicyChain));
      activeNatChains.add(localPolicyChain);
      writeServiceToEndpointRules(
        rules,
        name,
        protocol,
        sp,
        localPolicyChain,
        localEndpoints,
        serviceComment,
      );
    }

    for (const ep of allReachableEndpoints) {
      const sep = endpointChainName(name, protocol, ep.endpoint);
      chains.write(chainLine(sep));
      activeNatChains.add(sep);
      const head = ['-A', sep, ...serviceComment(name)];
      // Hairpin: a pod that reaches itself through the service must be masqueraded to get the reply.
      rules.write(head, '-s', ep.ip, '-j', KUBE_MARK_MASQ);
      const affinity = sp.sessionAffinityClientIP ? ['-m', 'recent', '--name', sep, '--set'] : [];
      rules.write(head, affinity, proto, '-j', 'DNAT', '--to-destination', ep.endpoint);
    }
  }

  const deletedChains: string[] = [];
  if (input.existingNatChains !== undefined) {
    const stale = [...new Set(input.existingNatChains)]
      .filter((c) => isServiceChainName(c) && !activeNatChains.has(c))
      .sort();
    for (const chain of stale) {
      // A chain line flushes it; only then may it be deleted.
      natChains.write(chainLine(chain));
      natRules.write('-X', chain);
      deletedChains.push(chain);
    }
  }

  // The jump to KUBE-NODEPORTS must stay last: it matches every local destination.
  const lastRuleComment = quoted(
    'kubernetes service nodeports; NOTE: this must be the last rule in this chain',
  );
  if (npa.matchAll) {
    const destinations = ['-m', 'addrtype', '--dst-type', 'LOCAL'];
    if (!localhostNodePorts) destinations.push('!', '-d', '127.0.0.0/8');
    natRules.write(
      '-A',
      KUBE_SERVICES,
      '-m',
      'comment',
      '--comment',
      lastRuleComment,
      destinations,
      '-j',
      KUBE_NODEPORTS,
    );
  } else {
    const seen = new Set<string>();
    for (const raw of input.localAddresses ?? []) {
      const ip = parseIPv4(raw);
      if (ip === undefined || seen.has(ip) || !npa.cidrs.some((c) => cidrContainsIPv4(c, ip))) continue;
      seen.add(ip);
      if (ip.startsWith('127.') && !localhostNodePorts) continue;
      natRules.write(
        '-A',
        KUBE_SERVICES,
        '-m',
        'comment',
        '--comment',
        lastRuleComment,
        '-d',
        ip,
        '-j',
        KUBE_NODEPORTS,
      );
    }
  }

  if (!config.conntrackTCPLiberal) {
    // Out-of-window packets marked INVALID would otherwise reset long-lived service connections.
    filterRules.write(
      '-A',
      KUBE_FORWARD,
      '-m',
      'conntrack',
      '--ctstate',
      'INVALID',
      nfacct ? ['-m', 'nfacct', '--nfacct-name', 'ct_state_invalid_dropped_pkts'] : [],
      '-j',
      'DROP',
    );
  }
  filterRules.write(
    '-A',
    KUBE_FORWARD,
    '-m',
    'comment',
    '--comment',
    quoted('kubernetes forwarding rules'),
    '-m',
    'mark',
    '--mark',
    `${mark}/${mark}`,
    '-j',
    'ACCEPT',
  );
  filterRules.write(
    '-A',
    KUBE_FORWARD,
    '-m',
    'comment',
    '--comment',
    quoted('kubernetes forwarding conntrack rule'),
    '-m',
    'conntrack',
    '--ctstate',
    'RELATED,ESTABLISHED',
    '-j',
    'ACCEPT',
  );

  const restore = [
    '*filter',
    ...filterChains.lines,
    ...filterRules.lines,
    'COMMIT',
    '*nat',
    ...natChains.lines,
    ...natRules.lines,
    'COMMIT',
    '',
  ].join('\n');

  return {
    restore,
    numServices: servicePorts.length,
    numEndpoints: totalEndpoints,
    numFilterChains: filterChains.length,
    numFilterRules: filterRules.length,
    numNATChains: natChains.length,
    numNATRules: natRules.length,
    deletedChains,
    servicePorts,
    endpoints: endpointsMap,
  };
}

function writeServiceToEndpointRules(
  rules: LineBuffer,
  name: string,
  protocol: string,
  sp: ServicePortInfo,
  chain: string,
  endpoints: readonly EndpointInfo[],
  serviceComment: (text: string) => string[],
): void {
  if (sp.sessionAffinityClientIP) {
    for (const ep of endpoints) {
      const sep = endpointChainName(name, protocol, ep.endpoint);
      rules.write(
        '-A',
        chain,
        serviceComment(quoted(`${name} -> ${ep.endpoint}`)),
        '-m',
        'recent',
        '--name',
        sep,
        '--rcheck',
        '--seconds',
        String(sp.stickyMaxAgeSeconds),
        '--reap',
        '-j',
        sep,
      );
    }
  }
  // Rule i matches 1/(n-i) of what is left, so every endpoint gets an equal share; the last takes the rest.
  const n = endpoints.length;
  endpoints.forEach((ep, i) => {
    const sep = endpointChainName(name, protocol, ep.endpoint);
    const statistic =
      i < n - 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', probability(n - i)] : [];
    rules.write('-A', chain, serviceComment(quoted(`${name} -> ${ep.endpoint}`)), statistic, '-j', sep);
  });
}

/** A jump kube-proxy keeps in a built-in chain, ensured with `iptables -C` then `-I` (prepend). */
export interface JumpRule {
  table: 'filter' | 'nat';
  chain: string;
  target: string;
  /** Rule arguments after the chain name, as given to `iptables -C/-I <chain>`. */
  args: string[];
}

/**
 * The jumps from built-in chains, in the order kube-proxy ensures them. Each one is prepended when
 * missing, so on a fresh node the last one ensured ends up first in its chain. The KUBE-FIREWALL
 * jumps (a copy of the kubelet's) are only made when localhost NodePorts are enabled.
 */
export function jumpRules(options: { localhostNodePorts: boolean }): JumpRule[] {
  const newOnly = ['-m', 'conntrack', '--ctstate', 'NEW'];
  const spec: [JumpRule['table'], string, string, string, string[]][] = [
    ['filter', KUBE_EXTERNAL_SERVICES, 'INPUT', 'kubernetes externally-visible service portals', newOnly],
    ['filter', KUBE_EXTERNAL_SERVICES, 'FORWARD', 'kubernetes externally-visible service portals', newOnly],
    ['filter', KUBE_NODEPORTS, 'INPUT', 'kubernetes health check service ports', []],
    ['filter', KUBE_SERVICES, 'FORWARD', 'kubernetes service portals', newOnly],
    ['filter', KUBE_SERVICES, 'OUTPUT', 'kubernetes service portals', newOnly],
    ['filter', KUBE_FORWARD, 'FORWARD', 'kubernetes forwarding rules', []],
    ['filter', KUBE_PROXY_FIREWALL, 'INPUT', 'kubernetes load balancer firewall', newOnly],
    ['filter', KUBE_PROXY_FIREWALL, 'OUTPUT', 'kubernetes load balancer firewall', newOnly],
    ['filter', KUBE_PROXY_FIREWALL, 'FORWARD', 'kubernetes load balancer firewall', newOnly],
    ['nat', KUBE_SERVICES, 'OUTPUT', 'kubernetes service portals', []],
    ['nat', KUBE_SERVICES, 'PREROUTING', 'kubernetes service portals', []],
    ['nat', KUBE_POSTROUTING, 'POSTROUTING', 'kubernetes postrouting rules', []],
  ];
  const out: JumpRule[] = spec.map(([table, target, chain, comment, extra]) => ({
    table,
    chain,
    target,
    args: [...extra, '-m', 'comment', '--comment', comment, '-j', target],
  }));
  if (options.localhostNodePorts) {
    out.push({ table: 'filter', chain: 'INPUT', target: KUBE_FIREWALL, args: ['-j', KUBE_FIREWALL] });
    out.push({ table: 'filter', chain: 'OUTPUT', target: KUBE_FIREWALL, args: ['-j', KUBE_FIREWALL] });
  }
  return out;
}

/** The line `iptables-save` prints for a jump once it is installed (comments come back quoted). */
export function savedJumpLine(jump: JumpRule): string {
  const args = jump.args.map((arg, i) => (jump.args[i - 1] === '--comment' ? `"${arg}"` : arg));
  return `-A ${jump.chain} ${args.join(' ')}`;
}

/**
 * The jumps of `jumps` missing from `save` (an `iptables-save` of the node), as one
 * `iptables-restore --noflush` input: absent target chains declared, missing jumps inserted at the
 * top in kube-proxy's order, so the result equals running `-N` and `-C`/`-I` one by one.
 * Undefined when every jump is already there.
 */
export function missingJumpsRestore(save: string, jumps: readonly JumpRule[]): string | undefined {
  const out: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const lines = tableInSave(save, table);
    const missing = jumps.filter((j) => j.table === table && !lines.includes(savedJumpLine(j)));
    if (missing.length === 0) continue;
    const declared = new Set(lines.filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]));
    const newChains = [...new Set(missing.map((j) => j.target))].filter((c) => !declared.has(c));
    out.push(`*${table}`, ...newChains.map(chainLine));
    out.push(...missing.map((j) => savedJumpLine(j).replace(/^-A /, '-I ')));
    out.push('COMMIT');
  }
  return out.length === 0 ? undefined : `${out.join('\n')}\n`;
}

/** The lines of one table in `iptables-save` output (chain declarations and rules). */
export function tableInSave(save: string, table: 'filter' | 'nat' | 'mangle'): string[] {
  const out: string[] = [];
  let inTable = false;
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) inTable = line === `*${table}`;
    else if (line === 'COMMIT') inTable = false;
    else if (inTable && !line.startsWith('#')) out.push(line);
  }
  return out;
}

/** User chains of one table in `iptables-save` output. */
export function chainsInSave(save: string, table: 'filter' | 'nat' | 'mangle'): string[] {
  const out: string[] = [];
  let inTable = false;
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) inTable = line === `*${table}`;
    else if (inTable && line.startsWith(':')) out.push(line.slice(1).split(' ')[0]!);
  }
  return out;
}
