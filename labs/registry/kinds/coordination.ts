/** Leases (coordination.k8s.io/v1) and ControllerRevisions (apps/v1). */
import type { FieldError } from '../../kube/errors.ts';
import { controllerRef } from '../../kube/object.ts';
import { defineStrategy } from '../lib/base.ts';
import { IS_NEGATIVE, immutable, invalid, nonNegative } from '../lib/field.ts';
import { info } from '../lib/info.ts';
import { age, ageCol, col, nameCol } from '../lib/table.ts';
import type { KindDefinition } from '../strategy.ts';

export const leases: KindDefinition = {
  info: info({ group: 'coordination.k8s.io', resource: 'leases', kind: 'Lease' }),
  strategy: defineStrategy({
    validate(lease) {
      const spec = lease.spec ?? {};
      const errs: FieldError[] = [];
      if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0) {
        errs.push(invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
      }
      errs.push(...nonNegative('spec.leaseTransitions', spec.leaseTransitions));
      return errs;
    },
    table: {
      columns: [
        nameCol(),
        col('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'),
        ageCol(),
      ],
      cells: (lease, ctx) => [lease.metadata.name, lease.spec?.holderIdentity ?? '', age(lease, ctx)],
    },
  }),
};

export const controllerRevisions: KindDefinition = {
  info: info({ group: 'apps', resource: 'controllerrevisions', kind: 'ControllerRevision' }),
  strategy: defineStrategy({
    validate: (cr) =>
      typeof cr.revision === 'number' && cr.revision < 0
        ? [invalid('revision', cr.revision, IS_NEGATIVE)]
        : [],
    validateUpdate: (cr, old) => immutable('data', cr.data, old.data),
    table: {
      columns: [
        nameCol(),
        col('Controller', 'string', 'Controller of the object'),
        col('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'),
        ageCol(),
      ],
      cells: (cr, ctx) => {
        const ref = controllerRef(cr);
        let controller = '<none>';
        if (ref) {
          const slash = ref.apiVersion.indexOf('/');
          const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
          controller = `${(group ? `${ref.kind}.${group}` : ref.kind).toLowerCase()}/${ref.name}`;
        }
        return [cr.metadata.name, controller, cr.revision ?? 0, age(cr, ctx)];
      },
    },
  }),
};
