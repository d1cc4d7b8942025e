/**
 * Every kind a lab's API server serves, with its discovery facts and strategy. The control plane
 * registers `builtinKinds()` at start-up; CRDs add `kindForCustomResource(crd)` at run time.
 */
import { apiMachineryKinds } from './kinds/apimachinery.ts';
import { configMaps, secrets, serviceAccounts } from './kinds/config.ts';
import { controllerRevisions, leases } from './kinds/coordination.ts';
import { customResourceDefinitions } from './kinds/crd.ts';
import { endpoints } from './kinds/endpoints.ts';
import { endpointSlices } from './kinds/endpointslice.ts';
import { events } from './kinds/event.ts';
import { namespaces } from './kinds/namespace.ts';
import { networkingKinds } from './kinds/networking.ts';
import { nodes } from './kinds/node.ts';
import { pods } from './kinds/pod.ts';
import { policyKinds } from './kinds/policy.ts';
import { rbacKinds } from './kinds/rbac.ts';
import { services } from './kinds/service.ts';
import { csiKinds, persistentVolumeClaims, persistentVolumes, storageClasses } from './kinds/storage.ts';
import type { KindDefinition } from './strategy.ts';
import {
  daemonSets,
  deployments,
  replicaSets,
  replicationControllers,
  statefulSets,
} from './workloads/apps.ts';
import { cronJobs, jobs } from './workloads/batch.ts';

export { customResourceKind, kindForCustomResource } from './kinds/crd.ts';
export { podGracePeriod } from './kinds/pod.ts';
export { humanDuration } from './lib/duration.ts';

/** Fresh definitions each call: strategies are stateless, but callers may register them in several labs. */
export function builtinKinds(): KindDefinition[] {
  return [
    namespaces,
    nodes,
    pods,
    services,
    endpoints,
    configMaps,
    secrets,
    serviceAccounts,
    events,
    replicationControllers,
    persistentVolumes,
    persistentVolumeClaims,
    ...apiMachineryKinds,
    deployments,
    replicaSets,
    daemonSets,
    statefulSets,
    controllerRevisions,
    jobs,
    cronJobs,
    endpointSlices,
    leases,
    ...policyKinds,
    ...networkingKinds,
    ...rbacKinds,
    storageClasses,
    ...csiKinds,
    customResourceDefinitions,
  ].map((def) => ({
    info: {
      ...def.info,
      shortNames: [...def.info.shortNames],
      categories: [...def.info.categories],
      verbs: [...def.info.verbs],
      subresources: [...def.info.subresources],
    },
    strategy: def.strategy,
  }));
}
