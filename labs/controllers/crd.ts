/**
 * CustomResourceDefinition establishment, as the apiextensions-apiserver does it: a new CRD's
 * served versions become kinds the API serves (discovery follows the KindRegistry), its status
 * says NamesAccepted and Established, and a deleted CRD takes its custom resources with it.
 */
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { ApiError } from '../kube/errors.ts';
import type { KObject } from '../kube/object.ts';
import type { KindDefinition } from '../registry/strategy.ts';
import { READ_WRITE_VERBS } from '../store/resource-info.ts';
import { type Change, type Controller, isKind, kindOf, type WorkQueue } from './framework.ts';
import { type Condition, sameJson, setCondition, stamp } from './util.ts';

export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

/** Builds the KindDefinition for one served version of a CRD. */
export type CustomKindFactory = (crd: KObject, version: any) => KindDefinition;

/** A plain generic kind for a CRD version: status and scale subresources, no table beyond NAME/AGE. */
export function basicCustomResourceKind(crd: KObject, version: any): KindDefinition {
  const names = crd.spec?.names ?? {};
  const subresources: string[] = [];
  const sub = version?.subresources ?? crd.spec?.subresources ?? {};
  if (sub.status) subresources.push('status');
  if (sub.scale) subresources.push('scale');
  const hasStatus = !!sub.status;
  return {
    info: {
      group: crd.spec?.group,
      version: version.name,
      resource: names.plural,
      singular: names.singular || String(names.kind).toLowerCase(),
      kind: names.kind,
      listKind: names.listKind || `${names.kind}List`,
      namespaced: (crd.spec?.scope ?? 'Namespaced') === 'Namespaced',
      shortNames: names.shortNames ?? [],
      categories: names.categories ?? [],
      verbs: [...READ_WRITE_VERBS],
      subresources,
    },
    strategy: {
      tracksGeneration: true,
      prepareForCreate(obj) {
        if (hasStatus) delete obj.status;
      },
      prepareForUpdate(obj, old) {
        if (!hasStatus) return;
        if (old.status === undefined) delete obj.status;
        else obj.status = JSON.parse(JSON.stringify(old.status));
      },
    },
  };
}

export class CrdController implements Controller {
  readonly name = 'apiextensions-controller';
  private readonly cp: ControlPlaneCore;
  private readonly factory: CustomKindFactory;
  /** CRD name -> the group/resource and versions it registered */
  private readonly registered = new Map<string, { group: string; resource: string; fingerprint: string }>();

  constructor(cp: ControlPlaneCore, factory: CustomKindFactory = basicCustomResourceKind) {
    this.cp = cp;
    this.factory = factory;
  }

  private get crdDef() {
    return kindOf(this.cp, 'apiextensions.k8s.io', 'customresourcedefinitions');
  }

  resyncKeys(): Iterable<string> {
    const def = this.crdDef;
    return def ? [...this.cp.store.peek(def)].map((c) => c.metadata.name!) : [];
  }

  onChange(change: Change, queue: WorkQueue): void {
    if (isKind(change.def, 'apiextensions.k8s.io', 'customresourcedefinitions'))
      queue.add(change.object.metadata.name!);
  }

  reconcile(name: string): void {
    const def = this.crdDef;
    if (!def) return;
    const crd = this.cp.store.tryGet(def, undefined, name);
    if (!crd) {
      const reg = this.registered.get(name);
      if (reg) {
        this.deleteInstances(reg.group, reg.resource);
        this.cp.kinds.unregister(reg.group, reg.resource);
        this.registered.delete(name);
      }
      return;
    }
    if (crd.metadata.deletionTimestamp) {
      this.terminate(crd);
      return;
    }
    this.register(crd);
    this.writeStatus(crd);
  }

  private register(crd: KObject): void {
    const name = crd.metadata.name!;
    const group: string = crd.spec?.group;
    const resource: string = crd.spec?.names?.plural;
    const served = (crd.spec?.versions ?? []).filter((v: any) => v.served !== false);
    const fingerprint = JSON.stringify([
      crd.spec?.names,
      crd.spec?.scope,
      served.map((v: any) => [v.name, v.subresources, v.additionalPrinterColumns, v.schema]),
    ]);
    const prior = this.registered.get(name);
    if (prior?.fingerprint === fingerprint) return;
    if (prior) this.cp.kinds.unregister(prior.group, prior.resource);
    // Another CRD (or a built-in) already serves these names: leave it, NamesAccepted says why.
    if (!prior && this.cp.kinds.byResource(group, resource)) return;
    for (const v of served) this.cp.kinds.register(this.factory(crd, v));
    this.registered.set(name, { group, resource, fingerprint });
  }

  private writeStatus(crd: KObject): void {
    const names = crd.spec?.names ?? {};
    const ours = this.registered.get(crd.metadata.name!);
    const now = stamp(this.cp.ctx.now());
    const status = JSON.parse(JSON.stringify(crd.status ?? {}));
    const cond = (type: string, s: Condition['status'], reason: string, message: string): Condition => ({
      type,
      status: s,
      lastTransitionTime: now,
      reason,
      message,
    });
    if (ours) {
      setCondition(status, cond('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found'));
      setCondition(
        status,
        cond('Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted'),
      );
      status.acceptedNames = {
        plural: names.plural,
        singular: names.singular || String(names.kind).toLowerCase(),
        ...(names.shortNames ? { shortNames: names.shortNames } : {}),
        kind: names.kind,
        listKind: names.listKind || `${names.kind}List`,
        ...(names.categories ? { categories: names.categories } : {}),
      };
    } else {
      setCondition(
        status,
        cond('NamesAccepted', 'False', 'PluralConflict', `"${names.plural}" is already in use`),
      );
      setCondition(status, cond('Established', 'False', 'NotAccepted', 'not all names are accepted'));
      status.acceptedNames ??= { plural: '', kind: '' };
    }
    const storage = (crd.spec?.versions ?? []).find((v: any) => v.storage)?.name;
    const stored = new Set<string>(status.storedVersions ?? []);
    if (storage) stored.add(storage);
    status.storedVersions = [...stored];
    if (sameJson(status, crd.status ?? {})) return;
    this.cp.store.mutate(
      this.crdDef!,
      undefined,
      crd.metadata.name!,
      (o) => {
        o.status = status;
      },
      { subresource: 'status' },
    );
  }

  /** CRD being deleted: remove every instance, then let the delete complete. */
  private terminate(crd: KObject): void {
    const group: string = crd.spec?.group;
    const resource: string = crd.spec?.names?.plural;
    const remaining = this.deleteInstances(group, resource);
    const status = JSON.parse(JSON.stringify(crd.status ?? {}));
    setCondition(status, {
      type: 'Terminating',
      status: 'True',
      lastTransitionTime: stamp(this.cp.ctx.now()),
      reason: remaining ? 'InstanceDeletionInProgress' : 'InstanceDeletionCompleted',
      message: remaining ? 'CustomResource deletion is in progress' : 'removed all instances',
    });
    try {
      if (!sameJson(status, crd.status ?? {})) {
        this.cp.store.mutate(
          this.crdDef!,
          undefined,
          crd.metadata.name!,
          (o) => {
            o.status = status;
          },
          { subresource: 'status' },
        );
      }
      if (!remaining && (crd.metadata.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)) {
        this.cp.store.mutate(this.crdDef!, undefined, crd.metadata.name!, (o) => {
          const next = (o.metadata.finalizers ?? []).filter((f) => f !== CRD_CLEANUP_FINALIZER);
          if (next.length) o.metadata.finalizers = next;
          else delete o.metadata.finalizers;
        });
      }
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
    }
  }

  private deleteInstances(group: string, resource: string): number {
    const def = this.cp.kinds.byResource(group, resource);
    if (!def) return 0;
    for (const obj of [...this.cp.store.peek(def)]) {
      if (obj.metadata.deletionTimestamp) continue;
      try {
        this.cp.store.delete(def, obj.metadata.namespace, obj.metadata.name!);
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
      }
    }
    return [...this.cp.store.peek(def)].length;
  }
}
