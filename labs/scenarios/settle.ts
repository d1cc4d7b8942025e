/**
 * "Wait until the lab is quiet": what the engine does after building, injecting, resetting and
 * every disturbance of a persistence check, so that the next check sees the lab as a learner would
 * a few seconds later. Read through kubectl only (one list per poll), so it works on every driver.
 */
import type { Lab } from '../drivers/driver.ts';
import type { SettleOptions } from './types.ts';

interface Obj {
  kind?: string;
  metadata: {
    name: string;
    labels?: Record<string, string>;
    namespace?: string;
    generation?: number;
    deletionTimestamp?: string;
    ownerReferences?: { kind: string; name: string }[];
  };
  spec?: any;
  status?: any;
}

function condition(o: Obj, type: string): string | undefined {
  return (o.status?.conditions as { type: string; status: string }[] | undefined)?.find(
    (c) => c.type === type,
  )?.status;
}

/**
 * A running pod whose readiness probe has had its chance and still fails: waiting longer would
 * not make it Ready (a scenario's broken probe), so settling does not wait for it.
 */
export function failingReadiness(pod: Obj, now: number): boolean {
  const containers: any[] = pod.spec?.containers ?? [];
  const statuses: any[] = pod.status?.containerStatuses ?? [];
  return containers.some((c) => {
    if (!c.readinessProbe) return false;
    const started = statuses.find((s) => s.name === c.name)?.state?.running?.startedAt;
    if (!started) return false;
    const p = c.readinessProbe;
    const graceMs = ((p.initialDelaySeconds ?? 0) + (p.periodSeconds ?? 10) + 2) * 1000;
    return now - Date.parse(started) > graceMs;
  });
}

/** Why the lab is not settled yet, or undefined when it is. */
export function unsettled(items: Obj[], ready: boolean, now = Date.now()): string | undefined {
  const problems: string[] = [];
  const pods = items.filter((o) => o.kind === 'Pod' && !o.metadata.deletionTimestamp);
  // Pods per controller, counted directly: right after pods are deleted, a controller's status
  // still shows the old ones, and only the count of live pods tells that replacements are due.
  const rsOwner = new Map<string, string>();
  for (const o of items)
    if (o.kind === 'ReplicaSet') {
      const d = o.metadata.ownerReferences?.find((r) => r.kind === 'Deployment');
      if (d) rsOwner.set(`${o.metadata.namespace}/${o.metadata.name}`, `${o.metadata.namespace}/${d.name}`);
    }
  const live = new Map<string, number>();
  for (const p of pods) {
    const ref = p.metadata.ownerReferences?.[0];
    if (!ref) continue;
    const key =
      ref.kind === 'ReplicaSet'
        ? `Deployment/${rsOwner.get(`${p.metadata.namespace}/${ref.name}`)}`
        : `${ref.kind}/${p.metadata.namespace}/${ref.name}`;
    live.set(key, (live.get(key) ?? 0) + 1);
  }
  for (const o of items) {
    const where = `${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
    if (o.kind === 'Node' && condition(o, 'Ready') !== 'True') problems.push(`node ${where} is not Ready`);
    if (o.kind === 'DaemonSet') {
      const s = o.status ?? {};
      const desired = s.desiredNumberScheduled ?? 0;
      if ((s.observedGeneration ?? 0) < (o.metadata.generation ?? 0))
        problems.push(`daemonset ${where} has not seen its last change`);
      else if ((s.updatedNumberScheduled ?? 0) < desired) problems.push(`daemonset ${where} is rolling out`);
      else if ((live.get(`DaemonSet/${where}`) ?? 0) < desired)
        problems.push(`daemonset ${where} is short of pods`);
    }
    if (o.kind === 'Deployment') {
      const s = o.status ?? {};
      const want = o.spec?.replicas ?? 1;
      if ((s.observedGeneration ?? 0) < (o.metadata.generation ?? 0))
        problems.push(`deployment ${where} has not seen its last change`);
      else if ((s.updatedReplicas ?? 0) < want || (s.replicas ?? 0) > want)
        problems.push(`deployment ${where} is rolling out`);
      else if ((live.get(`Deployment/${where}`) ?? 0) < want)
        problems.push(`deployment ${where} is short of pods`);
    }
  }
  for (const p of pods) {
    const where = `${p.metadata.namespace}/${p.metadata.name}`;
    const phase = p.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    if (phase !== 'Running') problems.push(`pod ${where} is ${phase ?? 'Pending'}`);
    else if (ready && condition(p, 'Ready') !== 'True' && !failingReadiness(p, now))
      problems.push(`pod ${where} is not Ready`);
  }
  return problems.length ? problems.slice(0, 6).join('; ') : undefined;
}

export interface ExpectedDataplane {
  /** `ip:port` every node's kube-proxy must DNAT to. */
  targets: Set<string>;
  /** `ns/name` of Services with a ready endpoint (no REJECT for them)... */
  served: Set<string>;
  /** ...and of ClusterIP Services without one (a REJECT each). */
  unserved: Set<string>;
}

export function expectedDataplane(items: any[]): ExpectedDataplane {
  const services = new Map<string, any>();
  for (const o of items)
    if (o.kind === 'Service') services.set(`${o.metadata.namespace}/${o.metadata.name}`, o);
  const targets = new Set<string>();
  const served = new Set<string>();
  for (const o of items) {
    if (o.kind !== 'EndpointSlice' || o.addressType !== 'IPv4') continue;
    const key = `${o.metadata.namespace}/${o.metadata.labels?.['kubernetes.io/service-name'] ?? ''}`;
    const svc = services.get(key);
    const ip = svc?.spec?.clusterIP;
    if (!svc || !ip || ip === 'None' || svc.spec?.type === 'ExternalName') continue;
    const all = (o.endpoints ?? []).filter((e: any) => e.addresses?.[0]);
    const ready = all.filter((e: any) => e.conditions?.ready !== false);
    // With no ready endpoint, kube-proxy falls back to terminating ones that still serve.
    const used = ready.length
      ? ready
      : all.filter((e: any) => e.conditions?.serving && e.conditions?.terminating);
    for (const e of used)
      for (const p of o.ports ?? []) if (p.port) targets.add(`${e.addresses[0]}:${p.port}`);
    if (used.length) served.add(key);
  }
  const unserved = new Set<string>();
  for (const [key, svc] of services) {
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === 'None' || svc.spec?.type === 'ExternalName' || served.has(key)) continue;
    if ((svc.spec?.ports ?? []).some((p: any) => (p.protocol ?? 'TCP') === 'TCP')) unserved.add(key);
  }
  return { targets, served, unserved };
}

/** What a node's iptables-save lacks compared with the expected dataplane (undefined: nothing). */
export function dataplaneGap(save: string, want: ExpectedDataplane): string | undefined {
  const have = new Set([...save.matchAll(/--to-destination (\S+)/g)].map((m) => m[1]));
  const missing = [...want.targets].filter((t) => !have.has(t));
  if (missing.length) return `no DNAT to ${missing.slice(0, 3).join(', ')}`;
  const stale = [...have].filter((t) => !want.targets.has(t));
  if (stale.length) return `still DNATs to ${stale.slice(0, 3).join(', ')}`;
  const rejected = new Set(
    [...save.matchAll(/--comment "([^"/]+\/[^":]+)(?::[^"]*)? has no endpoints"/g)].map((m) => m[1]),
  );
  for (const r of rejected) if (want.served.has(r)) return `still rejects ${r}`;
  for (const u of want.unserved) if (!rejected.has(u)) return `does not reject ${u} yet`;
  return undefined;
}

/**
 * kube-proxy applies endpoint changes within its minimum sync period (1 s): after pods moved, wait
 * (a bounded while) until every node's rules match the EndpointSlices, so a check does not meet
 * the gap. A kube-proxy that never catches up is left for the checks to find.
 */
async function kubeProxyCaughtUp(lab: Lab, timeoutMs: number, interval: number): Promise<void> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    const r = await lab.kubectl(['get', 'services,endpointslices', '-A', '-o', 'json'], {
      timeoutMs: 15_000,
    });
    if (r.code !== 0) return;
    const want = expectedDataplane((JSON.parse(r.stdout) as { items: any[] }).items);
    const gaps = await Promise.all(
      lab.nodes().map(async (n) => {
        const save = await lab
          .exec({ node: n.name }, ['iptables-save'], { timeoutMs: 10_000 })
          .catch(() => undefined);
        return save && save.code === 0 ? dataplaneGap(save.stdout, want) : undefined;
      }),
    );
    if (gaps.every((g) => g === undefined)) return;
    await new Promise((res) => setTimeout(res, interval));
  }
}

export async function settle(lab: Lab, opts: SettleOptions = {}): Promise<void> {
  const ready = opts.ready ?? true;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const interval = opts.intervalMs ?? 150;
  const started = performance.now();
  let why = 'nothing listed yet';
  for (;;) {
    const r = await lab.kubectl(
      ['get', 'nodes,daemonsets,deployments,replicasets,pods', '-A', '-o', 'json'],
      {
        timeoutMs: 15_000,
      },
    );
    if (r.code === 0) {
      const items = (JSON.parse(r.stdout) as { items: Obj[] }).items;
      const problem = unsettled(items, ready);
      if (!problem) {
        // Only where kube-proxy runs (a lab without networking has none).
        const proxied = items.some(
          (o) => o.kind === 'Pod' && o.metadata.labels?.['k8s-app'] === 'kube-proxy',
        );
        if (proxied) await kubeProxyCaughtUp(lab, Math.min(10_000, timeoutMs), interval);
        return;
      }
      why = problem;
    } else why = r.stderr.trim() || `kubectl exited ${r.code}`;
    if (performance.now() - started > timeoutMs)
      throw new Error(`the lab did not settle within ${Math.round(timeoutMs / 1000)} s: ${why}`);
    await new Promise((res) => setTimeout(res, interval));
  }
}
