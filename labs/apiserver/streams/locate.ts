/**
 * What the apiserver checks before it proxies a log, exec or attach request to a kubelet
 * (pkg/registry/core/pod/strategy.go): the pod exists, the container is one of its containers (or
 * the only one), and the pod has a node. Errors carry the apiserver's wording.
 */
import { badRequest, statusError } from '../../kube/errors.ts';
import type { KObject } from '../../kube/object.ts';
import type { KubeletStreams, PodTarget, StreamDeps } from './types.ts';

type Obj = Record<string, any>;

export function getPod(deps: StreamDeps, target: PodTarget): KObject {
  return deps.core.store.get(deps.core.kind('', 'pods'), target.namespace, target.name);
}

function containerNames(pod: KObject): string[] {
  const spec: Obj = pod.spec ?? {};
  return [
    ...(spec.initContainers ?? []),
    ...(spec.containers ?? []),
    ...(spec.ephemeralContainers ?? []),
  ].map((c: Obj) => c.name);
}

/** validateContainer: the named container, or the only one, or a 400 listing the choices. */
export function resolveContainer(pod: KObject, requested: string | null | undefined): string {
  const name = pod.metadata.name;
  if (!requested) {
    const containers: Obj[] = pod.spec?.containers ?? [];
    if (containers.length === 1) return containers[0].name;
    if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    throw badRequest(
      `a container name must be specified for pod ${name}, choose one of: [${containerNames(pod).join(' ')}]`,
    );
  }
  if (!containerNames(pod).includes(requested))
    throw badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

/** The node's address the apiserver would dial (InternalIP), for connection errors. */
export function kubeletAddress(deps: StreamDeps, nodeName: string): string {
  const def = deps.core.kinds.byResource('', 'nodes');
  const node = def ? deps.core.store.tryGet(def, undefined, nodeName) : undefined;
  const addrs: Obj[] = node?.status?.addresses ?? [];
  return (addrs.find((a) => a.type === 'InternalIP') ?? addrs[0])?.address ?? nodeName;
}

/** The kubelet of a node, or the 500 the apiserver returns when it cannot reach it. */
export function kubeletOf(deps: StreamDeps, nodeName: string, url: (host: string) => string): KubeletStreams {
  const k = deps.kubeletFor(nodeName);
  if (k) return k;
  const host = `${kubeletAddress(deps, nodeName)}:10250`;
  throw statusError(500, '', `${url(host)}dial tcp ${host}: connect: connection refused`);
}
