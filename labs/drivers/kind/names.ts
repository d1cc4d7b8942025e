/**
 * Names and labels of what the kind driver makes, so that `down` and `gc` find all of it again.
 *
 * - cluster `svcl-<lab>` (cut to 40 characters with a hash of the full name: kind appends
 *   `-external-load-balancer` to it for container names and hostnames, which stop at 63);
 * - node containers as kind names them, counting per role in config order: `<cluster>-control-plane`,
 *   `<cluster>-control-plane2`, `<cluster>-worker`, `<cluster>-worker2`, ...;
 * - one Docker network per extra segment: `<cluster>-<segment>` (the cluster NIC is on kind's own
 *   network, `kind`);
 * - labels on every network: the lab, the cluster, the owner (pid:start of the daemon) and the driver.
 */
import { createHash } from 'node:crypto';
import type { NodeRole } from '../../topology/types.ts';

export const PREFIX = 'svcl-';

/** The Docker network kind attaches every node to (eth0 inside the node). */
export const KIND_NETWORK = 'kind';

export const LABELS = {
  driver: 'io.svc-labs.driver',
  lab: 'io.svc-labs.lab',
  cluster: 'io.svc-labs.cluster',
  /** `<pid>:<start>` of the owning process, or `none` for a plan pasted by hand. */
  owner: 'io.svc-labs.owner',
} as const;

const MAX_CLUSTER_NAME = 40;

export function clusterName(lab: string): string {
  const full = `${PREFIX}${lab}`;
  if (full.length <= MAX_CLUSTER_NAME) return full;
  const hash = createHash('sha256').update(lab).digest('hex').slice(0, 5);
  const head = full.slice(0, MAX_CLUSTER_NAME - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}

/** Container names of the nodes, in the order they are given. */
export function nodeContainers(cluster: string, roles: readonly NodeRole[]): string[] {
  const seen = new Map<NodeRole, number>();
  return roles.map((role) => {
    const n = (seen.get(role) ?? 0) + 1;
    seen.set(role, n);
    return `${cluster}-${role}${n === 1 ? '' : n}`;
  });
}

export function networkName(cluster: string, segment: string): string {
  return `${cluster}-${segment}`;
}

export function ownerLabel(owner: { pid: number; start: string } | undefined): string {
  return owner ? `${owner.pid}:${owner.start}` : 'none';
}

export function parseOwnerLabel(value: string | undefined): { pid: number; start: string } | undefined {
  const m = /^(\d+):(\d+)$/.exec(value ?? '');
  return m ? { pid: Number(m[1]), start: m[2] } : undefined;
}
