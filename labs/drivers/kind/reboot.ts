/**
 * A reboot of a kind node, as close to a power cycle as a container allows without `docker
 * restart` (which re-creates the NICs and may change the node IP, kind#2917):
 *
 * 1. the kubelet stops and every pod sandbox on the node is removed (containers die, pod veths go);
 * 2. links that are not the node's NICs go (cni0, flannel.1, anything made by hand), as do policy
 *    rules and routing tables other than main, local and default;
 * 3. the NICs are brought up from /etc/netplan/*.yaml (persistent.ts) - routes added by hand are gone;
 * 4. iptables is emptied down to what Docker put in the container (its embedded DNS rules), so
 *    hand-made rules vanish and kube-proxy and flannel write theirs again when they start;
 * 5. conntrack is flushed, kernel settings come from the defaults and /etc/sysctl.d/*.conf;
 * 6. the kubelet starts and brings the node's pods back (static pods included).
 *
 * What survives that a real reboot would lose: files outside the ones above (the container's
 * filesystem is its disk) and kernel settings outside the network namespace (the host's).
 */

import type { NetworkConfig } from '../../netns/build/netplan.ts';
import type { LiveState } from '../../netns/build/node-network.ts';
import { planNodeSysctls, type SysctlFile } from '../../netns/build/sysctl-conf.ts';
import { shQuote } from './commands.ts';
import { type HardwareNic, planNetworkApply, SCRIPT_PRELUDE, sysctlLines } from './persistent.ts';

const BUILTIN_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);
const DOCKER_CHAIN = /^DOCKER_/;

/**
 * `iptables-save` output reduced to what Docker installs in a container's namespace (the
 * DOCKER_OUTPUT / DOCKER_POSTROUTING chains of its embedded DNS and the jumps to them), every
 * built-in chain back to ACCEPT with zero counters.
 */
export function dockerOnlyRules(saved: string): string {
  const out: string[] = [];
  for (const raw of saved.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*') || line === 'COMMIT') {
      out.push(line);
      continue;
    }
    if (line.startsWith(':')) {
      const [name] = line.slice(1).split(' ');
      if (BUILTIN_CHAINS.has(name)) out.push(`:${name} ACCEPT [0:0]`);
      else if (DOCKER_CHAIN.test(name)) out.push(`:${name} - [0:0]`);
      continue;
    }
    const m = /^-A (\S+)(.*)$/.exec(line);
    if (!m) continue;
    const target = /(?:^| )-j (\S+)/.exec(m[2])?.[1];
    if (DOCKER_CHAIN.test(m[1]) || (BUILTIN_CHAINS.has(m[1]) && target && DOCKER_CHAIN.test(target)))
      out.push(line);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

export interface RebootInput {
  config: NetworkConfig;
  sysctlFiles: SysctlFile[];
  live: LiveState;
  hardware: HardwareNic[];
  iptablesSave: string;
}

export interface RebootPlan {
  /** The whole reboot, for `docker exec -i <node> sh`. */
  script: string;
  /** Its middle: what happens to the node's network namespace between power off and on. */
  network: string[];
  warnings: string[];
}

export function planReboot(input: RebootInput): RebootPlan {
  const macs = new Set(input.hardware.map((h) => h.mac.toLowerCase()));
  const apply = planNetworkApply(input.config, input.hardware);
  const sysctl = planNodeSysctls(input.sysctlFiles, apply.names);
  const extraLinks = input.live.links.filter(
    (l) => l.ifname !== 'lo' && !(l.address && macs.has(l.address.toLowerCase())),
  );
  const defaultRule = (r: { priority?: number; table?: string }) =>
    (r.priority === 0 && r.table === 'local') ||
    (r.priority === 32766 && r.table === 'main') ||
    (r.priority === 32767 && r.table === 'default');
  const tables = new Set<string>();
  for (const r of input.live.routes) {
    const table = String(r.table ?? 'main');
    if (!['main', 'local', 'default'].includes(table)) tables.add(table);
  }
  const rules = dockerOnlyRules(input.iptablesSave);
  const off = [
    '# power off: the kubelet and every container on the node stop',
    'run systemctl stop kubelet',
    'crictl rmp --force --all >/dev/null 2>&1 || true',
  ];
  const network = [
    '# power on: only the NICs are still there',
    ...extraLinks.map((l) => `ip link del dev ${shQuote(l.ifname)} 2>/dev/null || true`),
    ...input.live.rules
      .filter((r) => !defaultRule(r) && r.priority !== undefined)
      .map((r) => `ip rule del priority ${r.priority} 2>/dev/null || true`),
    ...[...tables].map((t) => `ip route flush table ${shQuote(t)} 2>/dev/null || true`),
    ...apply.lines,
    '# iptables as Docker leaves a container; kube-proxy and flannel write theirs when they start',
    ...(rules
      ? ["run iptables-restore <<'SVCL_IPTABLES'", ...rules.trimEnd().split('\n'), 'SVCL_IPTABLES']
      : []),
    'conntrack -F >/dev/null 2>&1 || true',
    ...sysctlLines(sysctl.assignments, sysctl.optional),
  ];
  const on = ['run systemctl start kubelet'];
  const script = [...SCRIPT_PRELUDE, ...off, ...network, ...on, 'exit $status', ''].join('\n');
  return { script, network, warnings: [...apply.warnings, ...sysctl.warnings] };
}

/** The NICs Docker attached, from `docker inspect <node>` (the container's NetworkSettings). */
export function hardwareFromInspect(inspect: unknown): HardwareNic[] {
  const first = Array.isArray(inspect) ? inspect[0] : inspect;
  const networks = (first as { NetworkSettings?: { Networks?: Record<string, Record<string, unknown>> } })
    ?.NetworkSettings?.Networks;
  if (!networks) throw new Error('docker inspect: no NetworkSettings.Networks');
  return Object.entries(networks).map(([network, ep]) => ({
    network,
    mac: String(ep.MacAddress ?? '').toLowerCase(),
    ip: String(ep.IPAddress ?? ''),
    prefix: String(ep.IPPrefixLen ?? ''),
    gateway: String(ep.Gateway ?? ''),
  }));
}
