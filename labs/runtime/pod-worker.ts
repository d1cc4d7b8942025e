/**
 * One pod on one node, from binding to deletion, as the kubelet's pod worker runs it:
 * sandbox -> init containers in order -> containers (pulled, created and started one after the
 * other) -> each container supervised by its restart policy with CrashLoopBackOff -> probes ->
 * graceful termination -> the final delete with grace 0.
 *
 * Everything the API shows goes through the pod's /status subresource, computed from this worker's
 * view of its containers (pod-status.ts). Events carry the kubelet's reasons and messages.
 */
import { randomBytes } from 'node:crypto';
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { ApiError } from '../kube/errors.ts';
import type { KObject } from '../kube/object.ts';
import { nowTimestamp } from '../kube/object.ts';
import { type Backoff, goDuration } from './backoff.ts';
import { ContainerConfigError, containerEnv, type EnvSources, expandCommand } from './container-env.ts';
import { ContainerLog } from './container-log.ts';
import { defaultPullPolicy } from './images/reference.ts';
import type {
  ContainerExit,
  ContainerHandle,
  PodRuntime,
  PulledImage,
  Sandbox,
  SandboxConfig,
  StdStream,
} from './pod-runtime.ts';
import { RuntimeError } from './pod-runtime.ts';
import {
  apiContainerStatus,
  type Condition,
  type ContainerView,
  containersReadyCondition,
  initializedCondition,
  isRunning,
  isWaiting,
  mergeConditions,
  podPhase,
  readyCondition,
  terminatedOf,
} from './pod-status.ts';
import { ContainerProbes, type ProbeKind, probeAction } from './probes.ts';

type Obj = Record<string, any>;

export interface KubeletTimings {
  /** PLEG relist: how long an exited container shows as terminated before the kubelet acts. */
  resyncMs: number;
  /** Retry period for problems that only a later sync can fix (missing ConfigMap, Never pull policy). */
  syncPeriodMs: number;
  /** Per-instance log buffer. */
  logBytes: number;
}

/** What a pod worker needs from its kubelet. */
export interface PodWorkerHost {
  readonly core: ControlPlaneCore;
  readonly runtime: PodRuntime;
  readonly nodeName: string;
  readonly nodeIP: string;
  readonly timings: KubeletTimings;
  readonly crashBackoff: Backoff;
  readonly pullBackoff: Backoff;
  envSources(pod: KObject, podIP: string): EnvSources;
  dnsConfig(pod: KObject): SandboxConfig['dns'];
  workerDone(uid: string): void;
}

/** One container of the pod: its API view, current instance, logs and attached clients. */
export interface ContainerRecord {
  spec: Obj;
  view: ContainerView;
  handle?: ContainerHandle;
  probes?: ContainerProbes;
  /** Logs by container id, the current and the previous instance. */
  logs: Map<string, ContainerLog>;
  /** Raw output listeners (attach). */
  attached: Set<(stream: StdStream, chunk: Buffer) => void>;
  /** Waiters for the current instance's end. */
  lastExitAt?: number;
  /** Kill in progress (liveness failure): no second Killing event. */
  killing?: boolean;
  /** The supervise loop of this container has ended for good. */
  finished?: boolean;
}

const EPOCH = '1970-01-01T00:00:00Z';

function newId(): string {
  return randomBytes(32).toString('hex');
}

export function formatPod(pod: KObject): string {
  return `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
}

class Stopped extends Error {}

export class PodWorker {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  pod: KObject;
  private readonly host: PodWorkerHost;
  private readonly records = new Map<string, ContainerRecord>();
  private sandbox?: Sandbox;
  private sandboxReady = false;
  private initialized = false;
  private terminal?: 'Succeeded' | 'Failed';
  private stopping = false;
  private gone = false;
  private readonly abort = new AbortController();
  private readonly startTime: string;
  private flushScheduled = false;
  private lastWritten = '';
  private terminating?: Promise<void>;
  /** Grace period the running termination uses; a later, shorter one replaces it. */
  private terminationGrace?: number;
  /** Restart counts and last states carried over from a previous life of this pod on the node. */
  private readonly previous?: Obj;

  constructor(host: PodWorkerHost, pod: KObject) {
    this.host = host;
    this.pod = pod;
    this.uid = pod.metadata.uid!;
    this.namespace = pod.metadata.namespace ?? 'default';
    this.name = pod.metadata.name!;
    this.startTime = pod.status?.startTime ?? nowTimestamp(host.core.ctx.now());
    if (pod.status?.containerStatuses?.length || pod.status?.initContainerStatuses?.length)
      this.previous = pod.status;
    const spec = pod.spec ?? {};
    const hasInit = (spec.initContainers ?? []).length > 0;
    for (const c of spec.initContainers ?? [])
      this.records.set(`i/${c.name}`, this.newRecord(c, true, hasInit));
    for (const c of spec.containers ?? []) this.records.set(`c/${c.name}`, this.newRecord(c, false, hasInit));
  }

  private newRecord(spec: Obj, init: boolean, hasInit: boolean): ContainerRecord {
    const prev: Obj | undefined = (
      init ? this.previous?.initContainerStatuses : this.previous?.containerStatuses
    )?.find((s: Obj) => s.name === spec.name);
    const view: ContainerView = {
      name: spec.name,
      init,
      restartable: init && spec.restartPolicy === 'Always',
      image: spec.image ?? '',
      imageID: '',
      state: { waiting: { reason: hasInit ? 'PodInitializing' : 'ContainerCreating' } },
      restartCount: 0,
      ready: false,
      started: false,
      volumeMounts: spec.volumeMounts,
    };
    if (prev) {
      // The node rebooted under this pod: its containers are gone, as after a real reboot.
      view.restartCount = (prev.restartCount ?? 0) + 1;
      const last = prev.state?.terminated ?? prev.lastState?.terminated;
      const startedAt = prev.state?.running?.startedAt ?? last?.startedAt ?? EPOCH;
      view.lastTerminated = prev.state?.running
        ? {
            exitCode: 255,
            reason: 'Unknown',
            startedAt,
            finishedAt: nowTimestamp(this.host.core.ctx.now()),
            containerID: String(prev.containerID ?? '').replace('containerd://', '') || undefined,
          }
        : last && {
            ...last,
            containerID: String(last.containerID ?? '').replace('containerd://', '') || undefined,
          };
    }
    return { spec, view, logs: new Map(), attached: new Set() };
  }

  // ---------- helpers ----------

  private get podDef() {
    return this.host.core.kind('', 'pods');
  }

  private get spec(): Obj {
    return this.pod.spec ?? {};
  }

  get podIP(): string | undefined {
    return this.sandbox?.ip;
  }

  get isTerminal(): boolean {
    return !!this.terminal;
  }

  container(name: string, init?: boolean): ContainerRecord | undefined {
    if (init === undefined) return this.records.get(`c/${name}`) ?? this.records.get(`i/${name}`);
    return this.records.get(`${init ? 'i' : 'c'}/${name}`);
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string, rec?: ContainerRecord): void {
    const fieldPath = rec
      ? `spec.${rec.view.init ? 'initContainers' : 'containers'}{${rec.view.name}}`
      : undefined;
    try {
      this.host.core.events.record(
        this.pod,
        type,
        reason,
        message,
        { component: 'kubelet', host: this.host.nodeName },
        fieldPath,
      );
    } catch {
      /* events are best effort */
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.reject(new Stopped());
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => {
          this.abort.signal.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      const onAbort = () => {
        clearTimeout(t);
        reject(new Stopped());
      };
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private checkStopping(): void {
    if (this.stopping) throw new Stopped();
  }

  // ---------- status ----------

  /** Schedule a status write; bursts of changes become one write. */
  flush(): void {
    if (this.flushScheduled || this.gone) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.writeStatus();
    });
  }

  private views(init: boolean): ContainerView[] {
    const list: Obj[] = (init ? this.spec.initContainers : this.spec.containers) ?? [];
    return list
      .map((c) => this.records.get(`${init ? 'i' : 'c'}/${c.name}`)?.view)
      .filter((v): v is ContainerView => !!v);
  }

  /** The status the kubelet would post now. */
  apiStatus(existing: Obj = {}): Obj {
    const spec = this.spec;
    const all = [...this.views(true), ...this.views(false)];
    const phase = this.terminal ?? podPhase(spec, all, false);
    const conds: Condition[] = [
      { type: 'PodReadyToStartContainers', status: this.sandboxReady ? 'True' : 'False' },
      this.initialized && phase !== 'Succeeded'
        ? { type: 'Initialized', status: 'True' }
        : initializedCondition(spec, all, phase),
    ];
    const containersReady = containersReadyCondition(spec, all, phase);
    conds.push(readyCondition(spec, containersReady, existing.conditions ?? []), containersReady);
    const hostIP = this.host.nodeIP;
    const status: Obj = {
      phase,
      conditions: mergeConditions(existing.conditions ?? [], conds, this.host.core.ctx.now()),
    };
    for (const k of ['message', 'reason', 'nominatedNodeName'])
      if (existing[k] !== undefined) status[k] = existing[k];
    status.hostIP = hostIP;
    status.hostIPs = [{ ip: hostIP }];
    const podIP = this.sandbox?.ip ?? existing.podIP;
    if (podIP) {
      status.podIP = podIP;
      status.podIPs = [{ ip: podIP }];
    }
    status.startTime = this.startTime;
    if ((spec.initContainers ?? []).length)
      status.initContainerStatuses = this.views(true).map(apiContainerStatus);
    status.containerStatuses = this.views(false).map(apiContainerStatus);
    status.qosClass = existing.qosClass ?? qosOf(spec);
    for (const k of ['ephemeralContainerStatuses', 'resourceClaimStatuses'])
      if (existing[k] !== undefined) status[k] = existing[k];
    return status;
  }

  private writeStatus(): void {
    if (this.gone) return;
    const store = this.host.core.store;
    try {
      store.mutate(
        this.podDef,
        this.namespace,
        this.name,
        (p) => {
          if (p.metadata.uid !== this.uid) throw new Stopped();
          const status = this.apiStatus(p.status ?? {});
          const text = JSON.stringify(status);
          if (text === this.lastWritten && JSON.stringify(p.status) === text) return p;
          this.lastWritten = text;
          p.status = status;
          return p;
        },
        { subresource: 'status' },
      );
    } catch (e) {
      if (e instanceof Stopped || (e instanceof ApiError && e.code === 404)) return;
      console.error(
        `kubelet ${this.host.nodeName}: status update of pod ${this.namespace}/${this.name} failed:`,
        e,
      );
    }
  }

  // ---------- lifecycle ----------

  /** Run the pod. Resolves when the worker has nothing more to do on its own. */
  async run(): Promise<void> {
    try {
      // The first status (ContainerCreating) goes out before anything is tried, as the kubelet's does.
      this.writeStatus();
      await this.createSandbox();
      if (!(await this.runInitContainers())) return;
      this.initialized = true;
      for (const c of this.spec.containers ?? []) {
        const rec = this.records.get(`c/${c.name}`)!;
        const firstAttempt = this.deferred();
        void this.supervise(rec, firstAttempt.resolve);
        await firstAttempt.promise;
        this.checkStopping();
      }
    } catch (e) {
      if (!(e instanceof Stopped))
        console.error(`kubelet ${this.host.nodeName}: pod ${this.namespace}/${this.name}:`, e);
    }
  }

  private deferred(): { promise: Promise<void>; resolve: () => void } {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    return { promise, resolve };
  }

  private async createSandbox(): Promise<void> {
    const spec = this.spec;
    if (this.previous) {
      this.event('Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    }
    const ports = (spec.containers ?? []).flatMap((c: Obj) =>
      (c.ports ?? []).map((p: Obj) => ({
        containerPort: p.containerPort,
        protocol: p.protocol ?? 'TCP',
        hostPort: p.hostPort,
      })),
    );
    for (;;) {
      this.checkStopping();
      try {
        this.sandbox = await this.host.runtime.createSandbox({
          uid: this.uid,
          namespace: this.namespace,
          name: this.name,
          hostname: spec.hostname || this.name,
          hostNetwork: !!spec.hostNetwork,
          ports,
          dns: this.host.dnsConfig(this.pod),
        });
        break;
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        this.event(
          'Warning',
          'FailedCreatePodSandBox',
          `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "${newId()}": ${msg}`,
        );
        await this.sleep(this.host.timings.syncPeriodMs);
      }
    }
    if (this.stopping) {
      await this.host.runtime.removeSandbox(this.sandbox.id);
      throw new Stopped();
    }
    this.sandboxReady = true;
    this.flush();
  }

  /** Init containers one by one; false when the pod failed or is stopping. */
  private async runInitContainers(): Promise<boolean> {
    for (const c of this.spec.initContainers ?? []) {
      const rec = this.records.get(`i/${c.name}`)!;
      if (c.restartPolicy === 'Always') {
        // A sidecar: started, and the next init container waits until it counts as started.
        const first = this.deferred();
        void this.supervise(rec, first.resolve);
        await first.promise;
        while (!rec.view.started) await this.sleep(100);
        continue;
      }
      for (;;) {
        this.checkStopping();
        if (rec.lastExitAt !== undefined) await this.waitCrashBackoff(rec, this.backoffKey(rec));
        const exit = await this.attempt(rec);
        if ('retryMs' in exit) {
          await this.sleep(exit.retryMs);
          continue;
        }
        if (exit.exitCode === 0) break;
        if ((this.spec.restartPolicy ?? 'Always') === 'Never') {
          await this.finishPod('Failed');
          return false;
        }
        await this.sleep(this.host.timings.resyncMs);
      }
    }
    return true;
  }

  private backoffKey(rec: ContainerRecord): string {
    return `${this.uid}/${rec.view.init ? 'i' : 'c'}/${rec.view.name}`;
  }

  /** CrashLoopBackOff: wait out the back-off that started at the last exit, then count the restart. */
  private async waitCrashBackoff(rec: ContainerRecord, key: string): Promise<void> {
    const b = this.host.crashBackoff;
    const exitAt = rec.lastExitAt!;
    if (b.isInBackOffSince(key, exitAt)) {
      this.moveToLast(rec);
      rec.view.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${goDuration(b.get(key))} restarting failed container=${rec.view.name} pod=${formatPod(this.pod)}`,
        },
      };
      this.event(
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${rec.view.name} in pod ${formatPod(this.pod)}`,
        rec,
      );
      this.flush();
      await this.sleep(b.until(key, exitAt) - Date.now());
    }
    b.next(key, exitAt);
  }

  /** The supervise loop of a regular container or sidecar. */
  private async supervise(rec: ContainerRecord, firstAttemptDone: () => void): Promise<void> {
    const key = this.backoffKey(rec);
    try {
      for (;;) {
        this.checkStopping();
        if (rec.lastExitAt !== undefined) await this.waitCrashBackoff(rec, key);
        // The next container may start once this one started or could not (pull, config errors).
        const exit = await this.attempt(rec, firstAttemptDone);
        firstAttemptDone();
        if ('retryMs' in exit) {
          await this.sleep(exit.retryMs);
          continue;
        }
        this.checkStopping();
        const policy = rec.view.restartable ? 'Always' : (this.spec.restartPolicy ?? 'Always');
        const restart = policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0);
        if (!restart) break;
        await this.sleep(this.host.timings.resyncMs);
      }
    } catch (e) {
      if (!(e instanceof Stopped))
        console.error(`kubelet ${this.host.nodeName}: container ${rec.view.name}:`, e);
    } finally {
      firstAttemptDone();
    }
    rec.finished = true;
    if (!this.stopping) await this.checkCompletion();
  }

  /** All regular containers are done for good: the pod is terminal. */
  private async checkCompletion(): Promise<void> {
    const regular = (this.spec.containers ?? []).map((c: Obj) => this.records.get(`c/${c.name}`)!);
    if (!regular.every((r: ContainerRecord) => r.finished)) return;
    const all = regular.map((r: ContainerRecord) => r.view);
    const phase = all.every((v: ContainerView) => terminatedOf(v)?.exitCode === 0) ? 'Succeeded' : 'Failed';
    await this.finishPod(phase);
  }

  /**
   * One life of a container: image, environment, start, probes, until it exits. Returns the exit,
   * or when to try again if nothing could be started (pull and configuration problems).
   */
  private async attempt(
    rec: ContainerRecord,
    onStarted?: () => void,
  ): Promise<ContainerExit | { retryMs: number }> {
    const image = await this.ensureImage(rec);
    if ('retryMs' in image) return image;
    this.checkStopping();
    const sources = this.host.envSources(this.pod, this.sandbox!.ip);
    let env: { name: string; value: string }[];
    try {
      env = containerEnv(rec.spec, sources);
    } catch (e) {
      if (!(e instanceof ContainerConfigError)) throw e;
      this.setWaiting(rec, 'CreateContainerConfigError', e.message);
      this.event('Warning', 'Failed', `Error: ${e.message}`, rec);
      this.flush();
      return { retryMs: this.host.timings.syncPeriodMs };
    }
    // A new instance after an earlier one (in this kubelet's life) counts as a restart.
    const restartCount = rec.view.restartCount + (rec.view.containerID ? 1 : 0);
    let log: ContainerLog | undefined;
    const early: [StdStream, Buffer][] = [];
    const sink = (stream: StdStream, chunk: Buffer) => {
      if (log) log.append(stream, chunk);
      else early.push([stream, chunk]);
      for (const a of rec.attached) a(stream, chunk);
    };
    let handle: ContainerHandle;
    try {
      handle = await this.host.runtime.startContainer(
        this.sandbox!.id,
        {
          name: rec.view.name,
          image,
          command: expandCommand(rec.spec.command, env),
          args: expandCommand(rec.spec.args, env),
          env,
          workingDir: rec.spec.workingDir,
          stdin: !!rec.spec.stdin,
          stdinOnce: !!rec.spec.stdinOnce,
          tty: !!rec.spec.tty,
          attempt: restartCount,
        },
        sink,
      );
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      this.checkStopping();
      // Created, then the task failed to start: StartError with exit code 128.
      const id = newId();
      this.event('Normal', 'Created', `Created container: ${rec.view.name}`, rec);
      this.event('Warning', 'Failed', `Error: ${e.message}`, rec);
      this.moveToLast(rec);
      rec.view.restartCount = restartCount;
      rec.view.containerID = id;
      rec.view.image = image.name;
      rec.view.imageID = image.id;
      const now = this.host.core.ctx.now();
      rec.view.state = {
        terminated: {
          exitCode: 128,
          reason: 'StartError',
          message: e.message,
          startedAt: EPOCH,
          finishedAt: nowTimestamp(now),
          containerID: id,
        },
      };
      rec.view.ready = false;
      rec.view.started = false;
      rec.lastExitAt = Date.now();
      this.flush();
      onStarted?.();
      return { exitCode: 128, reason: 'Error', finishedAt: now };
    }
    if (this.stopping) {
      // Termination began while the container was starting: it must not outlive its pod.
      await handle.stop(0);
      throw new Stopped();
    }
    log = new ContainerLog(handle.id, this.host.timings.logBytes);
    for (const [s, c] of early) log.append(s, c);
    rec.logs.set(handle.id, log);
    this.pruneLogs(rec);
    this.event('Normal', 'Created', `Created container: ${rec.view.name}`, rec);
    this.event('Normal', 'Started', `Started container ${rec.view.name}`, rec);
    this.moveToLast(rec);
    rec.handle = handle;
    rec.killing = false;
    rec.view.restartCount = restartCount;
    rec.view.containerID = handle.id;
    rec.view.image = image.name;
    rec.view.imageID = image.id;
    const startedAt = nowTimestamp(handle.startedAt);
    rec.view.state = { running: { startedAt } };
    const probes = new ContainerProbes(
      rec.spec,
      this.sandbox!.ip,
      this.probeHooks(rec, handle),
      handle.startedAt,
    );
    rec.probes = probes;
    rec.view.started = !probes.hasStartup;
    rec.view.ready = rec.view.started && !probes.hasReadiness;
    this.flush();
    onStarted?.();
    probes.start();
    await this.postStart(rec, handle);
    const exit = await handle.exited;
    probes.stop();
    log.close();
    rec.handle = undefined;
    rec.view.state = {
      terminated: {
        exitCode: exit.exitCode,
        reason: exit.reason,
        startedAt,
        finishedAt: nowTimestamp(exit.finishedAt),
        containerID: handle.id,
      },
    };
    rec.view.ready = false;
    rec.view.started = false;
    rec.lastExitAt = exit.finishedAt;
    this.flush();
    return exit;
  }

  /** The previous instance's end becomes lastState when a new one is created. */
  private moveToLast(rec: ContainerRecord): void {
    const t = terminatedOf(rec.view);
    if (t) rec.view.lastTerminated = t;
  }

  private pruneLogs(rec: ContainerRecord): void {
    const keep = new Set([
      rec.view.containerID,
      rec.view.lastTerminated?.containerID,
      [...rec.logs.keys()].at(-1),
    ]);
    for (const id of rec.logs.keys()) if (!keep.has(id)) rec.logs.delete(id);
  }

  private setWaiting(rec: ContainerRecord, reason: string, message?: string): void {
    if (isRunning(rec.view)) return;
    this.moveToLast(rec);
    rec.view.state = { waiting: message ? { reason, message } : { reason } };
  }

  /** EnsureImageExists: pull by policy, with ErrImagePull / ImagePullBackOff on failure. */
  private async ensureImage(rec: ContainerRecord): Promise<PulledImage | { retryMs: number }> {
    const image: string = rec.spec.image ?? '';
    const policy: string = rec.spec.imagePullPolicy ?? defaultPullPolicy(image);
    const rt = this.host.runtime;
    const { resyncMs, syncPeriodMs } = this.host.timings;
    const present = rt.imageStatus(image);
    if (policy === 'Never' || (policy === 'IfNotPresent' && present)) {
      if (present) {
        this.event('Normal', 'Pulled', `Container image "${image}" already present on machine`, rec);
        return present;
      }
      const msg = `Container image "${image}" is not present with pull policy of Never`;
      this.setWaiting(rec, 'ErrImageNeverPull', msg);
      this.event('Warning', 'ErrImageNeverPull', msg, rec);
      this.event('Warning', 'Failed', 'Error: ErrImageNeverPull', rec);
      this.flush();
      return { retryMs: syncPeriodMs };
    }
    const key = `${this.uid}_${image}`;
    const pb = this.host.pullBackoff;
    if (pb.isInBackOffSinceUpdate(key)) {
      const msg = `Back-off pulling image "${image}"`;
      this.setWaiting(rec, 'ImagePullBackOff', msg);
      this.event('Normal', 'BackOff', msg, rec);
      this.event('Warning', 'Failed', 'Error: ImagePullBackOff', rec);
      this.flush();
      return { retryMs: Math.max(pb.remainingSinceUpdate(key), 1) };
    }
    this.event('Normal', 'Pulling', `Pulling image "${image}"`, rec);
    const t0 = Date.now();
    try {
      const { image: pulled, pullMs } = await rt.pullImage(image, {
        withCommand: !!rec.spec.command?.length,
      });
      this.checkStopping();
      this.event(
        'Normal',
        'Pulled',
        `Successfully pulled image "${image}" in ${goDuration(Math.max(0, Math.round(pullMs)))} (${goDuration(Date.now() - t0)} including waiting). Image size: ${pulled.sizeBytes} bytes.`,
        rec,
      );
      return pulled;
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      this.checkStopping();
      if (e.kind === 'ImageInspect') {
        const msg = `Failed to apply default image tag "${image}": ${e.message}`;
        this.setWaiting(rec, 'InvalidImageName', msg);
        this.event('Warning', 'InspectFailed', msg, rec);
        this.event('Warning', 'Failed', 'Error: InvalidImageName', rec);
        this.flush();
        return { retryMs: syncPeriodMs };
      }
      this.event('Warning', 'Failed', `Failed to pull image "${image}": ${e.message}`, rec);
      pb.next(key, Date.now());
      this.setWaiting(rec, 'ErrImagePull', e.message);
      this.event('Warning', 'Failed', 'Error: ErrImagePull', rec);
      this.flush();
      return { retryMs: resyncMs };
    }
  }

  private probeHooks(rec: ContainerRecord, handle: ContainerHandle) {
    const label: Record<ProbeKind, string> = {
      readiness: 'Readiness',
      liveness: 'Liveness',
      startup: 'Startup',
    };
    return {
      run: (action: Parameters<PodRuntime['probe']>[1], timeout: number) =>
        this.host.runtime.probe(handle.id, action, timeout),
      attemptFailed: (kind: ProbeKind, r: { result: string; output: string }) => {
        if (this.stopping || rec.handle !== handle) return;
        const message =
          r.result === 'unknown'
            ? `${label[kind]} probe errored and resulted in unknown state: ${r.output}`
            : `${label[kind]} probe failed: ${r.output}`;
        this.event('Warning', 'Unhealthy', message, rec);
      },
      readinessChanged: (ready: boolean) => {
        if (rec.handle !== handle) return;
        rec.view.ready = ready && rec.view.started;
        this.flush();
      },
      startupSucceeded: () => {
        if (rec.handle !== handle) return;
        rec.view.started = true;
        if (!rec.probes?.hasReadiness) rec.view.ready = true;
        this.flush();
      },
      failed: (kind: 'liveness' | 'startup') => {
        if (this.stopping || rec.handle !== handle || rec.killing) return;
        const policy = rec.view.restartable ? 'Always' : (this.spec.restartPolicy ?? 'Always');
        const restart = policy !== 'Never';
        const probeGrace = rec.spec[`${kind}Probe`]?.terminationGracePeriodSeconds;
        void this.killContainer(
          rec,
          `Container ${rec.view.name} failed ${kind} probe${restart ? ', will be restarted' : ''}`,
          probeGrace,
        );
      },
    };
  }

  /** killContainer: Killing event, preStop hook, stop signal, SIGKILL after the grace period. */
  private async killContainer(rec: ContainerRecord, message: string, gracePeriod?: number): Promise<void> {
    const handle = rec.handle;
    if (!handle || rec.killing) return;
    rec.killing = true;
    this.event('Normal', 'Killing', message, rec);
    let grace = gracePeriod ?? this.spec.terminationGracePeriodSeconds ?? 30;
    const t0 = Date.now();
    if (rec.spec.lifecycle?.preStop && grace > 0) {
      await this.runHook(rec, handle, rec.spec.lifecycle.preStop, grace, 'PreStop');
      grace -= Math.floor((Date.now() - t0) / 1000);
    }
    // The kubelet always allows a minimal shutdown window.
    await handle.stop(Math.max(grace, 2));
  }

  private async postStart(rec: ContainerRecord, handle: ContainerHandle): Promise<void> {
    const hook = rec.spec.lifecycle?.postStart;
    if (!hook) return;
    const ok = await this.runHook(
      rec,
      handle,
      hook,
      this.spec.terminationGracePeriodSeconds ?? 30,
      'PostStart',
    );
    if (!ok && rec.handle === handle) {
      this.event('Warning', 'FailedPostStartHook', 'PostStartHook failed', rec);
      await this.killContainer(rec, `FailedPostStartHook`);
    }
  }

  /** A lifecycle handler (exec / httpGet / sleep). Resolves true on success. */
  private async runHook(
    rec: ContainerRecord,
    handle: ContainerHandle,
    hook: Obj,
    budgetSeconds: number,
    kind: 'PreStop' | 'PostStart',
  ): Promise<boolean> {
    if (hook.sleep) {
      await new Promise((r) =>
        setTimeout(r, Math.min(Number(hook.sleep.seconds ?? 0), budgetSeconds) * 1000),
      );
      return true;
    }
    const action = probeAction(hook, rec.spec, this.sandbox?.ip ?? '');
    if ('error' in action) return false;
    try {
      const r = await this.host.runtime.probe(handle.id, action, budgetSeconds);
      if (r.result !== 'success' && kind === 'PreStop') {
        const what =
          action.type === 'exec'
            ? `Exec lifecycle hook (${JSON.stringify(action.command).replace(/,/g, ' ')})`
            : 'HTTP lifecycle hook';
        this.event(
          'Warning',
          'FailedPreStopHook',
          `${what} for Container "${rec.view.name}" in Pod "${formatPod(this.pod)}" failed - error: ${r.output}`,
          rec,
        );
      }
      return r.result === 'success';
    } catch {
      return false;
    }
  }

  // ---------- spec changes, termination ----------

  /** A newer version of the pod arrived from the API. */
  update(pod: KObject): void {
    if (pod.metadata.uid !== this.uid) return;
    const before = this.pod;
    this.pod = pod;
    if (pod.metadata.deletionTimestamp) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? this.spec.terminationGracePeriodSeconds ?? 30;
      if (!this.terminating) {
        this.terminationGrace = grace;
        void this.terminate(grace, true);
      } else if (grace < (this.terminationGrace ?? Number.POSITIVE_INFINITY)) {
        // A second DELETE with a shorter grace period (`kubectl delete --grace-period=1` of a pod
        // already terminating) cuts the wait short, as the kubelet does.
        this.terminationGrace = grace;
        for (const rec of this.records.values()) void rec.handle?.stop(grace).catch(() => {});
      }
      return;
    }
    // `kubectl set image` on a pod: the kubelet restarts the container with the new image.
    for (const c of pod.spec?.containers ?? []) {
      const rec = this.records.get(`c/${c.name}`);
      const old = (before.spec?.containers ?? []).find((x: Obj) => x.name === c.name);
      if (!rec) continue;
      rec.spec = c;
      if (old && old.image !== c.image && rec.handle) {
        void this.killContainer(rec, `Container ${c.name} definition changed, will be restarted`);
      }
    }
    for (const c of pod.spec?.initContainers ?? []) {
      const rec = this.records.get(`i/${c.name}`);
      if (rec) rec.spec = c;
    }
    this.flush();
  }

  /** The pod completed on its own: stop sidecars and the sandbox, post the terminal phase. */
  private async finishPod(phase: 'Succeeded' | 'Failed'): Promise<void> {
    if (this.terminal || this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    await this.stopContainers(this.spec.terminationGracePeriodSeconds ?? 30);
    this.terminal = phase;
    await this.removeSandbox();
    this.flush();
  }

  private async stopContainers(graceSeconds: number): Promise<void> {
    const recs = [...this.records.values()];
    const kill = (list: ContainerRecord[]) =>
      Promise.all(
        list.map(async (rec) => {
          rec.probes?.stop();
          if (rec.handle) await this.killContainer(rec, `Stopping container ${rec.view.name}`, graceSeconds);
          if (rec.handle) await rec.handle.exited;
        }),
      );
    // Regular containers first, sidecars after them, as the kubelet orders termination.
    await kill(recs.filter((r) => !r.view.init));
    await kill(recs.filter((r) => r.view.init));
    // Wait for each supervise loop to record the exit.
    for (let i = 0; i < 50 && recs.some((r) => r.handle); i++) await new Promise((r) => setTimeout(r, 10));
  }

  private async removeSandbox(): Promise<void> {
    this.sandboxReady = false;
    if (this.sandbox) {
      try {
        await this.host.runtime.removeSandbox(this.sandbox.id);
      } catch {
        /* already gone */
      }
    }
  }

  /**
   * Graceful termination after a DELETE: stop every container within the grace period, post the
   * final status, then finish the deletion with grace 0 (`apiDelete`), as the kubelet does.
   */
  terminate(gracePeriodSeconds: number, apiDelete: boolean): Promise<void> {
    this.terminating ??= (async () => {
      this.stopping = true;
      this.abort.abort();
      await this.stopContainers(gracePeriodSeconds);
      for (const rec of this.records.values()) {
        if (isWaiting(rec.view)) {
          // Never ran (or waiting to restart): the kubelet reports it as unknown.
          this.moveToLast(rec);
          rec.view.state = {
            terminated: {
              exitCode: 137,
              reason: 'ContainerStatusUnknown',
              message: 'The container could not be located when the pod was terminated',
              startedAt: null,
              finishedAt: null,
            },
          };
        }
      }
      if (!this.terminal) {
        const views = [...this.records.values()].filter((r) => !r.view.init).map((r) => r.view);
        this.terminal = views.every((v) => terminatedOf(v)?.exitCode === 0) ? 'Succeeded' : 'Failed';
      }
      await this.removeSandbox();
      this.writeStatus();
      if (apiDelete && !this.gone) {
        try {
          this.host.core.store.delete(this.podDef, this.namespace, this.name, {
            gracePeriodSeconds: 0,
            preconditions: { uid: this.uid },
          });
        } catch (e) {
          if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
        }
      }
      this.dispose();
    })();
    return this.terminating;
  }

  /** The pod is gone from the API (force delete): kill quickly, post nothing. */
  deleted(): Promise<void> {
    this.gone = true;
    return this.terminate(0, false);
  }

  /** Node shutdown: kill everything without touching the API. */
  shutdown(): Promise<void> {
    this.gone = true;
    this.stopping = true;
    this.abort.abort();
    for (const rec of this.records.values()) {
      rec.probes?.stop();
    }
    return this.terminate(0, false);
  }

  private dispose(): void {
    this.host.crashBackoff.forgetPrefix(`${this.uid}/`);
    this.host.pullBackoff.forgetPrefix(`${this.uid}_`);
    this.host.workerDone(this.uid);
  }
}

/** qos.GetPodQOS over cpu and memory requests/limits. */
function qosOf(spec: Obj): 'BestEffort' | 'Burstable' | 'Guaranteed' {
  const containers: Obj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined || lim[r] !== undefined) any = true;
      if (lim[r] === undefined || String(req[r] ?? lim[r]) !== String(lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
