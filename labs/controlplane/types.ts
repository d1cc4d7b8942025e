/**
 * What the pieces of one lab's control plane share: the cluster's settings, the store, the kinds,
 * and an event sink. Controllers, the kubelets and the API server all receive a ControlPlaneCore.
 */
import type { KObject } from '../kube/object.ts';
import type { ClusterContext, KindDefinition } from '../registry/strategy.ts';
import type { KindRegistry } from '../store/kind-registry.ts';
import type { ObjectStore } from '../store/store.ts';

export interface ApiserverEndpoint {
  /** Control-plane node that runs this apiserver. */
  nodeName: string;
  /** Advertise address: an endpoint of the `kubernetes` Service. */
  ip: string;
  port: number;
}

export interface ClusterConfig {
  /** Lab name; also the cluster name in kubeconfigs. */
  name: string;
  /** e.g. 10.244.0.0/16 (flannel Network). */
  podCIDR: string;
  /** e.g. 10.96.0.0/12 */
  serviceCIDR: string;
  /** e.g. 10.96.0.10 */
  dnsIP: string;
  clusterDomain: string;
  nodePortRange: [number, number];
  kubernetesVersion: string;
  apiservers: ApiserverEndpoint[];
}

export interface EventSource {
  component: string;
  host?: string;
}

/** Records core/v1 Events the way client-go's recorder does (aggregating repeats by count). */
export interface EventSink {
  record(
    involved: KObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    source: EventSource,
    fieldPath?: string,
  ): void;
}

export interface ControlPlaneCore {
  config: ClusterConfig;
  ctx: ClusterContext;
  store: ObjectStore;
  kinds: KindRegistry;
  events: EventSink;
  /** Shorthand lookup; throws if the kind is not registered (a programming error). */
  kind(group: string, resource: string): KindDefinition;
}
