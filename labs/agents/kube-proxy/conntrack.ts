/**
 * Stale UDP conntrack entries, as kube-proxy 1.32's conntrack reconciler finds them.
 *
 * UDP has no connection teardown: a flow DNATed to an endpoint that went away keeps its conntrack
 * entry and its packets vanish until the entry times out. After endpoint changes kube-proxy lists
 * the UDP entries and deletes each one whose original destination is a UDP service frontend
 * (cluster IP, external IP or load-balancer IP with the service port, or any address with the
 * NodePort) but whose reply source is not one of that service's serving endpoints.
 */
import type { EndpointInfo, ServicePortInfo } from './model.ts';
import { servicePortKey } from './model.ts';

export interface ConntrackEntry {
  protocol: string;
  origSrc: string;
  origDst: string;
  origSport: number;
  origDport: number;
  replySrc: string;
  replyDst: string;
  replySport: number;
  replyDport: number;
}

/** Entries from `conntrack -L` output (one flow per line; original tuple first, reply second). */
export function parseConntrackList(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const protocol = fields[0];
    if (!protocol || !/^[a-z]+$/.test(protocol) || protocol === 'conntrack') continue;
    const src: string[] = [];
    const dst: string[] = [];
    const sport: number[] = [];
    const dport: number[] = [];
    for (const f of fields) {
      const eq = f.indexOf('=');
      if (eq < 0) continue;
      const key = f.slice(0, eq);
      const value = f.slice(eq + 1);
      if (key === 'src') src.push(value);
      else if (key === 'dst') dst.push(value);
      else if (key === 'sport') sport.push(Number(value));
      else if (key === 'dport') dport.push(Number(value));
    }
    if (src.length < 2 || dst.length < 2) continue;
    out.push({
      protocol,
      origSrc: src[0]!,
      origDst: dst[0]!,
      origSport: sport[0] ?? 0,
      origDport: dport[0] ?? 0,
      replySrc: src[1]!,
      replyDst: dst[1]!,
      replySport: sport[1] ?? 0,
      replyDport: dport[1] ?? 0,
    });
  }
  return out;
}

/** UDP frontends and their serving endpoints (`ip:port`); services without any are left alone. */
export interface UdpFrontends {
  byAddress: Map<string, Set<string>>;
  byNodePort: Map<number, Set<string>>;
}

export function udpFrontends(
  servicePorts: readonly ServicePortInfo[],
  endpoints: ReadonlyMap<string, readonly EndpointInfo[]>,
): UdpFrontends {
  const byAddress = new Map<string, Set<string>>();
  const byNodePort = new Map<number, Set<string>>();
  for (const sp of servicePorts) {
    if (sp.protocol !== 'UDP') continue;
    const serving = new Set(
      (endpoints.get(servicePortKey(sp.nameString, sp.protocol)) ?? [])
        .filter((e) => e.serving)
        .map((e) => e.endpoint),
    );
    if (serving.size === 0) continue;
    for (const ip of [sp.clusterIP, ...sp.loadBalancerVIPs, ...sp.externalIPs]) {
      byAddress.set(`${ip}:${sp.port}`, serving);
    }
    if (sp.nodePort !== 0) byNodePort.set(sp.nodePort, serving);
  }
  return { byAddress, byNodePort };
}

/** `conntrack` argument lists that delete the stale entries. */
export function staleConntrackDeletes(
  entries: readonly ConntrackEntry[],
  frontends: UdpFrontends,
): string[][] {
  const out: string[][] = [];
  const seen = new Set<string>();
  const add = (argv: string[]) => {
    const key = argv.join(' ');
    if (!seen.has(key)) {
      seen.add(key);
      out.push(argv);
    }
  };
  for (const e of entries) {
    if (e.protocol !== 'udp') continue;
    const reply = `${e.replySrc}:${e.replySport}`;
    const byIP = frontends.byAddress.get(`${e.origDst}:${e.origDport}`);
    if (byIP && !byIP.has(reply)) {
      add([
        '-D',
        '-p',
        'udp',
        '--orig-dst',
        e.origDst,
        '--orig-port-dst',
        String(e.origDport),
        '--reply-src',
        e.replySrc,
        '--reply-port-src',
        String(e.replySport),
      ]);
    }
    const byPort = frontends.byNodePort.get(e.origDport);
    if (byPort && !byPort.has(reply)) {
      add([
        '-D',
        '-p',
        'udp',
        '--orig-port-dst',
        String(e.origDport),
        '--reply-src',
        e.replySrc,
        '--reply-port-src',
        String(e.replySport),
      ]);
    }
  }
  return out;
}

/** A stable text form of the UDP frontends, to tell whether a clean-up is due after a sync. */
export function udpFrontendsFingerprint(f: UdpFrontends): string {
  const addr = [...f.byAddress].map(([k, v]) => `${k}=${[...v].sort().join(',')}`).sort();
  const np = [...f.byNodePort].map(([k, v]) => `${k}=${[...v].sort().join(',')}`).sort();
  return `${addr.join(';')}|${np.join(';')}`;
}
