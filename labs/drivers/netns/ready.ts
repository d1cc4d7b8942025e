/**
 * Waiting for the cluster to reach a state, checked on every store change (and on a short timer,
 * for state outside the store such as agents), with a message naming what is still missing when
 * the time runs out.
 */
import type { ControlPlane } from '../../controlplane/controlplane.ts';
import type { KObject } from '../../kube/object.ts';
import type { ChangeHub } from './changes.ts';

type Obj = Record<string, any>;

/** A check returns undefined when satisfied, or a short description of what is missing. */
export type Check = () => string | undefined;

export function waitUntil(
  hub: ChangeHub,
  check: Check,
  opts: { what: string; timeoutMs: number; signal?: AbortSignal; pollMs?: number },
): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    let queued = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      unsubscribe();
      clearInterval(poll);
      clearTimeout(deadline);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const evaluate = () => {
      queued = false;
      if (done) return;
      let missing: string | undefined;
      try {
        missing = check();
      } catch (e) {
        finish(e as Error);
        return;
      }
      if (missing === undefined) finish();
    };
    const unsubscribe = hub.on(undefined, () => {
      if (queued) return;
      queued = true;
      queueMicrotask(evaluate);
    });
    const poll = setInterval(evaluate, opts.pollMs ?? 20);
    const deadline = setTimeout(() => {
      let missing: string | undefined;
      try {
        missing = check();
      } catch (e) {
        missing = (e as Error).message;
      }
      if (missing === undefined) finish();
      else finish(new Error(`${opts.what}: not reached after ${opts.timeoutMs} ms (${missing})`));
    }, opts.timeoutMs);
    const onAbort = () =>
      finish(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    evaluate();
  });
}

function condition(obj: KObject | undefined, type: string): string | undefined {
  return (obj?.status?.conditions as Obj[] | undefined)?.find((c) => c.type === type)?.status;
}

/** The stored object (not a copy: read only) of a kind by namespace and name. */
function peekObject(
  cp: ControlPlane,
  def: ReturnType<ControlPlane['kind']>,
  namespace: string | undefined,
  name: string,
) {
  for (const o of cp.store.peek(def))
    if (o.metadata.name === name && o.metadata.namespace === namespace) return o;
  return undefined;
}

export function nodesReady(cp: ControlPlane, names: string[]): Check {
  const def = cp.kind('', 'nodes');
  return () => {
    const notReady = names.filter((n) => condition(peekObject(cp, def, undefined, n), 'Ready') !== 'True');
    return notReady.length ? `nodes not Ready: ${notReady.join(', ')}` : undefined;
  };
}

/** Whether a pod runs with every container ready. */
export function podReady(pod: KObject): boolean {
  return (
    pod.status?.phase === 'Running' && condition(pod, 'Ready') === 'True' && !pod.metadata.deletionTimestamp
  );
}

/** Every listed Deployment has all its replicas updated and available. */
export function deploymentsAvailable(cp: ControlPlane, namespace: string, names: string[]): Check {
  const def = cp.kind('apps', 'deployments');
  return () => {
    const pending = names.filter((n) => {
      const d = peekObject(cp, def, namespace, n);
      if (!d) return true;
      const want = d.spec?.replicas ?? 1;
      const s = d.status ?? {};
      return (
        (s.observedGeneration ?? 0) < (d.metadata.generation ?? 1) ||
        (s.updatedReplicas ?? 0) < want ||
        (s.availableReplicas ?? 0) < want ||
        (s.replicas ?? 0) > want
      );
    });
    return pending.length
      ? `deployments not available: ${pending.map((p) => `${namespace}/${p}`).join(', ')}`
      : undefined;
  };
}

/** Pods of a DaemonSet (by label) ready on every named node. */
export function daemonPodsReady(
  cp: ControlPlane,
  namespace: string,
  labels: Record<string, string>,
  nodes: string[],
): Check {
  const def = cp.kind('', 'pods');
  return () => {
    const ready = new Set<string>();
    for (const p of cp.store.peek(def)) {
      if (p.metadata.namespace !== namespace) continue;
      if (!Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v)) continue;
      if (podReady(p) && p.spec?.nodeName) ready.add(p.spec.nodeName);
    }
    const missing = nodes.filter((n) => !ready.has(n));
    const sel = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    return missing.length ? `${namespace} pods ${sel} not ready on ${missing.join(', ')}` : undefined;
  };
}

/** Every check in order; the first unmet one is reported. */
export function all(...checks: Check[]): Check {
  return () => {
    for (const c of checks) {
      const missing = c();
      if (missing !== undefined) return missing;
    }
    return undefined;
  };
}
