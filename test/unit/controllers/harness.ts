/**
 * A control plane for controller specs: the real ObjectStore and KindRegistry with small kind
 * definitions that keep what the controllers rely on (status owned by the status subresource,
 * graceful pod deletion, generations, the namespace finalizer), the real EventRecorder, and a
 * stand-in kubelet that runs bound pods the way the real one reports them.
 */

import { EventRecorder } from '../../../labs/controllers/events.ts';
import {
  type ControllerOptions,
  type RunningControllers,
  startControllers,
} from '../../../labs/controllers/index.ts';
import type { ControlPlaneCore } from '../../../labs/controlplane/types.ts';
import { type KObject, nowTimestamp } from '../../../labs/kube/object.ts';
import type { ClusterContext, KindDefinition, Strategy } from '../../../labs/registry/strategy.ts';
import { CidrAllocator, PortRangeAllocator } from '../../../labs/store/allocators.ts';
import { KindRegistry } from '../../../labs/store/kind-registry.ts';
import { READ_WRITE_VERBS } from '../../../labs/store/resource-info.ts';
import { ObjectStore } from '../../../labs/store/store.ts';

function kind(
  group: string,
  resource: string,
  kindName: string,
  namespaced: boolean,
  strategy: Strategy = {},
  version = 'v1',
): KindDefinition {
  return {
    info: {
      group,
      version,
      resource,
      singular: kindName.toLowerCase(),
      kind: kindName,
      listKind: `${kindName}List`,
      namespaced,
      shortNames: [],
      categories: [],
      verbs: [...READ_WRITE_VERBS],
      subresources: ['status'],
    },
    strategy,
  };
}

/** Status belongs to the /status subresource, as for every built-in kind with a status. */
function withStatus(initial: (obj: KObject) => unknown = () => ({}), extra: Strategy = {}): Strategy {
  return {
    ...extra,
    prepareForCreate(obj, ctx) {
      obj.status = initial(obj);
      extra.prepareForCreate?.(obj, ctx);
    },
    prepareForUpdate(obj, old, ctx) {
      obj.status = old.status;
      extra.prepareForUpdate?.(obj, old, ctx);
    },
  };
}

function podGrace(pod: KObject): number | undefined {
  const phase = pod.status?.phase;
  if (!pod.spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') return undefined;
  return pod.spec.terminationGracePeriodSeconds ?? 30;
}

export function testKinds(): KindDefinition[] {
  const workload = (resource: string, k: string) =>
    kind(
      'apps',
      resource,
      k,
      true,
      withStatus(() => ({}), { tracksGeneration: true }),
    );
  return [
    kind(
      '',
      'namespaces',
      'Namespace',
      false,
      withStatus(() => ({ phase: 'Active' }), {
        prepareForCreate(ns) {
          ns.spec = { finalizers: ['kubernetes'] };
        },
        // As the registry's namespace kind: deletion waits on spec.finalizers.
        deletionBlocked: (ns) => (ns.spec?.finalizers?.length ?? 0) > 0,
      }),
    ),
    kind('', 'pods', 'Pod', true, {
      ...withStatus(() => ({ phase: 'Pending' })),
      gracefulDeletion: podGrace,
    }),
    kind(
      '',
      'nodes',
      'Node',
      false,
      withStatus((n) => n.status ?? {}),
    ),
    kind('', 'services', 'Service', true, withStatus()),
    kind('', 'endpoints', 'Endpoints', true),
    kind('', 'events', 'Event', true),
    kind('', 'configmaps', 'ConfigMap', true),
    kind('', 'serviceaccounts', 'ServiceAccount', true),
    kind('coordination.k8s.io', 'leases', 'Lease', true),
    kind('discovery.k8s.io', 'endpointslices', 'EndpointSlice', true),
    workload('deployments', 'Deployment'),
    workload('replicasets', 'ReplicaSet'),
    workload('daemonsets', 'DaemonSet'),
    kind('apps', 'controllerrevisions', 'ControllerRevision', true),
    kind(
      'apiextensions.k8s.io',
      'customresourcedefinitions',
      'CustomResourceDefinition',
      false,
      withStatus(),
    ),
  ];
}

export interface TestNode {
  name: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  unschedulable?: boolean;
  ready?: boolean;
}

/** The seed's VirtualBox cluster: a tainted control plane and two workers. */
export const SEED_NODES: TestNode[] = [
  {
    name: 'ubuntu01',
    labels: { 'node-role.kubernetes.io/control-plane': '' },
    taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
  },
  { name: 'ubuntu02' },
  { name: 'ubuntu03' },
];

export class TestCluster {
  readonly cp: ControlPlaneCore;
  readonly controllers: RunningControllers;
  private ipCounter = 10;

  constructor(opts: ControllerOptions = {}, nodes: TestNode[] = SEED_NODES) {
    const ctx: ClusterContext = {
      serviceCIDR: '10.96.0.0/12',
      nodePortRange: [30000, 32767],
      clusterDomain: 'cluster.local',
      allocators: {
        clusterIP: new CidrAllocator('10.96.0.0/12'),
        nodePort: new PortRangeAllocator(30000, 32767),
      },
      now: () => Date.now(),
    };
    const kinds = new KindRegistry();
    for (const def of testKinds()) kinds.register(def);
    const store = new ObjectStore(kinds, ctx);
    const partial = {
      config: {
        name: 'spec',
        podCIDR: '10.244.0.0/16',
        serviceCIDR: '10.96.0.0/12',
        dnsIP: '10.96.0.10',
        clusterDomain: 'cluster.local',
        nodePortRange: [30000, 32767] as [number, number],
        kubernetesVersion: 'v1.32.4',
        apiservers: [{ nodeName: 'ubuntu01', ip: '192.168.56.11', port: 6443 }],
      },
      ctx,
      store,
      kinds,
      kind(group: string, resource: string) {
        const def = kinds.byResource(group, resource);
        if (!def) throw new Error(`kind ${resource}.${group} is not registered`);
        return def;
      },
    };
    const cp = partial as ControlPlaneCore;
    cp.events = new EventRecorder(cp);
    this.cp = cp;
    // Nodes exist before the controllers start, as the kubelets register first.
    for (const n of nodes) this.addNode(n);
    this.controllers = startControllers(cp, { rootCACert: 'test-ca', log: () => {}, ...opts });
  }

  def(resource: string, group = ''): KindDefinition {
    return this.cp.kind(group, resource);
  }

  get store(): ObjectStore {
    return this.cp.store;
  }

  addNode(n: TestNode): KObject {
    const now = nowTimestamp();
    return this.store.create(this.def('nodes'), {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name, ...(n.labels ?? {}) } },
      spec: {
        ...(n.taints ? { taints: n.taints } : {}),
        ...(n.unschedulable ? { unschedulable: true } : {}),
      },
      status: {
        conditions: [
          {
            type: 'Ready',
            status: n.ready === false ? 'False' : 'True',
            lastHeartbeatTime: now,
            lastTransitionTime: now,
            reason: 'KubeletReady',
            message: 'kubelet is posting ready status',
          },
        ],
      },
    });
  }

  create(
    resource: string,
    obj: Omit<KObject, 'apiVersion' | 'kind'> & Partial<KObject>,
    group = '',
  ): KObject {
    return this.store.create(this.def(resource, group), obj as KObject);
  }

  get(resource: string, namespace: string | undefined, name: string, group = ''): KObject {
    return this.store.get(this.def(resource, group), namespace, name);
  }

  list(resource: string, namespace?: string, group = ''): KObject[] {
    return this.store.list(this.def(resource, group), namespace);
  }

  pods(namespace = 'default'): KObject[] {
    return this.list('pods', namespace);
  }

  events(namespace = 'default'): KObject[] {
    return this.list('events', namespace);
  }

  eventMessages(reason: string, namespace = 'default'): string[] {
    return this.events(namespace)
      .filter((e) => e.reason === reason)
      .map((e) => e.message);
  }

  idle(): Promise<void> {
    return this.controllers.idle();
  }

  /**
   * One kubelet pass: bound pods start (Running, an IP, Ready unless `ready` says otherwise), and
   * pods being deleted finish terminating. Returns whether anything changed.
   */
  kubeletStep(ready: (pod: KObject) => boolean = () => true): boolean {
    const podDef = this.def('pods');
    let changed = false;
    for (const pod of this.store.list(podDef)) {
      if (!pod.spec?.nodeName) continue;
      if (pod.metadata.deletionTimestamp) {
        this.store.delete(podDef, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0 });
        changed = true;
        continue;
      }
      const isReady = ready(pod);
      const cur = (pod.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
      if (pod.status?.phase === 'Running' && (cur?.status === 'True') === isReady) continue;
      const now = nowTimestamp();
      this.store.mutate(
        podDef,
        pod.metadata.namespace,
        pod.metadata.name!,
        (o) => {
          const status = o.status ?? {};
          status.phase = 'Running';
          status.podIP ??= `10.244.${Number((o.spec.nodeName as string).replace(/\D/g, '')) || 0}.${this.ipCounter++}`;
          status.podIPs = [{ ip: status.podIP }];
          const others = (status.conditions ?? []).filter((c: any) => c.type !== 'Ready');
          status.conditions = [
            ...others,
            { type: 'Ready', status: isReady ? 'True' : 'False', lastTransitionTime: now },
          ];
          o.status = status;
        },
        { subresource: 'status' },
      );
      changed = true;
    }
    return changed;
  }

  /** Alternate kubelet passes and controller work until nothing changes. */
  async settle(ready?: (pod: KObject) => boolean, rounds = 50): Promise<void> {
    await this.idle();
    for (let i = 0; i < rounds; i++) {
      if (!this.kubeletStep(ready)) return;
      await this.idle();
    }
    throw new Error('cluster did not settle');
  }

  stop(): void {
    this.controllers.stop();
  }
}

export function deployment(name: string, replicas: number, extra: Record<string, any> = {}): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'web', image: 'httpd:2.4', ports: [{ name: 'http', containerPort: 80 }] }],
        },
      },
      ...extra,
    },
  };
}

/** kubectl's DeploymentStatusViewer, to check that `kubectl rollout status` would finish. */
export function rolloutStatus(d: KObject): { done: boolean; message: string } {
  const name = d.metadata.name;
  const st = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (st.observedGeneration ?? 0)) {
    return { done: false, message: 'Waiting for deployment spec update to be observed...' };
  }
  const cond = (st.conditions ?? []).find((c: any) => c.type === 'Progressing');
  if (cond?.reason === 'ProgressDeadlineExceeded')
    return { done: false, message: `deployment "${name}" exceeded its progress deadline` };
  const want = d.spec?.replicas ?? 1;
  if ((st.updatedReplicas ?? 0) < want) {
    return {
      done: false,
      message: `Waiting for deployment "${name}" rollout to finish: ${st.updatedReplicas ?? 0} out of ${want} new replicas have been updated...`,
    };
  }
  if ((st.replicas ?? 0) > (st.updatedReplicas ?? 0)) {
    return {
      done: false,
      message: `Waiting for deployment "${name}" rollout to finish: ${(st.replicas ?? 0) - (st.updatedReplicas ?? 0)} old replicas are pending termination...`,
    };
  }
  if ((st.availableReplicas ?? 0) < (st.updatedReplicas ?? 0)) {
    return {
      done: false,
      message: `Waiting for deployment "${name}" rollout to finish: ${st.availableReplicas ?? 0} of ${st.updatedReplicas ?? 0} updated replicas are available...`,
    };
  }
  return { done: true, message: `deployment "${name}" successfully rolled out` };
}
