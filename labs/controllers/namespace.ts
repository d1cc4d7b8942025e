/**
 * Namespace lifecycle: the built-in namespaces exist from the start; a namespace being deleted
 * turns Terminating, reports its progress in status conditions as the namespace controller does,
 * has all its content deleted, and loses its `kubernetes` finalizer once nothing is left, which is
 * when `kubectl delete ns` returns.
 */
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { ApiError } from '../kube/errors.ts';
import type { KObject } from '../kube/object.ts';
import { type Change, type Controller, isKind, kindOf, type WorkQueue } from './framework.ts';
import { type Condition, sameJson, stamp } from './util.ts';

export const BUILTIN_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];
export const NAMESPACE_FINALIZER = 'kubernetes';
/** How soon to look again while graceful pod deletions are still running. */
const RECHECK_MS = 2000;

export function ensureBuiltinNamespaces(cp: ControlPlaneCore): void {
  const def = kindOf(cp, '', 'namespaces');
  if (!def) return;
  for (const name of BUILTIN_NAMESPACES) {
    if (cp.store.tryGet(def, undefined, name)) continue;
    try {
      cp.store.create(def, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
        spec: { finalizers: [NAMESPACE_FINALIZER] },
        status: { phase: 'Active' },
      });
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
    }
  }
}

export class NamespaceController implements Controller {
  readonly name = 'namespace-controller';
  private readonly cp: ControlPlaneCore;

  constructor(cp: ControlPlaneCore) {
    this.cp = cp;
  }

  private get nsDef() {
    return kindOf(this.cp, '', 'namespaces');
  }

  resyncKeys(): Iterable<string> {
    const def = this.nsDef;
    if (!def) return [];
    const out: string[] = [];
    for (const ns of this.cp.store.peek(def)) if (ns.metadata.deletionTimestamp) out.push(ns.metadata.name!);
    return out;
  }

  onChange(change: Change, queue: WorkQueue): void {
    const { def, object, type } = change;
    if (isKind(def, '', 'namespaces')) {
      if (object.metadata.deletionTimestamp || type === 'DELETED') queue.add(object.metadata.name!);
      return;
    }
    // Content leaving a terminating namespace may be the last piece it waits for.
    if (
      def.info.namespaced &&
      (type === 'DELETED' || object.metadata.deletionTimestamp) &&
      object.metadata.namespace
    ) {
      const nsDef = this.nsDef;
      const ns = nsDef && this.cp.store.peek(nsDef);
      if (!ns) return;
      const owner = this.cp.store.tryGet(nsDef, undefined, object.metadata.namespace);
      if (!owner || owner.metadata.deletionTimestamp) queue.add(object.metadata.namespace);
    }
  }

  reconcile(name: string, queue: WorkQueue): void {
    const nsDef = this.nsDef;
    if (!nsDef) return;
    const ns = this.cp.store.tryGet(nsDef, undefined, name);
    if (ns && !ns.metadata.deletionTimestamp) return;
    // Deleted outright (no finalizer held it): its content must still go.
    const remaining = this.deleteContent(name);
    if (!ns) return;
    this.writeStatus(ns, remaining);
    if (remaining.total === 0) {
      this.finalize(ns);
      return;
    }
    queue.addAfter(name, RECHECK_MS);
  }

  /** Delete every namespaced object; report what is still there (by resource) and pending finalizers. */
  private deleteContent(namespace: string): {
    total: number;
    byResource: Map<string, number>;
    finalizers: Map<string, number>;
  } {
    const byResource = new Map<string, number>();
    const finalizers = new Map<string, number>();
    let total = 0;
    for (const def of this.cp.kinds.all()) {
      if (!def.info.namespaced) continue;
      const inNs = [...this.cp.store.peek(def)].filter((o) => o.metadata.namespace === namespace);
      for (const obj of inNs) {
        if (!obj.metadata.deletionTimestamp) {
          try {
            this.cp.store.delete(def, namespace, obj.metadata.name!, {
              preconditions: { uid: obj.metadata.uid },
            });
          } catch (e) {
            if (!(e instanceof ApiError && (e.reason === 'NotFound' || e.reason === 'Conflict'))) throw e;
          }
        }
      }
      const left = [...this.cp.store.peek(def)].filter((o) => o.metadata.namespace === namespace);
      if (left.length) {
        const resource = def.info.group ? `${def.info.resource}.${def.info.group}` : `${def.info.resource}.`;
        byResource.set(resource, (byResource.get(resource) ?? 0) + left.length);
        total += left.length;
        for (const o of left)
          for (const f of o.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
      }
    }
    return { total, byResource, finalizers };
  }

  private writeStatus(
    ns: KObject,
    remaining: { byResource: Map<string, number>; finalizers: Map<string, number> },
  ): void {
    const now = stamp(this.cp.ctx.now());
    const cond = (type: string, status: Condition['status'], reason: string, message: string): Condition => {
      const prev = (ns.status?.conditions ?? []).find((c: Condition) => c.type === type);
      return {
        type,
        status,
        lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : now,
        reason,
        message,
      };
    };
    const resources = [...remaining.byResource].sort(([a], [b]) => a.localeCompare(b));
    const fins = [...remaining.finalizers].sort(([a], [b]) => a.localeCompare(b));
    const conditions: Condition[] = [
      cond(
        'NamespaceDeletionDiscoveryFailure',
        'False',
        'ResourcesDiscovered',
        'All resources successfully discovered',
      ),
      cond(
        'NamespaceDeletionGroupVersionParsingFailure',
        'False',
        'ParsedGroupVersions',
        'All legacy kube types successfully parsed',
      ),
      cond(
        'NamespaceDeletionContentFailure',
        'False',
        'ContentDeleted',
        'All content successfully deleted, may be waiting on finalization',
      ),
      resources.length
        ? cond(
            'NamespaceContentRemaining',
            'True',
            'SomeResourcesRemain',
            `Some resources are remaining: ${resources.map(([r, n]) => `${r} has ${n} resource instances`).join(', ')}`,
          )
        : cond('NamespaceContentRemaining', 'False', 'ContentRemoved', 'All content successfully removed'),
      fins.length
        ? cond(
            'NamespaceFinalizersRemaining',
            'True',
            'SomeFinalizersRemain',
            `Some content in the namespace has finalizers remaining: ${fins.map(([f, n]) => `${f} in ${n} resource instances`).join(', ')}`,
          )
        : cond(
            'NamespaceFinalizersRemaining',
            'False',
            'ContentHasNoFinalizers',
            'All content-preserving finalizers finished',
          ),
    ];
    const status = { ...(ns.status ?? {}), phase: 'Terminating', conditions };
    if (sameJson(status, ns.status ?? {})) return;
    try {
      this.cp.store.mutate(
        this.nsDef!,
        undefined,
        ns.metadata.name!,
        (o) => {
          o.status = status;
        },
        { subresource: 'status' },
      );
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
    }
  }

  /** The namespace's `finalize` step: drop the `kubernetes` finalizer so the delete completes. */
  private finalize(ns: KObject): void {
    try {
      // spec.finalizers only change through the finalize subresource, as on the apiserver.
      this.cp.store.mutate(
        this.nsDef!,
        undefined,
        ns.metadata.name!,
        (o) => {
          o.spec = {
            ...(o.spec ?? {}),
            finalizers: (o.spec?.finalizers ?? []).filter((f: string) => f !== NAMESPACE_FINALIZER),
          };
        },
        { subresource: 'finalize' },
      );
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
    }
  }
}
