/**
 * Static pods of the control-plane nodes, as the kubelet keeps them: the manifests live in the
 * node's /etc/kubernetes/manifests, and a mirror pod for each stands in the API. A deleted mirror
 * pod is created again while the node's kubelet runs (on a real node the static pod itself keeps
 * running; here its container restarts with the new mirror).
 */
import type { ControlPlane } from '../../controlplane/controlplane.ts';
import { ApiError } from '../../kube/errors.ts';
import type { ChangeHub } from './changes.ts';
import { mirrorPod, type StaticPod } from './manifests.ts';

export function createMirrorPods(cp: ControlPlane, nodeName: string, pods: StaticPod[]): void {
  const node = cp.store.tryGet(cp.kind('', 'nodes'), undefined, nodeName);
  if (!node?.metadata.uid) throw new Error(`node ${nodeName} is not registered`);
  const def = cp.kind('', 'pods');
  for (const sp of pods) {
    const pod = mirrorPod(sp, { name: nodeName, uid: node.metadata.uid }, new Date());
    if (cp.store.tryGet(def, pod.metadata.namespace, pod.metadata.name!)) continue;
    try {
      cp.store.create(def, pod);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
    }
  }
}

/** Re-create mirror pods that get deleted while `alive(node)` holds. Returns an unsubscribe. */
export function keepMirrorPods(
  cp: ControlPlane,
  hub: ChangeHub,
  staticPods: ReadonlyMap<string, StaticPod[]>,
  alive: (node: string) => boolean,
): () => void {
  return hub.on([{ group: '', resource: 'pods' }], (change) => {
    if (change.type !== 'DELETED') return;
    const pod = change.object;
    if (!pod.metadata.annotations?.['kubernetes.io/config.mirror']) return;
    const node = pod.spec?.nodeName as string | undefined;
    const pods = node ? staticPods.get(node) : undefined;
    if (!node || !pods) return;
    queueMicrotask(() => {
      if (!alive(node)) return;
      try {
        createMirrorPods(cp, node, pods);
      } catch {
        // The node went away meanwhile; its next start creates them.
      }
    });
  });
}
