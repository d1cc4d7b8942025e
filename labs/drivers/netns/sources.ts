/**
 * The control plane's store seen the way each agent expects to see its apiserver: flannel's
 * NodeSource (Nodes, annotation and condition patches), kube-proxy's ServiceSource (Services and
 * EndpointSlices) and CoreDNS's ClusterSource. They read the store in this process, as an
 * informer's cache would, and hear about changes through the lab's ChangeHub.
 */

import type { ClusterSource, KubeObject } from '../../agents/coredns/cluster.ts';
import type { NetworkAvailableCondition, NodeObject, NodeSource } from '../../agents/flannel/nodes.ts';
import type { EndpointSliceObject, ServiceObject } from '../../agents/kube-proxy/model.ts';
import type { ServiceSnapshot, ServiceSource } from '../../agents/kube-proxy/source.ts';
import type { ControlPlane } from '../../controlplane/controlplane.ts';
import { nowTimestamp } from '../../kube/object.ts';
import type { ChangeHub, Kind } from './changes.ts';

export function nodeSource(cp: ControlPlane, hub: ChangeHub): NodeSource {
  const nodes = cp.kind('', 'nodes');
  return {
    list: () => [...cp.store.peek(nodes)] as unknown as NodeObject[],
    subscribe: (onChange) => hub.onSettled([{ group: '', resource: 'nodes' }], onChange),
    patchAnnotations: (node, annotations) => {
      cp.store.mutate(nodes, undefined, node, (n) => {
        n.metadata.annotations = { ...n.metadata.annotations, ...annotations };
      });
    },
    setNetworkAvailable: (node: string, condition: NetworkAvailableCondition) => {
      const now = nowTimestamp(cp.ctx.now());
      cp.store.mutate(
        nodes,
        undefined,
        node,
        (n) => {
          n.status ??= {};
          const conditions: Record<string, unknown>[] = n.status.conditions ?? [];
          const prior = conditions.find((c) => c.type === condition.type);
          const next = {
            ...condition,
            lastHeartbeatTime: now,
            lastTransitionTime: prior && prior.status === condition.status ? prior.lastTransitionTime : now,
          };
          n.status.conditions = prior
            ? conditions.map((c) => (c === prior ? next : c))
            : [next, ...conditions];
        },
        { subresource: 'status' },
      );
    },
  };
}

/** kube-proxy's view, plus a counter of Service/EndpointSlice changes (what a sync has caught up with). */
export interface CountingServiceSource extends ServiceSource {
  /** Bumped on every Service or EndpointSlice change. */
  readonly generation: number;
}

const SERVICE_KINDS: Kind[] = [
  { group: '', resource: 'services' },
  { group: 'discovery.k8s.io', resource: 'endpointslices' },
];

export function serviceSource(cp: ControlPlane, hub: ChangeHub): CountingServiceSource {
  const services = cp.kind('', 'services');
  const slices = cp.kind('discovery.k8s.io', 'endpointslices');
  let generation = 0;
  hub.on(SERVICE_KINDS, () => {
    generation++;
  });
  return {
    get generation() {
      return generation;
    },
    list: (): ServiceSnapshot => ({
      services: [...cp.store.peek(services)] as unknown as ServiceObject[],
      endpointSlices: [...cp.store.peek(slices)] as unknown as EndpointSliceObject[],
    }),
    subscribe: (onChange) => hub.onSettled(SERVICE_KINDS, onChange),
  };
}

/**
 * One agent's window on a CountingServiceSource: remembers which generation its last successful
 * sync read, so a caller can tell whether the node's rules are current.
 */
export class SyncTracker {
  readonly source: ServiceSource;
  readonly #from: CountingServiceSource;
  #reading = -1;
  #synced = -1;

  constructor(from: CountingServiceSource) {
    this.#from = from;
    this.source = {
      list: () => {
        this.#reading = from.generation;
        return from.list();
      },
      subscribe: (onChange) => from.subscribe(onChange),
    };
  }

  /** Feed KubeProxyAgent's onSync reports here. */
  synced(ok: boolean): void {
    if (ok) this.#synced = Math.max(this.#synced, this.#reading);
  }

  get current(): boolean {
    return this.#synced === this.#from.generation;
  }
}

export function dnsClusterSource(cp: ControlPlane): ClusterSource {
  const all = (group: string, resource: string) => () =>
    [...cp.store.peek(cp.kind(group, resource))] as unknown as KubeObject[];
  return {
    services: all('', 'services'),
    endpointSlices: all('discovery.k8s.io', 'endpointslices'),
    pods: all('', 'pods'),
    namespaces: all('', 'namespaces'),
  };
}
