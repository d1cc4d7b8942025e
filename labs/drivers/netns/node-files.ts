/**
 * The files a node's shell sees at their usual paths, kept in the node's private tree
 * (`<labDir>/nodes/<node>/...`, next to the netplan and sysctl files the builder wrote) and bound
 * over the host's paths in every command run on the node:
 *   /etc/hostname /etc/hosts /etc/resolv.conf   the machine's identity and resolver
 *   /etc/netplan /etc/sysctl.d                 what the node boots from (builder)
 *   /etc/cni/net.d /opt/cni/bin /run/flannel   what flannel's init containers and flanneld write
 *   /var/lib/kubelet (config.yaml, pods/) /var/lib/cni (host-local's store)
 *   /etc/kubernetes (kubelet.conf; on control-plane nodes admin.conf and manifests/)
 *   /root (a home with ~/.bashrc and, on control-plane nodes, ~/.kube/config)
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { BindMount, NetnsView } from '../../netns/sandbox/types.ts';
import type { NodeSpec, Topology } from '../../topology/types.ts';
import { type StaticPod, staticPodYaml } from './manifests.ts';

/** YAML as Go's encoder writes it (kubeadm's files): sequences not indented under their key. */
const toYaml = (value: unknown): string => stringify(value, { indentSeq: false });

/** Directories bound over the host's (created empty when nothing is in them yet). */
const NODE_DIRS = [
  '/etc/netplan',
  '/etc/sysctl.d',
  '/etc/cni/net.d',
  '/opt/cni/bin',
  '/run/flannel',
  '/var/lib/kubelet',
  '/var/lib/cni',
  '/etc/kubernetes',
  '/root',
];
const NODE_FILES = ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf'];

/** Paths under /run: a reboot empties them (tmpfs on a real node). */
export const VOLATILE_DIRS = ['/run/flannel'];

/** Whether a path inside the node is one of the node's own files (else the node sees the host's). */
export function isNodePrivate(path: string): boolean {
  return [...NODE_FILES, ...NODE_DIRS].some((p) => path === p || path.startsWith(`${p}/`));
}

/** The node's own paths, for messages. */
export const NODE_PATHS: readonly string[] = [...NODE_FILES, ...NODE_DIRS];

function inNode(nodeRoot: string, path: string): string {
  return join(nodeRoot, path);
}

async function put(path: string, text: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text, { mode });
}

/** The nameservers DHCP (or the netplan file) gives the node. */
function nodeNameservers(topology: Topology, node: NodeSpec): string[] {
  const out: string[] = [];
  for (const nic of node.nics) {
    out.push(...(nic.nameservers?.addresses ?? []));
    if (!nic.dhcp4) continue;
    for (const r of [...topology.routers, ...topology.hosts]) {
      for (const i of r.interfaces)
        if (i.segment === nic.segment && i.dhcpServer) out.push(...(i.dhcpServer.dns ?? []));
    }
  }
  return [...new Set(out)];
}

function kubeletConfig(topology: Topology): string {
  const c = topology.cluster;
  return toYaml({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    authentication: {
      anonymous: { enabled: false },
      webhook: { cacheTTL: '0s', enabled: true },
      x509: { clientCAFile: '/etc/kubernetes/pki/ca.crt' },
    },
    authorization: { mode: 'Webhook', webhook: { cacheAuthorizedTTL: '0s', cacheUnauthorizedTTL: '0s' } },
    cgroupDriver: 'systemd',
    clusterDNS: [c.dnsIP],
    clusterDomain: c.dnsDomain,
    containerRuntimeEndpoint: '',
    cpuManagerReconcilePeriod: '0s',
    evictionPressureTransitionPeriod: '0s',
    fileCheckFrequency: '0s',
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    httpCheckFrequency: '0s',
    imageMaximumGCAge: '0s',
    imageMinimumGCAge: '0s',
    kind: 'KubeletConfiguration',
    logging: {
      flushFrequency: 0,
      options: { json: { infoBufferSize: '0' }, text: { infoBufferSize: '0' } },
      verbosity: 0,
    },
    memorySwap: {},
    nodeStatusReportFrequency: '0s',
    nodeStatusUpdateFrequency: '0s',
    resolvConf: '/etc/resolv.conf',
    rotateCertificates: true,
    runtimeRequestTimeout: '0s',
    shutdownGracePeriod: '0s',
    shutdownGracePeriodCriticalPods: '0s',
    staticPodPath: '/etc/kubernetes/manifests',
    streamingConnectionIdleTimeout: '0s',
    syncFrequency: '0s',
    volumeStatsAggPeriod: '0s',
  });
}

/** The kubelet's own kubeconfig, as kubeadm join writes it. */
function kubeletKubeconfig(server: string, caData: string): string {
  return toYaml({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': caData, server }, name: 'default-cluster' }],
    contexts: [
      {
        context: { cluster: 'default-cluster', namespace: 'default', user: 'default-auth' },
        name: 'default-context',
      },
    ],
    'current-context': 'default-context',
    kind: 'Config',
    preferences: {},
    users: [
      {
        name: 'default-auth',
        user: {
          'client-certificate': '/var/lib/kubelet/pki/kubelet-client-current.pem',
          'client-key': '/var/lib/kubelet/pki/kubelet-client-current.pem',
        },
      },
    ],
  });
}

const BASHRC = `# ~/.bashrc: interactive shells on this lab node.
[ -z "$PS1" ] && return
HISTCONTROL=ignoreboth
shopt -s histappend checkwinsize
PS1='\\u@\\h:\\w\\$ '
alias ls='ls --color=auto'
alias ll='ls -alF'
alias grep='grep --color=auto'
if command -v kubectl >/dev/null 2>&1 && [ -r "$HOME/.kube/config" ]; then
  source <(kubectl completion bash 2>/dev/null)
fi
`;

const PROFILE = `# ~/.profile: login shells read this, then ~/.bashrc.
if [ -n "$BASH_VERSION" ] && [ -f "$HOME/.bashrc" ]; then
  . "$HOME/.bashrc"
fi
`;

export interface NodeFilesInput {
  nodeRoot: string;
  topology: Topology;
  node: NodeSpec;
  /** CA certificate (PEM) of the lab's apiservers. */
  caCert: string;
  /** Admin kubeconfig for this node's own apiserver (control-plane nodes only). */
  adminKubeconfig?: string;
  staticPods: StaticPod[];
}

/** Write the node's files (the builder has already written netplan, sysctl.d and hostname). */
export async function writeNodeFiles(input: NodeFilesInput): Promise<void> {
  const { nodeRoot, topology, node } = input;
  const at = (p: string) => inNode(nodeRoot, p);
  await Promise.all(NODE_DIRS.map((d) => mkdir(at(d), { recursive: true })));
  const nameservers = nodeNameservers(topology, node);
  const resolv =
    "# Generated by the node's DHCP client; do not edit.\n" +
    nameservers.map((n) => `nameserver ${n}\n`).join('');
  const first = topology.cluster.apiserver.endpoints[0];
  const server = `https://${first?.address ?? '127.0.0.1'}:${topology.cluster.apiserver.port}`;
  const caData = Buffer.from(input.caCert).toString('base64');
  const writes: Promise<void>[] = [
    put(
      at('/etc/hosts'),
      `127.0.0.1\tlocalhost\n127.0.1.1\t${node.hostname}\n\n# The following lines are desirable for IPv6 capable hosts\n::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n`,
    ),
    put(at('/etc/resolv.conf'), resolv),
    put(at('/var/lib/kubelet/config.yaml'), kubeletConfig(topology)),
    put(at('/etc/kubernetes/kubelet.conf'), kubeletKubeconfig(server, caData), 0o600),
    put(at('/etc/kubernetes/pki/ca.crt'), input.caCert),
    put(at('/root/.bashrc'), BASHRC),
    put(at('/root/.profile'), PROFILE),
  ];
  if (input.adminKubeconfig) {
    writes.push(
      put(at('/etc/kubernetes/admin.conf'), input.adminKubeconfig, 0o600),
      put(at('/root/.kube/config'), input.adminKubeconfig, 0o600),
    );
  }
  for (const sp of input.staticPods)
    writes.push(put(at(`/etc/kubernetes/manifests/${sp.file}`), staticPodYaml(sp), 0o600));
  await Promise.all(writes);
}

/** What a reboot loses: everything under /run. */
export async function clearVolatileFiles(nodeRoot: string): Promise<void> {
  await Promise.all(
    VOLATILE_DIRS.map(async (d) => {
      await rm(inNode(nodeRoot, d), { recursive: true, force: true });
      await mkdir(inNode(nodeRoot, d), { recursive: true });
    }),
  );
}

/** How commands on the node see the machine: its hostname, its /sys, its files, /root as cwd. */
export function nodeView(nodeRoot: string, node: NodeSpec): NetnsView {
  const binds: BindMount[] = [...NODE_FILES, ...NODE_DIRS].map((p) => ({
    source: inNode(nodeRoot, p),
    target: p,
  }));
  return { hostname: node.hostname, sysfs: true, binds, cwd: '/root' };
}
