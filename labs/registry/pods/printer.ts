/**
 * The pod row of `kubectl get pods`: READY, the aggregate STATUS (ContainerCreating,
 * CrashLoopBackOff, Init:0/1, Completed, Terminating, ...) and RESTARTS with "(5s ago)",
 * following printPod in pkg/printers/internalversion.
 */
import type { KObject } from '../../kube/object.ts';
import { since } from '../lib/duration.ts';
import { ageCol, col, nameCol, wide } from '../lib/table.ts';
import type { ClusterContext, TableConvertor } from '../strategy.ts';

type Obj = Record<string, any>;

const isRestartableInit = (c: Obj | undefined) => c?.restartPolicy === 'Always';
const time = (t: string | undefined | null) => (t ? Date.parse(t) : 0);

export function podRow(pod: KObject, ctx: ClusterContext): unknown[] {
  const spec: Obj = pod.spec ?? {};
  const status: Obj = pod.status ?? {};
  const initSpecs: Obj[] = spec.initContainers ?? [];
  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = (spec.containers ?? []).length;
  let readyContainers = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;
  const phase: string = status.phase ?? '';
  let reason: string = status.reason || phase;

  for (const c of status.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }
  const initByName = new Map<string, Obj>(initSpecs.map((c) => [c.name, c]));
  for (const c of initSpecs) if (isRestartableInit(c)) totalContainers++;

  let initializing = false;
  const initStatuses: Obj[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const st: Obj = cs.state ?? {};
    restarts += cs.restartCount ?? 0;
    const finished = time(cs.lastState?.terminated?.finishedAt);
    if (cs.lastState?.terminated && finished > lastRestart) lastRestart = finished;
    const restartable = isRestartableInit(initByName.get(cs.name));
    if (restartable) {
      restartableInitRestarts += cs.restartCount ?? 0;
      if (cs.lastState?.terminated && finished > lastRestartableInitRestart)
        lastRestartableInitRestart = finished;
    }
    if (st.terminated && (st.terminated.exitCode ?? 0) === 0) continue;
    if (restartable && cs.started) {
      if (cs.ready) readyContainers++;
      continue;
    }
    if (st.terminated) {
      if (!st.terminated.reason) {
        reason = st.terminated.signal
          ? `Init:Signal:${st.terminated.signal}`
          : `Init:ExitCode:${st.terminated.exitCode ?? 0}`;
      } else reason = `Init:${st.terminated.reason}`;
      initializing = true;
    } else if (st.waiting?.reason && st.waiting.reason !== 'PodInitializing') {
      reason = `Init:${st.waiting.reason}`;
      initializing = true;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
      initializing = true;
    }
    break;
  }

  const initialized = (status.conditions ?? []).some(
    (c: Obj) => c.type === 'Initialized' && c.status === 'True',
  );
  if (!initializing || initialized) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses: Obj[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      const st: Obj = cs.state ?? {};
      restarts += cs.restartCount ?? 0;
      const finished = time(cs.lastState?.terminated?.finishedAt);
      if (cs.lastState?.terminated && finished > lastRestart) lastRestart = finished;
      if (st.waiting?.reason) reason = st.waiting.reason;
      else if (st.terminated?.reason) reason = st.terminated.reason;
      else if (st.terminated) {
        reason = st.terminated.signal
          ? `Signal:${st.terminated.signal}`
          : `ExitCode:${st.terminated.exitCode ?? 0}`;
      } else if (cs.ready && st.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const ready = (status.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
      reason = ready ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed')
    reason = 'Terminating';

  let restartsCell = String(restarts);
  if (restarts !== 0 && lastRestart) {
    restartsCell = `${restarts} (${since(new Date(lastRestart).toISOString(), ctx.now())} ago)`;
  }

  const podIP: string = status.podIPs?.[0]?.ip || '<none>';
  const gates: Obj[] = spec.readinessGates ?? [];
  let readinessGates = '<none>';
  if (gates.length) {
    let trueConditions = 0;
    for (const g of gates) {
      const cond = (status.conditions ?? []).find((c: Obj) => c.type === g.conditionType);
      if (cond?.status === 'True') trueConditions++;
    }
    readinessGates = `${trueConditions}/${gates.length}`;
  }
  return [
    pod.metadata.name,
    `${readyContainers}/${totalContainers}`,
    reason,
    restartsCell,
    since(pod.metadata.creationTimestamp, ctx.now()),
    podIP,
    spec.nodeName || '<none>',
    status.nominatedNodeName || '<none>',
    readinessGates,
  ];
}

export const podTable: TableConvertor = {
  columns: [
    nameCol(),
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    ageCol(),
    wide(
      'IP',
      'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
    ),
    wide('Node', 'NodeName indicates in which node this pod is scheduled.'),
    wide('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.'),
    wide('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.'),
  ],
  cells: podRow,
};
