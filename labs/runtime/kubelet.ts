/**
 * One kubelet per node: registers and heartbeats its Node (status and a Lease in kube-node-lease),
 * runs the pods bound to it through a PodRuntime (one PodWorker each), and serves what the API
 * server proxies to a kubelet: container logs, exec and attach.
 *
 * It reads and writes the store directly, as the real kubelet talks to its apiserver: pod status
 * through the /status subresource, the final delete of a terminated pod with grace 0.
 */
import { randomUUID } from 'node:crypto';
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { ApiError } from '../kube/errors.ts';
import type { KObject } from '../kube/object.ts';
import type { ChangeListener } from '../store/store.ts';
import { Backoff } from './backoff.ts';
import type { EnvSources } from './container-env.ts';
import { ContainerLog, DEFAULT_LOG_BYTES } from './container-log.ts';
import {
  allocatable,
  capacityOf,
  internalIP,
  LEASE_NAMESPACE,
  leaseObject,
  microTime,
  type NodeDescription,
  nodeLabels,
  nodeStatus,
  type ReadyState,
  registrationObject,
} from './node-status.ts';
import type {
  ExecOptions,
  ExecProcess,
  OutputSink,
  PodRuntime,
  SandboxConfig,
  TerminalSize,
} from './pod-runtime.ts';
import { RuntimeError } from './pod-runtime.ts';
import { isRunning, terminatedOf } from './pod-status.ts';
import { type ContainerRecord, type KubeletTimings, PodWorker, type PodWorkerHost } from './pod-worker.ts';

export type { NodeDescription } from './node-status.ts';

export interface KubeletOptions {
  /** CrashLoopBackOff: first delay and cap (kubelet: 10 s, 5 min). Tests shorten it. */
  crashLoopBackoff?: { initialMs: number; maxMs: number };
  /** Image pull back-off (kubelet: 10 s, 5 min). */
  imagePullBackoff?: { initialMs: number; maxMs: number };
  /** PLEG relist period: how soon an exit is acted on (default 1 s). */
  resyncMs?: number;
  /** Retry period for configuration errors and pull policy Never (default 10 s). */
  syncPeriodMs?: number;
  /** Lease renewal (default 10 s) and duration (40 s). */
  leaseRenewMs?: number;
  leaseDurationSeconds?: number;
  /** Node status is posted on change and at least this often (default 60 s). */
  statusReportMs?: number;
  /** Log buffer per container instance (default 1 MiB). */
  logBytes?: number;
  /** Whether the pod network is ready at start (CNI configured); false reports NotReady. */
  networkReady?: boolean;
}

/** An error the kubelet answers a stream request with (the apiserver relays it as 400 or 500). */
export class KubeletError extends Error {
  /**
   * 'bad-request': log requests the container's state cannot answer (400 from the kubelet);
   * 'upgrade': a stream to a container that is not running (the stream upgrade fails);
   * 'exec': the runtime could not run the command.
   */
  readonly kind: 'bad-request' | 'upgrade' | 'exec';
  constructor(kind: KubeletError['kind'], message: string) {
    super(message);
    this.kind = kind;
  }
}

export interface PodRef {
  namespace: string;
  name: string;
  uid?: string;
}

export interface AttachSession {
  write(chunk: Buffer): void;
  resize(size: TerminalSize): void;
  /** The client went away; a stdinOnce container's stdin is closed. */
  detach(): void;
  /** Settles when the container exits. */
  readonly ended: Promise<void>;
  readonly tty: boolean;
}

/** What the kubelet's streaming endpoint says for a container that is not running here. */
function notFound(container: string): KubeletError {
  return new KubeletError('upgrade', `container not found ("${container}")`);
}

const NETWORK_NOT_READY =
  'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized';

export class Kubelet {
  readonly core: ControlPlaneCore;
  readonly node: NodeDescription;
  readonly runtime: PodRuntime;
  readonly nodeName: string;
  readonly nodeIP: string;
  readonly timings: KubeletTimings;
  readonly crashBackoff: Backoff;
  readonly pullBackoff: Backoff;
  private readonly opts: KubeletOptions;
  private readonly workers = new Map<string, PodWorker>();
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe?: () => void;
  private readonly bootID = randomUUID();
  private networkReady: boolean;
  private started = false;
  private stopped = false;
  private readyPosted = false;

  constructor(core: ControlPlaneCore, node: NodeDescription, runtime: PodRuntime, opts: KubeletOptions = {}) {
    this.core = core;
    this.node = node;
    this.runtime = runtime;
    this.opts = opts;
    this.nodeName = node.name;
    this.nodeIP = internalIP(node);
    this.timings = {
      resyncMs: opts.resyncMs ?? 1000,
      syncPeriodMs: opts.syncPeriodMs ?? 10_000,
      logBytes: opts.logBytes ?? DEFAULT_LOG_BYTES,
    };
    const crash = opts.crashLoopBackoff ?? { initialMs: 10_000, maxMs: 300_000 };
    const pull = opts.imagePullBackoff ?? { initialMs: 10_000, maxMs: 300_000 };
    this.crashBackoff = new Backoff(crash.initialMs, crash.maxMs);
    this.pullBackoff = new Backoff(pull.initialMs, pull.maxMs);
    this.networkReady = opts.networkReady ?? true;
  }

  private def(group: string, resource: string) {
    return this.core.kinds.byResource(group, resource);
  }

  private get nodeRef(): KObject {
    // Kubelet events name the node by name as its UID too (kubectl describe node relies on it).
    return { apiVersion: 'v1', kind: 'Node', metadata: { name: this.nodeName, uid: this.nodeName } };
  }

  private nodeEvent(reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): void {
    try {
      this.core.events.record(this.nodeRef, type, reason, message, {
        component: 'kubelet',
        host: this.nodeName,
      });
    } catch {
      /* best effort */
    }
  }

  // ---------- start / stop ----------

  /** Register the node, start heartbeats and run the pods bound to it. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.nodeEvent('Starting', 'Starting kubelet.');
    this.register();
    this.postNodeStatus({ ready: false, message: this.networkReady ? undefined : NETWORK_NOT_READY });
    this.nodeEvent('NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods');
    this.renewLease();
    const pods = this.def('', 'pods');
    this.unsubscribe = this.core.store.onChange(this.onChange);
    if (pods)
      for (const p of this.core.store.list(pods)) if (p.spec?.nodeName === this.nodeName) this.syncPod(p);
    // The runtime answered: the node turns Ready (unless the pod network is not there yet).
    this.postNodeStatus(this.readyState());
    this.timers.push(setInterval(() => this.renewLease(), this.opts.leaseRenewMs ?? 10_000));
    this.timers.push(
      setInterval(() => this.postNodeStatus(this.readyState()), this.opts.statusReportMs ?? 60_000),
    );
    for (const t of this.timers) t.unref();
  }

  /**
   * Stop the kubelet and kill its containers without touching the API (a node going down): the
   * node's Lease stops being renewed and its pods keep their last status.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearInterval(t);
    const workers = [...this.workers.values()];
    const done = workers.map((w) => w.shutdown());
    await this.runtime.close();
    await Promise.all(done);
    this.workers.clear();
  }

  /** CNI config appeared or vanished: the Ready condition follows, as with a real kubelet. */
  setNetworkReady(ready: boolean): void {
    this.networkReady = ready;
    if (this.started && !this.stopped) this.postNodeStatus(this.readyState());
  }

  private readyState(): ReadyState {
    return this.networkReady ? { ready: true } : { ready: false, message: NETWORK_NOT_READY };
  }

  // ---------- node and lease ----------

  private register(): void {
    const nodes = this.def('', 'nodes');
    if (!nodes) return;
    const store = this.core.store;
    const existing = store.tryGet(nodes, undefined, this.nodeName);
    if (!existing) {
      store.create(nodes, registrationObject(this.node));
      return;
    }
    // Re-registration: our labels and addresses win, whatever others added stays.
    store.mutate(nodes, undefined, this.nodeName, (n) => {
      n.metadata.labels = { ...n.metadata.labels, ...nodeLabels(this.node) };
      n.spec ??= {};
      n.spec.podCIDR ??= this.node.podCIDR;
      n.spec.podCIDRs ??= [this.node.podCIDR];
      return n;
    });
  }

  private postNodeStatus(ready: ReadyState): void {
    const nodes = this.def('', 'nodes');
    if (!nodes || this.stopped) return;
    let changed: { type: string; status: string; reason: string }[] = [];
    let rebooted = false;
    try {
      this.core.store.mutate(
        nodes,
        undefined,
        this.nodeName,
        (n) => {
          const lastBoot = n.status?.nodeInfo?.bootID;
          rebooted = !!lastBoot && lastBoot !== this.bootID;
          const r = nodeStatus(n.status, {
            desc: this.node,
            runtimeVersion: this.runtime.version,
            images: this.runtime.listImages(),
            ready,
            bootID: this.bootID,
            now: this.core.ctx.now(),
          });
          changed = r.changed;
          n.status = { ...n.status, ...r.status };
          return n;
        },
        { subresource: 'status' },
      );
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) {
        // Someone deleted our Node: register again, as a kubelet does.
        this.register();
        return;
      }
      throw e;
    }
    if (rebooted)
      this.nodeEvent(
        'Rebooted',
        `Node ${this.nodeName} has been rebooted, boot id: ${this.bootID}`,
        'Warning',
      );
    for (const c of changed) {
      if (c.type === 'Ready') {
        const prior = c.status === 'True' ? 'NodeReady' : 'NodeNotReady';
        // The first (not ready) registration is not an event; later transitions are.
        if (c.status === 'True' || this.readyPosted)
          this.nodeEvent(prior, `Node ${this.nodeName} status is now: ${prior}`);
      } else {
        this.nodeEvent(
          c.reason.replace('Kubelet', 'Node'),
          `Node ${this.nodeName} status is now: ${c.reason.replace('Kubelet', 'Node')}`,
        );
      }
    }
    this.readyPosted = true;
  }

  private renewLease(): void {
    const leases = this.def('coordination.k8s.io', 'leases');
    const nodes = this.def('', 'nodes');
    const nsDef = this.def('', 'namespaces');
    if (!leases || !nodes || this.stopped) return;
    const store = this.core.store;
    const node = store.tryGet(nodes, undefined, this.nodeName);
    if (!node) return;
    const now = this.core.ctx.now();
    try {
      const lease = store.tryGet(leases, LEASE_NAMESPACE, this.nodeName);
      if (lease) {
        lease.spec = { ...lease.spec, holderIdentity: this.nodeName, renewTime: microTime(now) };
        store.update(leases, lease);
        return;
      }
      if (nsDef && !store.tryGet(nsDef, undefined, LEASE_NAMESPACE)) {
        store.create(nsDef, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LEASE_NAMESPACE } });
      }
      store.create(leases, leaseObject(node, this.opts.leaseDurationSeconds ?? 40, now));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
  }

  // ---------- pods ----------

  private readonly onChange: ChangeListener = (change) => {
    if (change.def.info.resource !== 'pods' || change.def.info.group !== '') return;
    const pod = change.object;
    if (pod.spec?.nodeName !== this.nodeName) return;
    // Never act inside a store listener: other listeners have not seen this change yet.
    queueMicrotask(() => {
      if (this.stopped) return;
      if (change.type === 'DELETED') {
        const w = this.workers.get(pod.metadata.uid!);
        if (w) void w.deleted();
        return;
      }
      this.syncPod(pod);
    });
  };

  private syncPod(pod: KObject): void {
    const uid = pod.metadata.uid!;
    const w = this.workers.get(uid);
    if (w) {
      w.update(pod);
      return;
    }
    const phase = pod.status?.phase;
    const terminal = phase === 'Succeeded' || phase === 'Failed';
    if (pod.metadata.deletionTimestamp) {
      // Nothing of it runs here: finish the deletion at once.
      this.finalDelete(pod);
      return;
    }
    if (terminal) return;
    const worker = new PodWorker(this.host, pod);
    this.workers.set(uid, worker);
    void worker.run();
  }

  private finalDelete(pod: KObject): void {
    const pods = this.def('', 'pods');
    if (!pods) return;
    try {
      this.core.store.delete(pods, pod.metadata.namespace, pod.metadata.name!, {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
  }

  /** The host interface pod workers use. */
  private get host(): PodWorkerHost {
    return {
      core: this.core,
      runtime: this.runtime,
      nodeName: this.nodeName,
      nodeIP: this.nodeIP,
      timings: this.timings,
      crashBackoff: this.crashBackoff,
      pullBackoff: this.pullBackoff,
      envSources: (pod, podIP) => this.envSources(pod, podIP),
      dnsConfig: (pod) => this.dnsConfig(pod),
      workerDone: (uid) => {
        this.workers.delete(uid);
      },
    };
  }

  private envSources(pod: KObject, podIP: string): EnvSources {
    const store = this.core.store;
    const svcDef = this.def('', 'services');
    const cmDef = this.def('', 'configmaps');
    const secDef = this.def('', 'secrets');
    const ns = pod.metadata.namespace ?? 'default';
    const services: KObject[] = [];
    if (svcDef) {
      for (const s of store.peek(svcDef)) {
        const inNs = s.metadata.namespace === ns;
        const master = s.metadata.namespace === 'default' && s.metadata.name === 'kubernetes';
        if (inNs || master) services.push(s);
      }
    }
    const alloc = allocatable(capacityOf(this.node));
    return {
      pod,
      podIP,
      hostIP: this.nodeIP,
      allocatable: { cpu: alloc.cpu, memory: alloc.memory },
      services,
      configMap: (n, name) => (cmDef ? store.tryGet(cmDef, n, name) : undefined),
      secret: (n, name) => (secDef ? store.tryGet(secDef, n, name) : undefined),
    };
  }

  /** resolv.conf for a pod: ClusterFirst (the cluster DNS), Default (the node's), None (dnsConfig). */
  dnsConfig(pod: KObject): SandboxConfig['dns'] {
    const spec = pod.spec ?? {};
    const policy = spec.dnsPolicy ?? 'ClusterFirst';
    const domain = this.core.config.clusterDomain;
    const ns = pod.metadata.namespace ?? 'default';
    const custom = spec.dnsConfig ?? {};
    let base: SandboxConfig['dns'] = { nameservers: [], searches: [], options: [] };
    const clusterFirst =
      policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !spec.hostNetwork);
    if (clusterFirst) {
      base = {
        nameservers: [this.core.config.dnsIP],
        searches: [`${ns}.svc.${domain}`, `svc.${domain}`, domain],
        options: ['ndots:5'],
      };
    }
    return {
      nameservers: [...base.nameservers, ...(custom.nameservers ?? [])],
      searches: [...base.searches, ...(custom.searches ?? [])],
      options: [
        ...base.options,
        ...(custom.options ?? []).map((o: { name: string; value?: string }) =>
          o.value ? `${o.name}:${o.value}` : o.name,
        ),
      ],
    };
  }

  // ---------- what the API server proxies to a kubelet ----------

  private worker(ref: PodRef): PodWorker | undefined {
    for (const w of this.workers.values()) {
      if (w.namespace === ref.namespace && w.name === ref.name && (!ref.uid || w.uid === ref.uid)) return w;
    }
    return undefined;
  }

  /** The container's record; `missing` says what to answer when this kubelet does not run it. */
  private record(ref: PodRef, container: string, missing: () => KubeletError): ContainerRecord {
    const rec = this.worker(ref)?.container(container);
    if (!rec) throw missing();
    return rec;
  }

  /**
   * The log of the container instance `kubectl logs` means (validateContainerLogStatus), or an
   * error with the kubelet's words (`container "web" in pod "web-1" is waiting to start: ContainerCreating`).
   */
  containerLog(ref: PodRef, container: string, previous: boolean): ContainerLog {
    const rec = this.record(
      ref,
      container,
      () => new KubeletError('bad-request', `container "${container}" in pod "${ref.name}" is not available`),
    );
    const v = rec.view;
    const say = (what: string) =>
      new KubeletError('bad-request', `container "${container}" in pod "${ref.name}" ${what}`);
    let id: string | undefined;
    const terminated = terminatedOf(v);
    const last = v.lastTerminated;
    if (previous) {
      if (!last?.containerID)
        throw new KubeletError(
          'bad-request',
          `previous terminated container "${container}" in pod "${ref.name}" not found`,
        );
      id = last.containerID;
    } else if (isRunning(v)) {
      id = v.containerID;
    } else if (terminated) {
      id = terminated.containerID || last?.containerID;
      if (!id) throw say('is terminated');
    } else if (last) {
      id = last.containerID;
      if (!id) throw say('is terminated');
    } else if ('waiting' in v.state) {
      const reason = v.state.waiting.reason;
      if (reason === 'ErrImagePull') throw say(`is waiting to start: image can't be pulled`);
      if (reason === 'ImagePullBackOff') throw say('is waiting to start: trying and failing to pull image');
      throw say(`is waiting to start: ${reason}`);
    } else {
      throw say('is waiting to start - no logs yet');
    }
    const log = id ? rec.logs.get(id) : undefined;
    if (log) return log;
    const empty = new ContainerLog(id ?? '');
    empty.close();
    return empty;
  }

  /** Start a command in a running container (kubectl exec). */
  async exec(ref: PodRef, container: string, options: ExecOptions, output: OutputSink): Promise<ExecProcess> {
    const rec = this.record(ref, container, () => notFound(container));
    if (!rec.handle) throw notFound(container);
    try {
      return await this.runtime.exec(rec.handle.id, options, output);
    } catch (e) {
      if (e instanceof RuntimeError)
        throw new KubeletError(
          e.kind === 'NotFound' ? 'upgrade' : 'exec',
          e.kind === 'NotFound' ? notFound(container).message : e.message,
        );
      throw e;
    }
  }

  /** Connect to a running container's stdio (kubectl attach, kubectl run -it). */
  attach(ref: PodRef, container: string, opts: { stdin: boolean }, output: OutputSink): AttachSession {
    const rec = this.record(ref, container, () => notFound(container));
    const handle = rec.handle;
    if (!handle) throw notFound(container);
    rec.attached.add(output);
    let detached = false;
    const detach = () => {
      if (detached) return;
      detached = true;
      rec.attached.delete(output);
      if (opts.stdin && rec.spec.stdinOnce) handle.closeStdin();
    };
    return {
      tty: handle.tty,
      write: (chunk) => {
        if (opts.stdin) handle.writeStdin(chunk);
      },
      resize: (size) => handle.resize(size),
      detach,
      ended: handle.exited.then(() => {
        rec.attached.delete(output);
      }),
    };
  }

  /** Pods this kubelet runs, for tools and tests. */
  podWorkers(): PodWorker[] {
    return [...this.workers.values()];
  }
}
