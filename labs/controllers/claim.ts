/**
 * ControllerRefManager: a controller owns the objects that match its selector and carry its
 * controller reference. It adopts matching orphans and releases owned objects that stopped matching,
 * as the real controllers do, so relabelling a pod takes it out of its ReplicaSet.
 */

import { controllerRef, type KObject, ownerReferenceTo } from '../kube/object.ts';
import { matchesSelector, type Selector } from '../kube/selectors.ts';
import type { KindDefinition } from '../registry/strategy.ts';
import type { ObjectStore } from '../store/store.ts';

export function claim(
  store: ObjectStore,
  def: KindDefinition,
  owner: KObject,
  selector: Selector,
  candidates: KObject[],
): KObject[] {
  const owned: KObject[] = [];
  const ownerDeleting = !!owner.metadata.deletionTimestamp;
  for (const c of candidates) {
    const ref = controllerRef(c);
    const matches = selector.length > 0 && matchesSelector(selector, c.metadata.labels);
    if (ref) {
      if (ref.uid !== owner.metadata.uid) continue;
      if (matches || ownerDeleting) {
        owned.push(c);
        continue;
      }
      // Owned but no longer selected: let go of it (a relabelled pod leaves its ReplicaSet).
      try {
        store.mutate(def, c.metadata.namespace, c.metadata.name!, (o) => {
          o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter(
            (r) => r.uid !== owner.metadata.uid,
          );
          if (!o.metadata.ownerReferences.length) delete o.metadata.ownerReferences;
        });
      } catch {
        /* gone meanwhile */
      }
      continue;
    }
    if (!matches || ownerDeleting || c.metadata.deletionTimestamp) continue;
    try {
      const adopted = store.mutate(def, c.metadata.namespace, c.metadata.name!, (o) => {
        if (controllerRef(o)) return;
        o.metadata.ownerReferences = [...(o.metadata.ownerReferences ?? []), ownerReferenceTo(owner)];
      });
      if (controllerRef(adopted)?.uid === owner.metadata.uid) owned.push(adopted);
    } catch {
      /* gone meanwhile */
    }
  }
  return owned;
}
