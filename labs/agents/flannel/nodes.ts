/**
 * What flanneld's kube subnet manager sees of the cluster: Node objects (name, annotations,
 * spec.podCIDR[s]) from an informer-like source, and a way to patch this node's annotations and
 * NetworkUnavailable condition. The control plane adapts its store to `NodeSource`;
 * `MemoryNodeSource` is the plain in-memory form used by tests.
 */
import { formatCidr, isIPv4, parseCidr } from '../../kube/ipnet.ts';
import type { LeaseText } from './gofmt.ts';

/** The part of a v1 Node that flannel reads; a store's Node object satisfies it as is. */
export interface NodeObject {
  metadata: { name: string; annotations?: Record<string, string> | null };
  spec?: { podCIDR?: string; podCIDRs?: string[] } | null;
}

/** The condition flanneld's CompleteLease writes to node status once its backend runs. */
export interface NetworkAvailableCondition {
  type: 'NetworkUnavailable';
  status: 'False';
  reason: 'FlannelIsUp';
  message: 'Flannel is running on this node';
}

export interface NodeSource {
  /** The current Nodes (an informer's cache). */
  list(): readonly NodeObject[] | Promise<readonly NodeObject[]>;
  /** Call `onChange` after any Node is added, changed or deleted; returns an unsubscribe function. */
  subscribe(onChange: () => void): () => void;
  /** Merge `annotations` into the node's metadata.annotations (flannel PATCHes nodes/status). */
  patchAnnotations(node: string, annotations: Record<string, string>): void | Promise<void>;
  /** Set the node's NetworkUnavailable condition (omit the method to skip, as --set-node-network-unavailable=false does). */
  setNetworkAvailable?(node: string, condition: NetworkAvailableCondition): void | Promise<void>;
}

export class MemoryNodeSource implements NodeSource {
  readonly #nodes = new Map<string, NodeObject>();
  readonly #listeners = new Set<() => void>();
  readonly conditions = new Map<string, NetworkAvailableCondition>();

  constructor(nodes: NodeObject[] = []) {
    for (const n of nodes) this.#nodes.set(n.metadata.name, structuredClone(n));
  }

  list(): NodeObject[] {
    return [...this.#nodes.values()].map((n) => structuredClone(n));
  }

  get(name: string): NodeObject | undefined {
    const n = this.#nodes.get(name);
    return n && structuredClone(n);
  }

  subscribe(onChange: () => void): () => void {
    this.#listeners.add(onChange);
    return () => this.#listeners.delete(onChange);
  }

  patchAnnotations(node: string, annotations: Record<string, string>): void {
    const n = this.#nodes.get(node);
    if (!n) throw new Error(`nodes "${node}" not found`);
    n.metadata.annotations = { ...(n.metadata.annotations ?? {}), ...annotations };
    this.#notify();
  }

  setNetworkAvailable(node: string, condition: NetworkAvailableCondition): void {
    this.conditions.set(node, condition);
  }

  /** Add or replace a node. */
  set(node: NodeObject): void {
    this.#nodes.set(node.metadata.name, structuredClone(node));
    this.#notify();
  }

  /** Change a node's annotations (null deletes a key), as a learner's `kubectl annotate` would. */
  annotate(node: string, annotations: Record<string, string | null>): void {
    const n = this.#nodes.get(node);
    if (!n) throw new Error(`nodes "${node}" not found`);
    const next = { ...(n.metadata.annotations ?? {}) };
    for (const [k, v] of Object.entries(annotations)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    n.metadata.annotations = next;
    this.#notify();
  }

  delete(name: string): void {
    if (this.#nodes.delete(name)) this.#notify();
  }

  #notify(): void {
    for (const l of this.#listeners) l();
  }
}

/** Annotation keys under --kube-annotation-prefix (a prefix without '/' gets one appended). */
export interface AnnotationNames {
  backendData: string;
  backendType: string;
  kubeSubnetManager: string;
  publicIP: string;
  publicIPOverwrite: string;
  nodePublicIP: string;
}

export function annotationNames(prefix = 'flannel.alpha.coreos.com'): AnnotationNames {
  const p = prefix.includes('/') ? prefix : `${prefix}/`;
  return {
    backendData: `${p}backend-data`,
    backendType: `${p}backend-type`,
    kubeSubnetManager: `${p}kube-subnet-manager`,
    publicIP: `${p}public-ip`,
    publicIPOverwrite: `${p}public-ip-overwrite`,
    nodePublicIP: `${p}node-public-ip`,
  };
}

export function annotationsOf(node: NodeObject): Record<string, string> {
  return node.metadata.annotations ?? {};
}

/** spec.podCIDRs, or [spec.podCIDR] for objects that carry only the singular field. */
export function podCIDRsOf(node: NodeObject): string[] {
  const list = node.spec?.podCIDRs;
  if (list && list.length > 0) return [...list];
  return node.spec?.podCIDR ? [node.spec.podCIDR] : [];
}

/** The IPv4 pod subnet of a node in canonical form, or undefined. */
export function ipv4PodCIDR(node: NodeObject): string | undefined {
  for (const c of podCIDRsOf(node)) {
    if (c.includes(':')) continue;
    try {
      return formatCidr(parseCidr(c));
    } catch {
      // not a valid IPv4 CIDR: skipped, as net.ParseCIDR's result would be
    }
  }
  return undefined;
}

export function isManaged(node: NodeObject, names: AnnotationNames): boolean {
  return annotationsOf(node)[names.kubeSubnetManager] === 'true';
}

/** kube.go nodeToLease: the lease a managed node advertises, or the reason it cannot be turned into one. */
export function nodeToLease(node: NodeObject, names: AnnotationNames): LeaseText | { error: string } {
  const a = annotationsOf(node);
  const publicIP = a[names.publicIP] ?? '';
  if (!isIPv4(publicIP)) return { error: 'invalid IP address' };
  const cidrs = podCIDRsOf(node);
  if (cidrs.length > 2)
    return { error: `node "${node.metadata.name}" pod cidrs should be IPv4/IPv6 only or dualstack` };
  const subnet = ipv4PodCIDR(node);
  if (!subnet)
    return {
      error: cidrs.length === 0 ? 'invalid CIDR address: ' : 'missing IPv4 address on n.Spec.PodCIDRs',
    };
  return {
    subnet,
    publicIP,
    backendType: a[names.backendType] ?? '',
    backendData: a[names.backendData],
  };
}

/** Whether an update changes what flannel's handleUpdateLeaseEvent looks at. */
export function leaseAnnotationsChanged(
  before: NodeObject,
  after: NodeObject,
  names: AnnotationNames,
): boolean {
  const o = annotationsOf(before);
  const n = annotationsOf(after);
  return (
    o[names.backendData] !== n[names.backendData] ||
    o[names.backendType] !== n[names.backendType] ||
    o[names.publicIP] !== n[names.publicIP]
  );
}
