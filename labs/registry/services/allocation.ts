/**
 * ClusterIPs and NodePorts of a Service, taken from the lab's allocators. What a Service holds is a
 * pure function of its spec (`heldBy`), so creation, type changes, failed validation and deletion
 * can all work out what to take or give back without remembering anything.
 */
import { internalError, invalid as invalidStatus } from '../../kube/errors.ts';
import { formatCidr, parseCidr } from '../../kube/ipnet.ts';
import type { KObject } from '../../kube/object.ts';
import { invalid } from '../lib/field.ts';
import { isSloppyIPv4 } from '../lib/names.ts';
import type { ClusterContext } from '../strategy.ts';
import { needsClusterIP, needsHealthCheckNodePort, needsNodePort, ports } from './fields.ts';

export interface Held {
  clusterIPs: string[];
  nodePorts: number[];
}

export function heldBy(svc: KObject): Held {
  const spec = svc.spec ?? {};
  const clusterIPs =
    needsClusterIP(svc) && isSloppyIPv4(spec.clusterIP ?? '') ? [spec.clusterIP as string] : [];
  const nodePorts = new Set<number>();
  if (needsNodePort(svc))
    for (const p of ports(svc)) if (Number.isInteger(p.nodePort) && p.nodePort > 0) nodePorts.add(p.nodePort);
  if (
    needsHealthCheckNodePort(svc) &&
    Number.isInteger(spec.healthCheckNodePort) &&
    spec.healthCheckNodePort > 0
  ) {
    nodePorts.add(spec.healthCheckNodePort);
  }
  return { clusterIPs, nodePorts: [...nodePorts] };
}

export function release(held: Held, ctx: ClusterContext): void {
  for (const ip of held.clusterIPs) ctx.allocators.clusterIP.release(ip);
  for (const port of held.nodePorts) ctx.allocators.nodePort.release(port);
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Take what `svc` needs beyond `already` (what its previous version held). Fills in automatic
 * values. On failure gives back what this call took and throws the apiserver's 422.
 */
export function allocate(svc: KObject, already: Held, ctx: ClusterContext): void {
  const spec = svc.spec;
  const name = svc.metadata.name ?? '';
  const takenIPs: string[] = [];
  const takenPorts: number[] = [];
  const fail = (field: string, value: unknown, detail: string): never => {
    release({ clusterIPs: takenIPs, nodePorts: takenPorts }, ctx);
    throw invalidStatus('Service', '', name, [invalid(field, value, detail)]);
  };
  const { clusterIP: ipAlloc, nodePort: portAlloc } = ctx.allocators;

  if (needsClusterIP(svc) && spec.clusterIP !== 'None') {
    if (!spec.clusterIP) {
      let ip: string;
      try {
        ip = ipAlloc.allocateNext();
      } catch (e) {
        throw internalError(`failed to allocate a serviceIP: ${message(e)}`);
      }
      takenIPs.push(ip);
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
    } else if (isSloppyIPv4(spec.clusterIP) && !already.clusterIPs.includes(spec.clusterIP)) {
      const ip: string = spec.clusterIP;
      const cidr = formatCidr(parseCidr(ctx.serviceCIDR));
      if (!ipAlloc.contains(ip)) {
        fail(
          'spec.clusterIPs',
          spec.clusterIPs ?? [ip],
          `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${cidr}`,
        );
      }
      try {
        ipAlloc.allocate(ip);
      } catch (e) {
        fail('spec.clusterIPs', spec.clusterIPs ?? [ip], `failed to allocate IP ${ip}: ${message(e)}`);
      }
      takenIPs.push(ip);
    }
  }

  if (needsNodePort(svc)) {
    const list = ports(svc);
    const mine = new Set(already.nodePorts);
    const byServicePort = new Map<number, number>();
    list.forEach((p, i) => {
      if (!p.nodePort) return;
      if (!mine.has(p.nodePort)) {
        try {
          portAlloc.allocate(p.nodePort);
        } catch (e) {
          fail(`spec.ports[${i}].nodePort`, p.nodePort, message(e));
        }
        takenPorts.push(p.nodePort);
        mine.add(p.nodePort);
      }
      byServicePort.set(p.port, p.nodePort);
    });
    for (const p of list) {
      if (p.nodePort) continue;
      // The same port number over TCP and UDP shares one node port.
      let np = byServicePort.get(p.port);
      if (!np) {
        try {
          np = portAlloc.allocateNext();
        } catch (e) {
          release({ clusterIPs: takenIPs, nodePorts: takenPorts }, ctx);
          throw internalError(`failed to allocate a nodePort: ${message(e)}`);
        }
        takenPorts.push(np);
        byServicePort.set(p.port, np);
      }
      p.nodePort = np;
    }
  }

  if (needsHealthCheckNodePort(svc)) {
    const hc = spec.healthCheckNodePort;
    if (!hc) {
      try {
        spec.healthCheckNodePort = portAlloc.allocateNext();
      } catch (e) {
        release({ clusterIPs: takenIPs, nodePorts: takenPorts }, ctx);
        throw internalError(`failed to allocate a nodePort: ${message(e)}`);
      }
      takenPorts.push(spec.healthCheckNodePort);
    } else if (!already.nodePorts.includes(hc) && !takenPorts.includes(hc)) {
      try {
        portAlloc.allocate(hc);
      } catch (e) {
        fail('spec.healthCheckNodePort', hc, message(e));
      }
      takenPorts.push(hc);
    }
  }
}

/** Give back what `before` held and `after` no longer does. */
export function releaseDropped(before: Held, after: Held, ctx: ClusterContext): void {
  release(
    {
      clusterIPs: before.clusterIPs.filter((ip) => !after.clusterIPs.includes(ip)),
      nodePorts: before.nodePorts.filter((p) => !after.nodePorts.includes(p)),
    },
    ctx,
  );
}
