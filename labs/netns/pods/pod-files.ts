/**
 * The files every container of a pod sees at /etc/resolv.conf, /etc/hosts and /etc/hostname, kept
 * where a node keeps them (containerd's sandbox directory, the kubelet's pod directory) so that they
 * can be read on the node too, and bind-mounted over the container's view.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SandboxConfig } from '../../runtime/pod-runtime.ts';
import type { BindMount } from '../sandbox/types.ts';

export const CONTAINERD_SANDBOXES = '/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes';
export const KUBELET_PODS = '/var/lib/kubelet/pods';

const HOSTS_HEADER = '# Kubernetes-managed hosts file.\n';
const HOSTS_HEADER_HOST_NETWORK = '# Kubernetes-managed hosts file (host network).\n';

/** resolv.conf as containerd writes it from the kubelet's DNS config: search, nameservers, options. */
export function renderResolvConf(dns: SandboxConfig['dns']): string {
  let out = '';
  if (dns.searches.length) out += `search ${dns.searches.join(' ')}\n`;
  for (const ns of dns.nameservers) out += `nameserver ${ns}\n`;
  if (dns.options.length) out += `options ${dns.options.join(' ')}\n`;
  return out;
}

/** nameserver/search/options of a resolv.conf (the kubelet's --resolv-conf for dnsPolicy Default). */
export function parseResolvConf(text: string): SandboxConfig['dns'] {
  const dns: SandboxConfig['dns'] = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) dns.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') dns.searches = rest;
    else if (key === 'options') dns.options.push(...rest);
  }
  return dns;
}

/** The kubelet's managed hosts file for a pod with its own network. */
export function renderPodHosts(ip: string, hostname: string): string {
  return (
    `${HOSTS_HEADER}127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n` +
    'fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n' +
    `${ip}\t${hostname}\n`
  );
}

/** The kubelet's hosts file for a hostNetwork pod: the node's own, under its own header. */
export function renderHostNetworkHosts(nodeHosts: string): string {
  return `${HOSTS_HEADER_HOST_NETWORK}${nodeHosts}`;
}

/** What an Ubuntu node's /etc/hosts holds when the lab wrote none. */
export function defaultNodeHosts(hostname: string): string {
  return (
    `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n\n` +
    '# The following lines are desirable for IPv6 capable hosts\n' +
    '::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n'
  );
}

/** The kubelet truncates a pod hostname to 63 characters without a trailing '-' or '.'. */
export function podHostname(name: string): string {
  return name.length <= 63 ? name : name.slice(0, 63).replace(/[-.]+$/, '');
}

async function readNodeFile(nodeRoot: string, path: string): Promise<string | undefined> {
  try {
    return await readFile(join(nodeRoot, path), 'utf8');
  } catch {
    return undefined;
  }
}

export interface PodFiles {
  /** Host directories to remove at teardown. */
  dirs: string[];
  binds: BindMount[];
}

export interface PodFilesInput {
  nodeRoot: string;
  sandboxId: string;
  podUid: string;
  ip: string;
  hostname: string;
  hostNetwork: boolean;
  dns: SandboxConfig['dns'];
  nodeHostname: string;
}

/**
 * Write the pod's files. An empty DNS config (dnsPolicy Default, or ClusterFirst on the host
 * network) means the node's resolver configuration, as the kubelet reads it.
 */
export async function writePodFiles(input: PodFilesInput): Promise<PodFiles> {
  const sandboxDir = join(input.nodeRoot, CONTAINERD_SANDBOXES, input.sandboxId);
  const podDir = join(input.nodeRoot, KUBELET_PODS, input.podUid);
  let dns = input.dns;
  if (dns.nameservers.length === 0 && dns.searches.length === 0) {
    const nodeResolv =
      (await readNodeFile(input.nodeRoot, '/run/systemd/resolve/resolv.conf')) ??
      (await readNodeFile(input.nodeRoot, '/etc/resolv.conf')) ??
      '';
    const host = parseResolvConf(nodeResolv);
    dns = {
      nameservers: host.nameservers,
      searches: host.searches,
      options: [...host.options, ...dns.options],
    };
  }
  const hosts = input.hostNetwork
    ? renderHostNetworkHosts(
        (await readNodeFile(input.nodeRoot, '/etc/hosts')) ?? defaultNodeHosts(input.nodeHostname),
      )
    : renderPodHosts(input.ip, input.hostname);
  await Promise.all([mkdir(sandboxDir, { recursive: true }), mkdir(podDir, { recursive: true })]);
  const files = {
    resolv: join(sandboxDir, 'resolv.conf'),
    hostname: join(sandboxDir, 'hostname'),
    hosts: join(podDir, 'etc-hosts'),
  };
  await Promise.all([
    writeFile(files.resolv, renderResolvConf(dns), { mode: 0o644 }),
    writeFile(files.hostname, `${input.hostname}\n`, { mode: 0o644 }),
    writeFile(files.hosts, hosts, { mode: 0o644 }),
  ]);
  return {
    dirs: [sandboxDir, podDir],
    binds: [
      { source: files.resolv, target: '/etc/resolv.conf' },
      { source: files.hosts, target: '/etc/hosts' },
      { source: files.hostname, target: '/etc/hostname' },
    ],
  };
}

export async function removePodFiles(files: PodFiles): Promise<void> {
  await Promise.all(files.dirs.map((d) => rm(d, { recursive: true, force: true })));
}
