/**
 * flanneld's choice of the external interface (main.go + pkg/ipmatch LookupExtIface, IPv4 stack):
 * - none of --iface / --iface-regex / --iface-can-reach: the interface owning --public-ip (or the
 *   node-public-ip annotation) if one is set, else the interface of the first default route; a
 *   failure is fatal ("Failed to find any valid interface to use: ...");
 * - otherwise each --iface (name or IP) in order, then each --iface-regex (matched against the
 *   interfaces' addresses first, then their names), then --iface-can-reach (`ip route get`);
 *   nothing matching is fatal ("Failed to find interface to use that matches ...").
 * The address used is the one that matched, the can-reach route's source, or the interface's first
 * usable IPv4 address (global before link-local, static before DHCP). The external address is
 * --public-ip when given, else that address.
 *
 * Pure: works on a KernelSnapshot and returns the log lines flanneld prints on the way.
 */
import { ipToInt, isIPv4 } from '../../kube/ipnet.ts';
import type { Severity } from './klog.ts';
import type { AddrInfo, KernelSnapshot, LinkInfo } from './linkstate.ts';

export interface LogEntry {
  severity: Severity;
  source: string;
  message: string;
}

export interface ExternalInterface {
  iface: LinkInfo;
  /** The VTEP's local address. */
  ifaceAddr: string;
  /** What peers send to (the public-ip annotation), normally ifaceAddr. */
  extAddr: string;
}

export interface SelectionInput {
  iface: readonly string[];
  ifaceRegex: readonly string[];
  ifaceCanReach: string;
  /** --public-ip, or the node-public-ip annotation, which overrides it. */
  publicIP: string;
  publicIPv6: string;
}

export type Selection =
  | { ok: true; ext: ExternalInterface; logs: LogEntry[] }
  | { ok: false; logs: LogEntry[] };

/** Where each message sits in flanneld v0.26 (klog's file:line prefix). */
export const SOURCES = {
  searching: 'match.go:93',
  canReach: 'match.go:205',
  defaultIface: 'match.go:211',
  usingIface: 'match.go:264',
  usingExternal: 'match.go:282',
  defaulting: 'match.go:286',
  noValidIface: 'main.go:301',
  noIfaceMatch: 'main.go:309',
  noRegexMatch: 'main.go:322',
  noCanReachMatch: 'main.go:334',
  noMatchFatal: 'main.go:340',
} as const;

function isLinkLocal(ip: string): boolean {
  return ip.startsWith('169.254.');
}

function isGlobalUnicast(ip: string): boolean {
  const n = ipToInt(ip);
  const first = n >>> 24;
  return n !== 0 && n !== 0xffffffff && first !== 127 && first < 224 && !isLinkLocal(ip);
}

/** pkg/ip GetInterfaceIP4Addrs: usable addresses in preferred order. */
export function usableIPv4(link: LinkInfo): string[] {
  const rank = (a: AddrInfo) => (isLinkLocal(a.ip) ? 2 : 0) + (a.dynamic ? 1 : 0);
  return link.addrs
    .filter((a) => isIPv4(a.ip) && (isGlobalUnicast(a.ip) || isLinkLocal(a.ip)) && !a.deprecated)
    .map((a, i) => ({ a, i }))
    .sort((x, y) => rank(x.a) - rank(y.a) || x.i - y.i)
    .map(({ a }) => a.ip);
}

function looksLikeIP(s: string): boolean {
  const v4 = isIPv4(s as unknown);
  return v4 || (/^[0-9a-fA-F:.]+$/.test(s) && s.includes(':'));
}

type Lookup = { ext: ExternalInterface } | { error: string };

function lookupExtIface(
  snap: KernelSnapshot,
  logs: LogEntry[],
  ifname: string,
  ifregexText: string,
  ifcanreach: string,
  publicIP: string,
): Lookup {
  const info = (source: string, message: string) => logs.push({ severity: 'I', source, message });
  let iface: LinkInfo | undefined;
  let ifaceAddr: string | undefined;
  let regex: RegExp | undefined;
  if (ifregexText !== '') {
    try {
      regex = new RegExp(ifregexText);
    } catch (err) {
      return {
        error: `could not compile the IP address regex '${ifregexText}': error parsing regexp: ${(err as Error).message}`,
      };
    }
  }
  if (ifname !== '') {
    if (looksLikeIP(ifname)) {
      info(SOURCES.searching, `Searching for interface using ${ifname}`);
      ifaceAddr = ifname;
      iface = snap.links.find((l) => l.addrs.some((a) => a.ip === ifname));
      if (!iface) return { error: `error looking up interface ${ifname}: no interface with given IP found` };
    } else {
      iface = snap.links.find((l) => l.name === ifname);
      if (!iface)
        return { error: `error looking up interface ${ifname}: route ip+net: no such network interface` };
    }
  } else if (regex) {
    for (const link of snap.links) {
      const matched = usableIPv4(link).find((ip) => regex.test(ip));
      if (matched) {
        iface = link;
        ifaceAddr = matched;
        break;
      }
    }
    iface ??= snap.links.find((l) => regex.test(l.name));
    if (!iface) {
      const available = snap.links.map((l) => `${l.name}:[${usableIPv4(l).join(' ')}]`).join(', ');
      return {
        error: `Could not match pattern ${ifregexText} to any of the available network interfaces (${available})`,
      };
    }
  } else if (ifcanreach !== '') {
    info(SOURCES.canReach, `Determining interface to use based on given ifcanreach: ${ifcanreach}`);
    const route = snap.routeGet.get(ifcanreach) ?? { error: 'invalid argument' };
    if ('error' in route)
      return {
        error: `failed to get ifcanreach based interface: couldn't lookup route to ${ifcanreach}: ${route.error}`,
      };
    iface = snap.links.find((l) => l.name === route.dev);
    if (!iface)
      return {
        error:
          "failed to get ifcanreach based interface: couldn't lookup interface: no such network interface",
      };
    ifaceAddr = route.prefsrc;
  } else {
    info(SOURCES.defaultIface, 'Determining IP address of default interface');
    const route = snap.defaultRoutes[0];
    if (!route) return { error: 'failed to get default interface: unable to find default route' };
    iface = snap.links.find((l) => l.name === route.dev);
    if (!iface)
      return {
        error: 'failed to get default interface: found default route but could not determine interface',
      };
  }
  if (ifaceAddr === undefined) {
    const addrs = usableIPv4(iface);
    if (addrs.length === 0) return { error: `failed to find IPv4 address for interface ${iface.name}` };
    ifaceAddr = addrs[0]!;
  }
  info(SOURCES.usingIface, `Using interface with name ${iface.name} and address ${ifaceAddr}`);
  if (iface.mtu === 0) return { error: `failed to determine MTU for ${ifaceAddr} interface` };
  let extAddr = ifaceAddr;
  if (publicIP !== '') {
    if (!isIPv4(publicIP)) return { error: `invalid public IP address: ${publicIP}` };
    extAddr = publicIP;
    info(SOURCES.usingExternal, `Using ${publicIP} as external address`);
  } else {
    info(SOURCES.defaulting, `Defaulting external address to interface address (${ifaceAddr})`);
  }
  return { ext: { iface, ifaceAddr, extAddr } };
}

export function selectExternalInterface(input: SelectionInput, snap: KernelSnapshot): Selection {
  const logs: LogEntry[] = [];
  const fatal = (source: string, message: string): Selection => {
    logs.push({ severity: 'E', source, message });
    return { ok: false, logs };
  };
  if (input.iface.length === 0 && input.ifaceRegex.length === 0 && input.ifaceCanReach === '') {
    const name = input.publicIP !== '' ? input.publicIP : input.publicIPv6;
    const r = lookupExtIface(snap, logs, name, '', '', input.publicIP);
    if ('error' in r)
      return fatal(SOURCES.noValidIface, `Failed to find any valid interface to use: ${r.error}`);
    return { ok: true, ext: r.ext, logs };
  }
  for (const name of input.iface) {
    const r = lookupExtIface(snap, logs, name, '', '', input.publicIP);
    if ('ext' in r) return { ok: true, ext: r.ext, logs };
    logs.push({
      severity: 'I',
      source: SOURCES.noIfaceMatch,
      message: `Could not find valid interface matching ${name}: ${r.error}`,
    });
  }
  for (const re of input.ifaceRegex) {
    const r = lookupExtIface(snap, logs, '', re, '', input.publicIP);
    if ('ext' in r) return { ok: true, ext: r.ext, logs };
    logs.push({
      severity: 'I',
      source: SOURCES.noRegexMatch,
      message: `Could not find valid interface matching ${re}: ${r.error}`,
    });
  }
  if (input.ifaceCanReach !== '') {
    const r = lookupExtIface(snap, logs, '', '', input.ifaceCanReach, input.publicIP);
    if ('ext' in r) return { ok: true, ext: r.ext, logs };
    logs.push({
      severity: 'I',
      source: SOURCES.noCanReachMatch,
      message: `Could not find valid interface matching ifaceCanReach: ${input.ifaceCanReach}: ${r.error}`,
    });
  }
  return fatal(
    SOURCES.noMatchFatal,
    'Failed to find interface to use that matches the interfaces and/or regexes provided',
  );
}
