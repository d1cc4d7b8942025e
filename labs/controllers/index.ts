/**
 * kube-controller-manager, kube-scheduler and the apiserver's own controllers for one lab, all
 * running off the lab's store. `idle()` resolves once every queue is drained: a settled cluster.
 */
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { CrdController, type CustomKindFactory } from './crd.ts';
import { DaemonSetController } from './daemonset.ts';
import { DeploymentController } from './deployment.ts';
import { EndpointsController } from './endpoints.ts';
import { EndpointSliceController, EndpointSliceMirroringController } from './endpointslice.ts';
import { type Controller, ControllerManager } from './framework.ts';
import { GarbageCollector } from './garbagecollector.ts';
import { DEFAULT_LEASE_TTL_MS, KubernetesServiceController } from './kubernetes-service.ts';
import { ensureBuiltinNamespaces, NamespaceController } from './namespace.ts';
import { DEFAULT_NODE_MONITOR_GRACE_MS, NodeLifecycleController } from './nodelifecycle.ts';
import { ReplicaSetController } from './replicaset.ts';
import { Scheduler } from './scheduler.ts';
import { ServiceAccountController } from './serviceaccount.ts';

export { EventRecorder } from './events.ts';

export type ControllerName =
  | 'namespace'
  | 'serviceaccount'
  | 'garbagecollector'
  | 'replicaset'
  | 'deployment'
  | 'daemonset'
  | 'scheduler'
  | 'endpoints'
  | 'endpointslice'
  | 'endpointslicemirroring'
  | 'kubernetes-service'
  | 'nodelifecycle'
  | 'crd';

export interface ControllerOptions {
  /** Run only these controllers (default: all). */
  only?: ControllerName[];
  /** How long a stopped apiserver keeps its endpoint in `default/kubernetes` (lease TTL, ms). */
  apiserverLeaseTtlMs?: number;
  /** How long a node may go without a kubelet heartbeat before it turns NotReady (ms). */
  nodeMonitorGracePeriodMs?: number;
  /** Re-queue everything this often (ms); 0 (default) relies on change notifications alone. */
  resyncMs?: number;
  /** PEM of the cluster CA for `kube-root-ca.crt`; defaults to the control plane's `tls.caCert`. */
  rootCACert?: string;
  /** Builds a CRD version's kind; defaults to a plain generic kind. */
  customKindFactory?: CustomKindFactory;
  /** Where repeated reconcile failures are reported (default console.error). */
  log?: (message: string) => void;
}

export interface RunningControllers {
  stop(): void;
  /** Resolves when every controller queue is drained (delayed wake-ups do not count). */
  idle(): Promise<void>;
  /** The dataplane reports an apiserver stopping or coming back (lease reconciler input). */
  setApiserverAlive(ip: string, alive: boolean): void;
}

export function startControllers(cp: ControlPlaneCore, opts: ControllerOptions = {}): RunningControllers {
  const enabled = (name: ControllerName) => !opts.only || opts.only.includes(name);
  const caCert = () => opts.rootCACert ?? (cp as { tls?: { caCert?: string } }).tls?.caCert ?? '';
  if (enabled('namespace')) ensureBuiltinNamespaces(cp);

  const kubernetesService = new KubernetesServiceController(
    cp,
    opts.apiserverLeaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
  );
  const controllers: [ControllerName, Controller][] = [
    ['crd', new CrdController(cp, opts.customKindFactory)],
    ['namespace', new NamespaceController(cp)],
    ['serviceaccount', new ServiceAccountController(cp, caCert)],
    ['kubernetes-service', kubernetesService],
    [
      'nodelifecycle',
      new NodeLifecycleController(cp, opts.nodeMonitorGracePeriodMs ?? DEFAULT_NODE_MONITOR_GRACE_MS),
    ],
    ['garbagecollector', new GarbageCollector(cp)],
    ['deployment', new DeploymentController(cp)],
    ['replicaset', new ReplicaSetController(cp)],
    ['daemonset', new DaemonSetController(cp)],
    ['scheduler', new Scheduler(cp)],
    ['endpoints', new EndpointsController(cp)],
    ['endpointslice', new EndpointSliceController(cp)],
    ['endpointslicemirroring', new EndpointSliceMirroringController(cp)],
  ];
  const manager = new ControllerManager(cp, { resyncMs: opts.resyncMs, log: opts.log });
  for (const [name, c] of controllers) if (enabled(name)) manager.add(c);
  manager.start();
  return {
    stop: () => manager.stop(),
    idle: () => manager.idle(),
    setApiserverAlive: (ip, alive) => {
      if (enabled('kubernetes-service')) kubernetesService.setAlive(ip, alive);
    },
  };
}
