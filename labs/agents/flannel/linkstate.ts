/**
 * The node's network as flanneld reads it through netlink: every link (index, name, MTU, MAC,
 * vxlan details) with its IPv4 addresses, the main table's default routes in kernel order, and
 * optionally `ip route get <addr>` for --iface-can-reach. One `ip -d -j -force -batch` call.
 */
import { batchErrors, type NodeCommandRunner } from './runner.ts';

export interface AddrInfo {
  ip: string;
  prefixLen: number;
  /** Not IFA_F_PERMANENT (a DHCP or otherwise expiring address). */
  dynamic: boolean;
  deprecated: boolean;
}

export interface VxlanInfo {
  id: number;
  local?: string;
  /** Name of the underlying (VTEP) interface. */
  link?: string;
  port: number;
  learning: boolean;
  gbp: boolean;
  l2miss: boolean;
  group?: string;
}

export interface LinkInfo {
  index: number;
  name: string;
  mtu: number;
  mac?: string;
  flags: string[];
  /** linkinfo.info_kind: vxlan, veth, bridge, ... (undefined for plain devices). */
  kind?: string;
  vxlan?: VxlanInfo;
  /** IPv4 addresses in kernel order. */
  addrs: AddrInfo[];
}

export interface DefaultRoute {
  dev?: string;
  gateway?: string;
}

export type RouteGetResult = { dev: string; prefsrc?: string; gateway?: string } | { error: string };

export interface KernelSnapshot {
  links: LinkInfo[];
  /** `ip route show default` in the main table, in the order the kernel lists them. */
  defaultRoutes: DefaultRoute[];
  /** `ip route get <addr>` for each address asked for. */
  routeGet: Map<string, RouteGetResult>;
}

interface RawLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  address?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: {
    family: string;
    local: string;
    prefixlen: number;
    dynamic?: boolean;
    deprecated?: boolean;
  }[];
}

function parseLink(raw: RawLink): LinkInfo {
  const link: LinkInfo = {
    index: raw.ifindex,
    name: raw.ifname,
    mtu: raw.mtu,
    flags: raw.flags ?? [],
    addrs: (raw.addr_info ?? [])
      .filter((a) => a.family === 'inet')
      .map((a) => ({
        ip: a.local,
        prefixLen: a.prefixlen,
        dynamic: a.dynamic === true,
        deprecated: a.deprecated === true,
      })),
  };
  if (raw.address) link.mac = raw.address;
  const kind = raw.linkinfo?.info_kind;
  if (kind) link.kind = kind;
  const d = raw.linkinfo?.info_data;
  if (kind === 'vxlan' && d) {
    link.vxlan = {
      id: Number(d.id ?? 0),
      port: Number(d.port ?? 0),
      learning: d.learning === true,
      gbp: d.gbp === true,
      l2miss: d.l2miss === true,
      ...(typeof d.local === 'string' ? { local: d.local } : {}),
      ...(typeof d.link === 'string' ? { link: d.link } : {}),
      ...(typeof d.group === 'string' ? { group: d.group } : {}),
    };
  }
  return link;
}

/** Query links, addresses, default routes and the route to each of `reach` in one process. */
export async function readKernelState(
  runner: NodeCommandRunner,
  reach: readonly string[] = [],
): Promise<KernelSnapshot> {
  const lines = ['addr show', 'route show table main default', ...reach.map((r) => `route get ${r}`)];
  const res = await runner.run(['ip', '-d', '-j', '-force', '-batch', '-'], {
    input: `${lines.join('\n')}\n`,
  });
  return parseKernelState(res.stdout, res.stderr, reach);
}

function jsonArrays(stdout: string): unknown[][] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('['))
    .map((l) => JSON.parse(l) as unknown[]);
}

/**
 * Results of `route get` lines that start at batch line `firstLine` (0-based); failed lines print
 * nothing on stdout, so successful ones take the JSON arrays in order.
 */
function parseRouteGets(
  arrays: unknown[][],
  firstArray: number,
  stderr: string,
  addrs: readonly string[],
  firstLine: number,
): Map<string, RouteGetResult> {
  const out = new Map<string, RouteGetResult>();
  const errors = batchErrors(stderr);
  let next = firstArray;
  addrs.forEach((addr, i) => {
    const error = errors.get(firstLine + i);
    if (error !== undefined) {
      out.set(addr, { error });
      return;
    }
    const r = (arrays[next++] as { dev?: string; prefsrc?: string; gateway?: string }[] | undefined)?.[0];
    if (!r?.dev) {
      out.set(addr, { error: 'network is unreachable' });
      return;
    }
    out.set(addr, {
      dev: r.dev,
      ...(r.prefsrc ? { prefsrc: r.prefsrc } : {}),
      ...(r.gateway ? { gateway: r.gateway } : {}),
    });
  });
  return out;
}

export function parseKernelState(stdout: string, stderr: string, reach: readonly string[]): KernelSnapshot {
  const arrays = jsonArrays(stdout);
  if (arrays.length < 2)
    throw new Error(`cannot read the node's links and routes: ${stderr.trim() || 'no output'}`);
  const links = (arrays[0] as RawLink[]).map(parseLink);
  const defaultRoutes = (arrays[1] as { dev?: string; gateway?: string; type?: string }[])
    .filter((r) => r.type === undefined || r.type === 'unicast')
    .map((r) => ({
      ...(r.dev ? { dev: r.dev } : {}),
      ...(r.gateway ? { gateway: r.gateway } : {}),
    }));
  return { links, defaultRoutes, routeGet: parseRouteGets(arrays, 2, stderr, reach, 2) };
}

/** `ip route get` for each address, in one process. */
export async function routesTo(
  runner: NodeCommandRunner,
  addrs: readonly string[],
): Promise<Map<string, RouteGetResult>> {
  if (addrs.length === 0) return new Map();
  const res = await runner.run(['ip', '-j', '-force', '-batch', '-'], {
    input: `${addrs.map((a) => `route get ${a}`).join('\n')}\n`,
  });
  return parseRouteGets(jsonArrays(res.stdout), 0, res.stderr, addrs, 0);
}
