/** Namespaces: the `kubernetes` finalizer, the metadata.name label, phase Active/Terminating. */
import type { KObject } from '../../kube/object.ts';
import { defineStrategy, specOf } from '../lib/base.ts';
import { info, NO_DELETECOLLECTION } from '../lib/info.ts';
import { nameIsDNSLabel } from '../lib/names.ts';
import { age, ageCol, col, nameCol } from '../lib/table.ts';
import type { KindDefinition } from '../strategy.ts';

/** Deletion in progress shows as Terminating, whichever component set the timestamp. */
export function namespacePhase(ns: KObject): string {
  if (ns.metadata.deletionTimestamp) return 'Terminating';
  return ns.status?.phase ?? '';
}

export const namespaces: KindDefinition = {
  info: info({
    resource: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    verbs: NO_DELETECOLLECTION,
    subresources: ['finalize', 'status'],
  }),
  strategy: defineStrategy({
    name: nameIsDNSLabel,
    defaults(ns) {
      // SetDefaults_Namespace: the label always mirrors the name, even if a client removes it.
      ns.metadata.labels = {
        ...(ns.metadata.labels ?? {}),
        'kubernetes.io/metadata.name': ns.metadata.name ?? '',
      };
    },
    prepareForCreate(ns) {
      const spec = specOf(ns);
      const finalizers: string[] = Array.isArray(spec.finalizers) ? spec.finalizers : [];
      if (!finalizers.includes('kubernetes')) spec.finalizers = [...finalizers, 'kubernetes'];
      ns.status = { phase: 'Active' };
    },
    prepareForUpdate(ns, old) {
      ns.spec = old.spec;
      ns.status = old.status;
      if (ns.spec === undefined) delete ns.spec;
    },
    // A namespace stays (Terminating) until the namespace controller has emptied it and cleared
    // spec.finalizers through the finalize subresource.
    deletionBlocked: (ns) => (ns.spec?.finalizers?.length ?? 0) > 0,
    selectableFields: (ns) => ({ 'status.phase': namespacePhase(ns), name: ns.metadata.name ?? '' }),
    table: {
      columns: [nameCol(), col('Status', 'string', 'The status of the namespace'), ageCol()],
      cells: (ns, ctx) => [ns.metadata.name, namespacePhase(ns), age(ns, ctx)],
    },
  }),
};
