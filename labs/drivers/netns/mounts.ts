/**
 * What a container of a system pod would find in its ConfigMap volumes: the agents read their
 * configuration (net-conf.json, config.conf, Corefile) through the pod's own volumeMounts, so an
 * edited ConfigMap, or a DaemonSet pointing at another one, reaches the agent the way it reaches
 * the real component - at its next start.
 */
import type { ControlPlane } from '../../controlplane/controlplane.ts';
import type { KObject } from '../../kube/object.ts';

type Obj = Record<string, any>;

export interface PodIdentity {
  namespace: string;
  name: string;
  uid: string;
}

/** The pod object a sandbox belongs to (undefined once it is gone or replaced). */
export function podOf(cp: ControlPlane, id: PodIdentity): KObject | undefined {
  const pod = cp.store.tryGet(cp.kind('', 'pods'), id.namespace, id.name);
  return pod && pod.metadata.uid === id.uid ? pod : undefined;
}

export type MountedFile = { text: string } | { error: string };

/**
 * The content of `path` inside `container` of `pod`, when a configMap volume is mounted over it,
 * or the error the program would see (cp's and Go's wording differ; callers phrase it).
 */
export function readMountedFile(
  cp: ControlPlane,
  pod: KObject,
  container: string,
  path: string,
): MountedFile {
  const spec: Obj = pod.spec ?? {};
  const c: Obj | undefined = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].find(
    (x: Obj) => x?.name === container,
  );
  const mounts: Obj[] = (c?.volumeMounts ?? [])
    .map((m: Obj) => ({ ...m, mountPath: String(m.mountPath ?? '').replace(/\/+$/, '') }))
    .filter((m: Obj) => path === m.mountPath || path.startsWith(`${m.mountPath}/`))
    .sort((a: Obj, b: Obj) => b.mountPath.length - a.mountPath.length);
  const mount = mounts[0];
  if (!mount) return { error: 'no such file or directory' };
  const volume: Obj | undefined = (spec.volumes ?? []).find((v: Obj) => v?.name === mount.name);
  const source = volume?.configMap;
  if (!source) return { error: 'no such file or directory' };
  const rel = path.slice(mount.mountPath.length + 1);
  const file = mount.subPath ? `${mount.subPath}/${rel}`.replace(/\/$/, '') : rel;
  const items: Obj[] | undefined = source.items;
  const key = items ? items.find((i) => i.path === file)?.key : file;
  const cm = cp.store.tryGet(cp.kind('', 'configmaps'), pod.metadata.namespace, source.name);
  if (!cm) return { error: `configmap "${source.name}" not found` };
  const text = key !== undefined ? cm.data?.[key] : undefined;
  if (typeof text !== 'string') return { error: 'no such file or directory' };
  return { text };
}
