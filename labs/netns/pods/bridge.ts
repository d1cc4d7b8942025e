/**
 * What the CNI bridge plugin does to the kernel for one pod: the node's bridge (created on first
 * use, with the gateway address when isGateway), a veth pair with the host end `veth<8 hex>` on the
 * bridge and the pod end `eth0`, the pod's address and routes, and hairpin mode on the host end -
 * set once, when the port is made, so a later change of the configuration only reaches new pods.
 *
 * Every step is one `ip -batch` (or sysctl) run; the veth pair is created directly in its two
 * namespaces, which is far cheaper for the kernel than moving a link.
 */
import { randomBytes } from 'node:crypto';
import type { NativeSandbox } from '../sandbox/types.ts';
import { type BridgeConf, CniError } from './cni-config.ts';
import type { Allocation } from './host-local.ts';

/** The interface name the kubelet asks for inside the pod. */
export const POD_IFNAME = 'eth0';

interface IpAddrJson {
  ifname: string;
  flags?: string[];
  linkinfo?: { info_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** `veth` and eight hex digits, like the plugin's random host-side names. */
export function hostVethName(): string {
  return `veth${randomBytes(4).toString('hex')}`;
}

/**
 * ensureBridge + ensureAddr: make the bridge if it is missing, bring it up, and give it the
 * gateway address; refuse (as the plugin does) when it already carries a different IPv4 address.
 */
export async function ensureBridge(
  sb: NativeSandbox,
  nodeNetns: string,
  conf: BridgeConf,
  alloc: Allocation,
): Promise<void> {
  const gw = `${alloc.gateway}/${alloc.prefix}`;
  const shown = await sb.run(['ip', '-j', '-d', 'addr', 'show', 'dev', conf.bridge], {
    netns: nodeNetns,
    bare: true,
    allowFailure: true,
  });
  const lines: string[] = [];
  if (shown.code !== 0) {
    lines.push(`link add name ${conf.bridge} mtu ${conf.mtu} type bridge`, `link set dev ${conf.bridge} up`);
    if (conf.isGateway) lines.push(`addr add ${gw} brd + dev ${conf.bridge}`);
  } else {
    const link = (JSON.parse(shown.stdout) as IpAddrJson[])[0];
    if (link?.linkinfo?.info_kind !== 'bridge') {
      throw new CniError(
        `failed to create bridge "${conf.bridge}": "${conf.bridge}" already exists but is not a bridge`,
      );
    }
    if (!link.flags?.includes('UP')) lines.push(`link set dev ${conf.bridge} up`);
    if (conf.isGateway) {
      const v4 = (link.addr_info ?? []).filter((a) => a.family === 'inet');
      if (v4.some((a) => `${a.local}/${a.prefixlen}` !== gw)) {
        throw new CniError(
          `failed to set bridge addr: "${conf.bridge}" already has an IP address different from ${gw}`,
        );
      }
      if (v4.length === 0) lines.push(`addr add ${gw} brd + dev ${conf.bridge}`);
    }
  }
  await Promise.all([
    sb.ipBatch(lines, nodeNetns),
    // A gateway bridge routes for its pods: the plugin turns IPv4 forwarding on.
    conf.isGateway
      ? sb.run(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'], { netns: nodeNetns, bare: true })
      : undefined,
  ]);
}

/** Routes the pod gets: the IPAM routes via the gateway, and a default route when isDefaultGateway. */
export function podRoutes(conf: BridgeConf, alloc: Allocation): string[] {
  const routes = conf.ipam.routes.map(
    (r) => `route add ${r.dst} via ${r.gw ?? alloc.gateway} dev ${POD_IFNAME}`,
  );
  if (conf.isDefaultGateway) routes.push(`route add default via ${alloc.gateway} dev ${POD_IFNAME}`);
  return routes;
}

/**
 * Cable the pod to the bridge and configure its end. Returns the host-side veth name. The bridge
 * must exist (ensureBridge) before the host end is enslaved.
 */
export async function attachPod(
  sb: NativeSandbox,
  nodeNetns: string,
  podNetns: string,
  conf: BridgeConf,
  alloc: Allocation,
  bridgeReady: Promise<void>,
): Promise<string> {
  let veth = hostVethName();
  const cable = (name: string) =>
    sb.ipBatch([
      `link add name ${name} mtu ${conf.mtu} netns ${sb.netnsPath(nodeNetns)} type veth peer name ${POD_IFNAME} mtu ${conf.mtu} netns ${sb.netnsPath(podNetns)}`,
    ]);
  try {
    await cable(veth);
  } catch (e) {
    // A name already taken on the node: the plugin draws another one.
    if (!/File exists/.test((e as Error).message)) throw e;
    veth = hostVethName();
    await cable(veth);
  }
  const hostSide = async () => {
    await bridgeReady;
    await sb.ipBatch(
      [
        `link set dev ${veth} master ${conf.bridge}`,
        `link set dev ${veth} type bridge_slave hairpin ${conf.hairpinMode ? 'on' : 'off'}`,
        `link set dev ${veth} up`,
      ],
      nodeNetns,
    );
  };
  const podSide = async () => {
    await sb.ipBatch(
      [
        `addr add ${alloc.ip}/${alloc.prefix} brd + dev ${POD_IFNAME}`,
        `link set dev ${POD_IFNAME} up`,
        ...podRoutes(conf, alloc),
      ],
      podNetns,
    );
  };
  const notify = () =>
    // The plugin has the kernel announce the new address (gratuitous ARP when the link comes up).
    sb.run(['sysctl', '-q', '-w', `net.ipv4.conf.${POD_IFNAME}.arp_notify=1`], {
      netns: podNetns,
      bare: true,
    });
  await Promise.all([hostSide(), notify().then(podSide)]);
  return veth;
}

/** Remove the pod's cable from the node side (the pod end goes with it). Missing is fine. */
export async function detachPod(sb: NativeSandbox, nodeNetns: string, veth: string): Promise<void> {
  await sb.run(['ip', 'link', 'del', 'dev', veth], { netns: nodeNetns, bare: true, allowFailure: true });
}
