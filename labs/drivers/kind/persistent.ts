/**
 * A kind node's persistent configuration, and how it is applied.
 *
 * A kind node is a container: it has no netplan, no networkd and no boot of its own that could
 * read one (`docker restart` re-runs kind's entrypoint, re-creates every NIC as ethN and may even
 * take the wrong address as node IP, kind#2917). So the driver gives it the same files a netns node
 * boots from - `/etc/netplan/50-cloud-init.yaml` and `/etc/sysctl.d/k8s.conf` inside the container -
 * and applies them itself, as networkd and systemd-sysctl would:
 *
 * - at build, right after Docker cabled the NICs (the netplan file says what the story says, with
 *   Docker's addresses, MACs and gateways in place of the VM's);
 * - at every `reboot` (reboot.ts), after stopping what a power cycle stops.
 *
 * Applying matches each `ethernets` entry to a NIC by MAC (or name), renames it with `set-name`,
 * replaces its addresses and routes with the file's, and sets the sysctls. A `dhcp4: true` NIC gets
 * the address Docker's IPAM gave it on that network - Docker is the DHCP server of a kind lab - with
 * the network's gateway as default route (metric 100, `proto dhcp`, as networkd installs it).
 * What is not in the files does not survive a reboot; that is the point of the lesson.
 */
import { type EthernetConfig, type NetworkConfig, renderNetworkConfig } from '../../netns/build/netplan.ts';
import { routeLine } from '../../netns/build/node-network.ts';
import { renderSysctlConf } from '../../netns/build/sysctl-conf.ts';
import { contains } from '../../topology/ipv4.ts';
import type { RouteSpec, Topology } from '../../topology/types.ts';
import { shQuote } from './commands.ts';
import type { KindNode } from './layout.ts';

export const NETPLAN_DIR = '/etc/netplan';
export const SYSCTL_DIR = '/etc/sysctl.d';

/** What Docker gave one NIC: real values, or query markers in a plan. */
export interface NicFacts {
  mac: string;
  ip: string;
  prefix: string;
  gateway: string;
}

/** A NIC as Docker attached it (hardware, in netns terms), with what Docker's IPAM leased it. */
export interface HardwareNic extends NicFacts {
  /** Docker network. */
  network: string;
}

const DHCP_ROUTE_METRIC = 100;

/** net.ipv4.conf.<dev>.<key> values a device copies from `default` when it appears. */
const PER_INTERFACE_KEYS = [
  'rp_filter',
  'log_martians',
  'accept_local',
  'arp_ignore',
  'arp_announce',
  'proxy_arp',
];

/** The node's netplan configuration: the story's shape, Docker's values. */
export function kindNetworkConfig(
  t: Topology,
  node: KindNode,
  facts: Record<string, NicFacts>,
): NetworkConfig {
  const ethernets: Record<string, EthernetConfig> = {};
  const ownAddress = (story: string): string | undefined => {
    for (const nic of node.nics)
      if (nic.spec.addresses.some((a) => a.split('/')[0] === story)) return facts[nic.name]?.ip;
    return undefined;
  };
  for (const nic of node.nics) {
    const f = facts[nic.name];
    if (!f) throw new Error(`no facts for ${node.name} ${nic.name}`);
    const subnets = t.segments.find((s) => s.name === nic.segment)?.subnets ?? [];
    const e: EthernetConfig = {
      match: { macaddress: f.mac },
      setName: nic.name,
      addresses: [],
      dhcp4: !!nic.spec.dhcp4,
      routes: [],
    };
    if (nic.spec.dhcp4Overrides) e.dhcp4Overrides = { ...nic.spec.dhcp4Overrides };
    if (!nic.spec.dhcp4) {
      e.addresses = [`${f.ip}/${f.prefix}`];
      e.routes = nic.spec.routes.map((r): RouteSpec => {
        const out: RouteSpec = { ...r };
        // The story's gateway on this segment is, in Docker, the network's gateway.
        if (r.via && subnets.some((net) => contains(net, r.via as string))) out.via = f.gateway;
        if (r.from) out.from = ownAddress(r.from) ?? r.from;
        return out;
      });
    }
    if (nic.spec.mtu !== undefined) e.mtu = nic.spec.mtu;
    ethernets[nic.name] = e;
  }
  return { ethernets };
}

export function renderKindNetplan(t: Topology, node: KindNode, facts: Record<string, NicFacts>): string {
  return renderNetworkConfig(kindNetworkConfig(t, node, facts));
}

export function renderKindSysctl(node: KindNode): string {
  return renderSysctlConf(
    node.spec.sysctls,
    'Kernel settings this node applies at boot (svc-labs applies /etc/sysctl.d/*.conf at every reboot).',
  );
}

/** Shell helpers every node script starts with. */
export const SCRIPT_PRELUDE = [
  'set -u',
  'status=0',
  '# run a command; remember a failure and go on, as a booting node does',
  'run() { "$@" || { echo "failed: $*" >&2; status=1; }; }',
  '# the interface that has this MAC',
  'nic_by_mac() {',
  '  for d in /sys/class/net/*; do',
  '    if [ "$(cat "$d/address" 2>/dev/null)" = "$1" ]; then basename "$d"; return 0; fi',
  '  done',
  '  return 1',
  '}',
];

export interface NetworkApply {
  /** Shell lines (need SCRIPT_PRELUDE). */
  lines: string[];
  /** Final names of the configured NICs. */
  names: string[];
  warnings: string[];
}

/**
 * Shell lines that bring the node's NICs to what `config` says: rename, flush, addresses, then
 * routes (defaults last, so a gateway reached through a host route is routable when they come).
 */
export function planNetworkApply(config: NetworkConfig, hardware: HardwareNic[]): NetworkApply {
  const lines: string[] = [];
  const routes: string[] = [];
  const names: string[] = [];
  const warnings: string[] = [];
  const claimed = new Set<string>();
  for (const [id, e] of Object.entries(config.ethernets)) {
    const mac = e.match?.macaddress;
    const byName = e.match ? e.match.name : id;
    if (e.match?.name && /[*?[]/.test(e.match.name)) {
      warnings.push(`netplan: ethernets.${id}: name globs are not supported on kind nodes; skipped`);
      continue;
    }
    const hw = mac ? hardware.find((h) => h.mac.toLowerCase() === mac) : undefined;
    if (mac && !hw) {
      warnings.push(`netplan: ethernets.${id} matches no NIC of this node (MAC ${mac})`);
      continue;
    }
    if (hw) claimed.add(hw.mac);
    const name = e.setName ?? (mac ? undefined : byName);
    const q = shQuote;
    lines.push(`# ethernets.${id}`);
    if (mac) {
      lines.push(`dev=$(nic_by_mac ${q(mac)}) || dev=`);
      if (name) {
        lines.push(
          `if [ -n "$dev" ] && [ "$dev" != ${q(name)} ]; then run ip link set dev "$dev" down; run ip link set dev "$dev" name ${q(name)}; fi`,
        );
      }
    } else lines.push(`dev=${q(byName ?? id)}`);
    const dev = name ? q(name) : '"$dev"';
    if (name) names.push(name);
    lines.push(`if [ -z "$dev" ] || [ ! -e /sys/class/net/${name ? q(name) : '"$dev"'} ]; then`);
    lines.push(`  echo "netplan: ethernets.${id}: no such interface" >&2; status=1`);
    lines.push('else');
    lines.push(`  run ip addr flush dev ${dev}`, `  run ip route flush dev ${dev}`);
    const attrs = [
      e.macaddress ? ` address ${q(e.macaddress)}` : '',
      e.mtu !== undefined ? ` mtu ${e.mtu}` : '',
    ];
    lines.push(`  run ip link set dev ${dev}${attrs.join('')} up`);
    for (const a of e.addresses) lines.push(`  run ip addr add ${q(a)} brd + dev ${dev}`);
    if (e.dhcp4) {
      if (!hw) warnings.push(`netplan: ethernets.${id}: dhcp4 needs a MAC match on a kind node; no lease`);
      else {
        const metric = e.dhcp4Overrides?.routeMetric ?? DHCP_ROUTE_METRIC;
        lines.push(`  run ip addr add ${q(`${hw.ip}/${hw.prefix}`)} brd + dev ${dev} metric ${metric}`);
        if (e.dhcp4Overrides?.useRoutes !== false) {
          const src = `src ${q(hw.ip)} metric ${metric}`;
          routes.push(`run ip route add ${q(hw.gateway)} dev ${dev} proto dhcp scope link ${src}`);
          routes.push(`run ip route add default via ${q(hw.gateway)} dev ${dev} proto dhcp ${src}`);
        }
      }
    }
    lines.push('fi');
    for (const r of e.routes) routes.push(`run ip ${quoteRoute(routeLine(r, '@DEV@'), dev)}`);
  }
  for (const hw of hardware) {
    if (claimed.has(hw.mac)) continue;
    // Not configured: after a boot it is down and without addresses.
    lines.push(
      `# ${hw.network}: not in the netplan configuration`,
      `if dev=$(nic_by_mac ${shQuote(hw.mac)}); then run ip addr flush dev "$dev"; run ip route flush dev "$dev"; run ip link set dev "$dev" down; fi`,
    );
  }
  routes.sort((a, b) => Number(a.includes(' default ')) - Number(b.includes(' default ')));
  return { lines: [...lines, ...routes], names, warnings };
}

function quoteRoute(line: string, dev: string): string {
  return line
    .split(' ')
    .map((w) => (w === '@DEV@' ? dev : shQuote(w)))
    .join(' ');
}

/** `sysctl -w` lines for key/value pairs; a key the node refuses is reported, not fatal. */
export function sysctlLines(
  assignments: [string, string][],
  optional: ReadonlySet<string> = new Set(),
): string[] {
  return assignments.map(([k, v]) => {
    const set = `sysctl -q -w ${shQuote(`${k}=${v}`)}`;
    return optional.has(k)
      ? `${set} 2>/dev/null || true`
      : `${set} || { echo "sysctl: cannot set ${k}" >&2; status=1; }`;
  });
}

/** A here-document writing a file inside the node (the text itself may hold plan markers). */
export function writeFileLines(path: string, text: string, mode: string): string[] {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  const lines = new Set(body.split('\n'));
  let d = 'SVCL_FILE';
  for (let i = 1; lines.has(d); i++) d = `SVCL_FILE${i}`;
  const dir = path.slice(0, path.lastIndexOf('/')) || '/';
  return [
    `mkdir -p ${shQuote(dir)}`,
    `cat > ${shQuote(path)} <<'${d}'`,
    ...body.slice(0, -1).split('\n'),
    d,
    `chmod ${mode} ${shQuote(path)}`,
  ];
}

/**
 * The build-time script of one node: write its persistent files, then apply them - the first boot.
 * `facts` are plan markers; the runner substitutes Docker's answers before the script runs.
 */
export function nodeSetupScript(t: Topology, node: KindNode, facts: Record<string, NicFacts>): string {
  const config = kindNetworkConfig(t, node, facts);
  const hardware: HardwareNic[] = node.nics.map((n) => ({ network: n.network, ...facts[n.name] }));
  const apply = planNetworkApply(config, hardware);
  if (apply.warnings.length > 0) throw new Error(apply.warnings.join('; '));
  const sysctls = Object.entries(node.spec.sysctls);
  // The NICs existed before the file's `default` values were set: give them those values, as a
  // device registering at boot would take them.
  for (const nic of apply.names)
    for (const k of PER_INTERFACE_KEYS) {
      const v = node.spec.sysctls[`net.ipv4.conf.default.${k}`];
      if (v !== undefined && node.spec.sysctls[`net.ipv4.conf.${nic}.${k}`] === undefined)
        sysctls.push([`net.ipv4.conf.${nic}.${k}`, v]);
    }
  return [
    ...SCRIPT_PRELUDE,
    `# persistent configuration of ${node.name}`,
    ...writeFileLines(node.spec.persistent.netplan, renderNetworkConfig(config), '600'),
    ...writeFileLines(node.spec.persistent.sysctl, renderKindSysctl(node), '644'),
    '# first boot: NICs renamed to the story names, addresses and routes as the file says',
    ...apply.lines,
    ...sysctlLines(sysctls),
    'exit $status',
    '',
  ].join('\n');
}
