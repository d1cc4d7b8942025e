/**
 * The kubelet's status rules, as pure functions over its view of a pod's containers: the phase
 * (kubelet getPhase), the conditions (PodReadyToStartContainers, Initialized, Ready, ContainersReady,
 * PodScheduled) and the containerStatuses shape the API shows. Field order follows the Go types, so
 * `kubectl get -o json` reads like a real cluster's.
 */
import { nowTimestamp } from '../kube/object.ts';

type Obj = Record<string, any>;

export type WaitingState = { waiting: { reason: string; message?: string } };
export type RunningState = { running: { startedAt: string } };
export interface TerminatedInfo {
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  /** null for a container that never ran (ContainerStatusUnknown). */
  startedAt: string | null;
  finishedAt: string | null;
  containerID?: string;
}
export type TerminatedState = { terminated: TerminatedInfo };
export type ContainerState = WaitingState | RunningState | TerminatedState;

/** What the kubelet knows about one container of a pod. */
export interface ContainerView {
  name: string;
  init: boolean;
  /** A sidecar: an init container with restartPolicy Always. */
  restartable: boolean;
  /** The image as the spec names it, until a pull tells the canonical name. */
  image: string;
  imageID: string;
  /** Bare 64-hex id of the current or last instance. */
  containerID?: string;
  state: ContainerState;
  lastTerminated?: TerminatedInfo;
  restartCount: number;
  ready: boolean;
  started: boolean;
  volumeMounts?: Obj[];
}

export function isRunning(c: ContainerView): boolean {
  return 'running' in c.state;
}
export function isTerminated(c: ContainerView): boolean {
  return 'terminated' in c.state;
}
export function isWaiting(c: ContainerView): boolean {
  return 'waiting' in c.state;
}
/** The terminated state of a container, if it is terminated. */
export function terminatedOf(c: ContainerView): TerminatedInfo | undefined {
  return 'terminated' in c.state ? c.state.terminated : undefined;
}

export function apiContainerStatus(c: ContainerView): Obj {
  const term = (t: TerminatedInfo) => {
    const o: Obj = { exitCode: t.exitCode };
    if (t.signal) o.signal = t.signal;
    o.reason = t.reason;
    if (t.message) o.message = t.message;
    o.startedAt = t.startedAt;
    o.finishedAt = t.finishedAt;
    if (t.containerID) o.containerID = `containerd://${t.containerID}`;
    return o;
  };
  const s = c.state;
  let state: Obj;
  if ('running' in s) state = { running: { ...s.running } };
  else if ('terminated' in s) state = { terminated: term(s.terminated) };
  else state = { waiting: { ...s.waiting } };
  const out: Obj = {
    name: c.name,
    state,
    lastState: c.lastTerminated ? { terminated: term(c.lastTerminated) } : {},
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.imageID,
  };
  if (c.containerID) out.containerID = `containerd://${c.containerID}`;
  out.started = c.started;
  if (c.volumeMounts?.length) {
    out.volumeMounts = c.volumeMounts.map((m) => ({
      name: m.name,
      mountPath: m.mountPath,
      ...(m.readOnly ? { readOnly: true, recursiveReadOnly: 'Disabled' } : {}),
    }));
  }
  return out;
}

/** kubelet getPhase (pkg/kubelet/kubelet_pods.go), sidecars included. */
export function podPhase(spec: Obj, views: ContainerView[], podIsTerminal: boolean): string {
  const byName = new Map(views.map((v) => [`${v.init ? 'i' : 'c'}/${v.name}`, v]));
  let pendingInit = 0;
  let failedInit = 0;
  let pendingSidecars = 0;
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec.initContainers ?? []) {
    const v = byName.get(`i/${c.name}`);
    if (c.restartPolicy === 'Always') {
      if (!v) {
        unknown++;
        continue;
      }
      if (isRunning(v)) {
        if (!v.started) pendingSidecars++;
        running++;
      } else if (isWaiting(v) && !v.lastTerminated) {
        pendingSidecars++;
        waiting++;
      }
      continue;
    }
    if (!v) {
      pendingInit++;
      continue;
    }
    const t = terminatedOf(v);
    if (isRunning(v)) pendingInit++;
    else if (t) {
      if (t.exitCode !== 0) failedInit++;
    } else if (v.lastTerminated) {
      if (v.lastTerminated.exitCode !== 0) failedInit++;
    } else pendingInit++;
  }
  for (const c of spec.containers ?? []) {
    const v = byName.get(`c/${c.name}`);
    if (!v) {
      unknown++;
      continue;
    }
    const t = terminatedOf(v);
    if (isRunning(v)) running++;
    else if (t) {
      stopped++;
      if (t.exitCode === 0) succeeded++;
    } else if (v.lastTerminated) stopped++;
    else waiting++;
  }
  const policy = spec.restartPolicy ?? 'Always';
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 || pendingSidecars > 0) return 'Pending';
  if (waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

const list = (names: string[]) => `[${names.join(' ')}]`;

export function initializedCondition(spec: Obj, views: ContainerView[], phase: string): Condition {
  const inits: Obj[] = spec.initContainers ?? [];
  if (!inits.length) return { type: 'Initialized', status: 'True' };
  const incomplete: string[] = [];
  for (const c of inits) {
    const v = views.find((x) => x.init && x.name === c.name);
    const done = c.restartPolicy === 'Always' ? !!v?.started : !!v && terminatedOf(v)?.exitCode === 0;
    if (!done) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && !incomplete.length)
    return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  if (incomplete.length) {
    return {
      type: 'Initialized',
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: `containers with incomplete status: ${list(incomplete)}`,
    };
  }
  return { type: 'Initialized', status: 'True' };
}

export function containersReadyCondition(spec: Obj, views: ContainerView[], phase: string): Condition {
  if (phase === 'Succeeded') return { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  if (phase === 'Failed') return { type: 'ContainersReady', status: 'False', reason: 'PodFailed' };
  const unknown: string[] = [];
  const unready: string[] = [];
  const check = (name: string, init: boolean) => {
    const v = views.find((x) => x.init === init && x.name === name);
    if (!v) unknown.push(name);
    else if (!v.ready) unready.push(name);
  };
  for (const c of spec.initContainers ?? []) if (c.restartPolicy === 'Always') check(c.name, true);
  for (const c of spec.containers ?? []) check(c.name, false);
  const parts: string[] = [];
  if (unknown.length) parts.push(`containers with unknown status: ${list(unknown)}`);
  if (unready.length) parts.push(`containers with unready status: ${list(unready)}`);
  if (parts.length)
    return {
      type: 'ContainersReady',
      status: 'False',
      reason: 'ContainersNotReady',
      message: parts.join(', '),
    };
  return { type: 'ContainersReady', status: 'True' };
}

/** Ready = ContainersReady plus every readiness gate's condition True. */
export function readyCondition(spec: Obj, containersReady: Condition, existing: Obj[]): Condition {
  if (containersReady.status !== 'True') return { ...containersReady, type: 'Ready' };
  const problems: string[] = [];
  for (const g of spec.readinessGates ?? []) {
    const c = existing.find((x) => x.type === g.conditionType);
    if (!c)
      problems.push(`corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`);
    else if (c.status !== 'True')
      problems.push(`the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`);
  }
  if (problems.length)
    return { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: problems.join(', ') };
  return { type: 'Ready', status: 'True' };
}

const KUBELET_CONDITIONS = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady'];

/**
 * Merge the kubelet's conditions into the pod's existing ones: transition times move only when a
 * status changes; conditions owned by others (PodScheduled, readiness gates, DisruptionTarget) stay.
 */
export function mergeConditions(existing: Obj[], mine: Condition[], now: number): Obj[] {
  const out: Obj[] = [];
  for (const c of mine) {
    const prev = existing.find((x) => x.type === c.type);
    const cond: Obj = {
      type: c.type,
      status: c.status,
      lastProbeTime: null,
      lastTransitionTime:
        prev && prev.status === c.status && prev.lastTransitionTime
          ? prev.lastTransitionTime
          : nowTimestamp(now),
    };
    if (c.reason) cond.reason = c.reason;
    if (c.message) cond.message = c.message;
    out.push(cond);
  }
  for (const x of existing) if (!KUBELET_CONDITIONS.includes(x.type)) out.push(x);
  if (!out.some((x) => x.type === 'PodScheduled')) {
    out.push({
      type: 'PodScheduled',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: nowTimestamp(now),
    });
  }
  return out;
}
