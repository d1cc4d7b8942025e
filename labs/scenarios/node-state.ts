/**
 * A node's live network state as reset compares it: what a learner can change with `ip`,
 * `sysctl`, `iptables`, `bridge` or by hand in /sys, normalised so that what changes by itself
 * (counters, pod veths, MACs of recreated vxlan devices, kube-proxy's per-endpoint chains) does not
 * count. Read with one shell command through the Lab, so it works on every driver.
 *
 * Each difference belongs to a domain, and the domain says how reset undoes it:
 *   routes, sysctl, hairpin  put back in place (ip route del/add, /proc/sys, brport hairpin_mode);
 *   flannel                  flannel.1 and what hangs off it (vxlan local/dev, fdb, neighbours,
 *                            routes through it): the device deleted and flannel restarted, as it
 *                            rebuilds all of it at start;
 *   node                     addresses, links, policy rules, iptables outside kube-proxy's and
 *                            flannel's chains: the node rebooted from its persistent configuration.
 */

/** Chains that kube-proxy, flannel and the CNI plugins own and rewrite themselves. */
const OWNED_CHAIN = /^(KUBE-|FLANNEL-|CNI-)/;
const BUILTIN_CHAIN = /^(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING)$/;

export const NODE_STATE_SCRIPT = `
section() { echo "## $1"; }
section routes; ip -4 route show table all 2>/dev/null | grep -v -e ' table local' -e 'dev veth'
section rules; ip -4 rule show 2>/dev/null
section addrs; ip -4 -o addr show 2>/dev/null | awk '$2 !~ /^veth/ { print $2, $4 }'
section links; ip -d -o link show 2>/dev/null | grep -v ': veth'
section sysctl
for f in /proc/sys/net/ipv4/ip_forward /proc/sys/net/bridge/bridge-nf-call-iptables \\
  /proc/sys/net/ipv4/conf/*/rp_filter /proc/sys/net/ipv4/conf/*/route_localnet; do
  case "$f" in *veth*) continue ;; esac
  [ -r "$f" ] && echo "\${f#/proc/sys/} $(cat "$f")"
done
section hairpin
for p in /sys/class/net/cni0/brif/*; do
  [ -r "$p/hairpin_mode" ] && echo "\${p##*/} $(cat "$p/hairpin_mode")"
done
section hairpin-config; cat /etc/cni/net.d/*.conflist 2>/dev/null | grep -o '"hairpinMode": *[a-z]*' | head -1
section fdb; bridge fdb show dev flannel.1 2>/dev/null
section neigh; ip -4 neigh show dev flannel.1 2>/dev/null
section iptables; iptables-save 2>/dev/null
true
`;

export type Domain = 'routes' | 'sysctl' | 'hairpin' | 'flannel' | 'node';

export interface NodeState {
  /** Routes of every table but local, not through a pod veth nor flannel.1. */
  routes: string[];
  sysctl: Record<string, string>;
  /** cni0 port -> hairpin_mode. */
  hairpin: Record<string, string>;
  /** What the node's CNI configuration gives a new pod ('1' or '0'), if it says. */
  hairpinDefault?: string;
  /** flannel.1: its vxlan settings, routes through it, fdb destinations, neighbour addresses. */
  flannel: string[];
  /** Addresses, links, policy rules and iptables rules outside the owned chains. */
  node: string[];
}

function sections(out: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const raw of out.split('\n')) {
    const line = raw.trimEnd();
    const head = /^## (\S+)$/.exec(line);
    if (head) {
      current = [];
      map.set(head[1], current);
    } else if (current && line.trim()) current.push(line.trim().replace(/\s+/g, ' '));
  }
  return map;
}

/** `ip -d -o link` line -> `name UP mtu 1450 vxlan id 1 local 1.2.3.4 dev enp0s3`, MACs left out. */
function linkLine(line: string): string {
  const name = /^\d+: ([^:@]+)/.exec(line)?.[1] ?? line;
  const flags = /<([^>]*)>/.exec(line)?.[1]?.split(',') ?? [];
  const mtu = /\bmtu (\d+)/.exec(line)?.[1];
  const vxlan = /\bvxlan id (\d+)(?: local (\S+))?(?: dev (\S+))?/.exec(line);
  return [
    name,
    flags.includes('UP') ? 'UP' : 'DOWN',
    mtu ? `mtu ${mtu}` : '',
    vxlan ? `vxlan id ${vxlan[1]} local ${vxlan[2] ?? '-'} dev ${vxlan[3] ?? '-'}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** iptables-save without counters, comments and what the owned chains hold. */
function iptablesLines(lines: string[]): string[] {
  const out: string[] = [];
  let table = '';
  for (const l of lines) {
    if (l.startsWith('#') || l === 'COMMIT') continue;
    if (l.startsWith('*')) {
      table = l.slice(1);
      continue;
    }
    if (l.startsWith(':')) {
      const [chain, policy] = l.slice(1).split(' ');
      // A table appears in iptables-save once anything touched it; its empty built-in chains
      // with the default policy say nothing. A DROP policy or a learner's own chain does.
      if (OWNED_CHAIN.test(chain) || (BUILTIN_CHAIN.test(chain) && policy === 'ACCEPT')) continue;
      out.push(`${table} chain ${chain} ${policy ?? ''}`.trim());
      continue;
    }
    const rule = /^-A (\S+) (.*)$/.exec(l);
    if (!rule || OWNED_CHAIN.test(rule[1]) || /-j CNI-/.test(rule[2])) continue;
    out.push(`${table} ${l.replace(/^\[\d+:\d+\] /, '')}`);
  }
  return out;
}

export function parseNodeState(out: string): NodeState {
  const s = sections(out);
  const get = (k: string) => s.get(k) ?? [];
  const routes = get('routes')
    .filter((r) => !/\bdev veth/.test(r))
    .map((r) => r.replace(/ linkdown\b/, ''));
  const sysctl: Record<string, string> = {};
  for (const l of get('sysctl')) {
    const [k, v] = l.split(' ');
    if (k && v !== undefined) sysctl[k] = v;
  }
  const hairpin: Record<string, string> = {};
  for (const l of get('hairpin')) {
    const [port, v] = l.split(' ');
    if (port && v !== undefined) hairpin[port] = v;
  }
  const config = /(true|false)/.exec(get('hairpin-config')[0] ?? '')?.[1];
  const links = get('links').map(linkLine);
  const flannelLink = links.filter((l) => l.startsWith('flannel.1 '));
  return {
    routes: routes.filter((r) => !/\bdev flannel\.1\b/.test(r)).sort(),
    sysctl,
    hairpin,
    ...(config ? { hairpinDefault: config === 'true' ? '1' : '0' } : {}),
    flannel: [
      ...flannelLink,
      ...routes.filter((r) => /\bdev flannel\.1\b/.test(r)).map((r) => `route ${r}`),
      ...get('fdb').map((l) => `fdb ${/\bdst (\S+)/.exec(l)?.[1] ?? l}`),
      ...get('neigh').map((l) => `neigh ${l.split(' ')[0]}`),
    ].sort(),
    node: [
      ...get('addrs').map((l) => `addr ${l}`),
      ...links.filter((l) => !l.startsWith('flannel.1 ')).map((l) => `link ${l}`),
      ...get('rules').map((l) => `rule ${l}`),
      ...iptablesLines(get('iptables')),
    ].sort(),
  };
}

export interface NodeStateDiff {
  domain: Domain;
  /** What the node has now and the baseline did not (`+`), and the reverse (`-`). */
  extra: string[];
  missing: string[];
}

function listDiff(domain: Domain, want: string[], have: string[]): NodeStateDiff | undefined {
  const w = new Set(want);
  const h = new Set(have);
  const extra = have.filter((x) => !w.has(x));
  const missing = want.filter((x) => !h.has(x));
  return extra.length || missing.length ? { domain, extra, missing } : undefined;
}

/** The hairpin value a port should have: its baseline one, or what the CNI config gives new pods. */
function wantedHairpin(want: NodeState, have: NodeState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const port of Object.keys(have.hairpin)) {
    const v = want.hairpin[port] ?? have.hairpinDefault ?? want.hairpinDefault;
    if (v !== undefined) out[port] = v;
  }
  return out;
}

export function diffNodeState(want: NodeState, have: NodeState): NodeStateDiff[] {
  const sysctlLines = (s: NodeState) => Object.entries(s.sysctl).map(([k, v]) => `${k} ${v}`);
  const hairpinWanted = wantedHairpin(want, have);
  const hairpinWrong = Object.entries(have.hairpin)
    .filter(([port, v]) => hairpinWanted[port] !== undefined && hairpinWanted[port] !== v)
    .map(([port, v]) => `${port} ${v}`);
  return [
    listDiff('routes', want.routes, have.routes),
    listDiff('sysctl', sysctlLines(want), sysctlLines(have)),
    hairpinWrong.length
      ? {
          domain: 'hairpin' as const,
          extra: hairpinWrong,
          missing: hairpinWrong.map((l) => `${l.split(' ')[0]} ${hairpinWanted[l.split(' ')[0]]}`),
        }
      : undefined,
    listDiff('flannel', want.flannel, have.flannel),
    listDiff('node', want.node, have.node),
  ].filter((d): d is NodeStateDiff => !!d);
}

/** Shell that puts routes, sysctls and hairpin flags back as `want` has them (best effort). */
export function inPlaceRepair(want: NodeState, have: NodeState, diffs: NodeStateDiff[]): string {
  const lines: string[] = [];
  for (const d of diffs) {
    if (d.domain === 'routes') {
      for (const r of d.extra) lines.push(`ip route del ${r}`);
      for (const r of d.missing) lines.push(`ip route add ${r}`);
    }
    if (d.domain === 'sysctl')
      for (const [k, v] of Object.entries(want.sysctl))
        if (have.sysctl[k] !== v) lines.push(`echo ${v} > /proc/sys/${k}`);
    if (d.domain === 'hairpin')
      for (const l of d.missing) {
        const [port, v] = l.split(' ');
        lines.push(`echo ${v} > /sys/class/net/cni0/brif/${port}/hairpin_mode`);
      }
  }
  // One failing line (a route the kernel already dropped) must not stop the others.
  return lines.map((l) => `${l} 2>/dev/null || true`).join('\n');
}
