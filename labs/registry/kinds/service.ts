/** Services: defaults, ClusterIP/NodePort allocation and release, validation, the `get svc` table. */
import type { KObject } from '../../kube/object.ts';
import { defineStrategy } from '../lib/base.ts';
import { info } from '../lib/info.ts';
import { nameIsDNS1035Label } from '../lib/names.ts';
import { allocate, heldBy, release, releaseDropped } from '../services/allocation.ts';
import {
  defaultService,
  dropTypeDependentFields,
  initIPFamilyFields,
  normalizeClusterIPs,
  patchAllocatedValues,
} from '../services/fields.ts';
import { serviceTable } from '../services/printer.ts';
import { validateService, validateServiceUpdate } from '../services/validation.ts';
import type { KindDefinition, Strategy } from '../strategy.ts';

const base: Strategy = defineStrategy({
  name: nameIsDNS1035Label,
  defaults: defaultService,
  validate: validateService,
  validateUpdate: validateServiceUpdate,
  selectableFields: (svc: KObject) => ({
    'spec.clusterIP': svc.spec?.clusterIP ?? '',
    'spec.type': svc.spec?.type ?? '',
  }),
  table: serviceTable,
});

export const serviceStrategy: Strategy = {
  ...base,
  prepareForCreate(svc, ctx) {
    base.prepareForCreate!(svc, ctx);
    svc.status = { loadBalancer: {} };
    normalizeClusterIPs(svc);
    initIPFamilyFields(svc);
    allocate(svc, { clusterIPs: [], nodePorts: [] }, ctx);
  },
  prepareForUpdate(svc, old, ctx) {
    base.prepareForUpdate!(svc, old, ctx);
    svc.status = old.status ?? { loadBalancer: {} };
    dropTypeDependentFields(svc, old);
    patchAllocatedValues(svc, old);
    normalizeClusterIPs(svc, old);
    initIPFamilyFields(svc, old);
    // The store has no rollback for updates: only touch the allocators for an update that will be stored.
    const errors = [...(base.validate!(svc, ctx) ?? []), ...(base.validateUpdate!(svc, old, ctx) ?? [])];
    if (errors.length) return;
    const before = heldBy(old);
    allocate(svc, before, ctx);
    releaseDropped(before, heldBy(svc), ctx);
  },
  afterDelete(svc, ctx) {
    release(heldBy(svc), ctx);
  },
};

export const services: KindDefinition = {
  info: info({
    resource: 'services',
    kind: 'Service',
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['proxy', 'status'],
  }),
  strategy: serviceStrategy,
};
