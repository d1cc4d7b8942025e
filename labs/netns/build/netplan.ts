/**
 * The node's persistent network configuration as netplan YAML: rendered from the topology when a
 * lab is built, parsed back whenever the node (re)boots. Parsing is strict in the way netplan is
 * strict - an unknown key or a malformed address is an error with a path, not a silent no-op - so a
 * learner who mistypes `adresses:` learns it at reboot, not by puzzling over a missing address.
 *
 * Only what these labs need is supported (ethernets with addresses, DHCPv4, routes, MTU, MAC,
 * match/set-name, nameservers); bridges, bonds, VLANs and routing policy are rejected with a
 * message saying so.
 */
import { parseDocument, stringify } from 'yaml';
import { isCidr, isIPv4, isNetworkAddress, isUsableHostAddress, networkCidr } from '../../topology/ipv4.ts';
import type { Dhcp4Overrides, NodeSpec, RouteSpec } from '../../topology/types.ts';

export interface EthernetConfig {
  match?: { macaddress?: string; name?: string };
  /** Rename the matched NIC (netplan `set-name`, needs `match`). */
  setName?: string;
  /** Set this MAC on the NIC (netplan `macaddress`). */
  macaddress?: string;
  addresses: string[];
  dhcp4: boolean;
  dhcp4Overrides?: Dhcp4Overrides;
  mtu?: number;
  routes: RouteSpec[];
  nameservers?: { addresses: string[]; search: string[] };
  optional?: boolean;
}

/** Parsed netplan: `network.ethernets` by netplan id. */
export interface NetworkConfig {
  ethernets: Record<string, EthernetConfig>;
}

export interface NetplanFile {
  /** File name for messages, e.g. `50-cloud-init.yaml`. */
  name: string;
  text: string;
}

export class PersistentConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      problems.length === 1
        ? `invalid netplan configuration: ${problems[0]}`
        : `invalid netplan configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
    this.name = 'PersistentConfigError';
    this.problems = problems;
  }
}

const HEADER = [
  '# Network configuration of this node, read at every boot (svc-labs).',
  '# Edit it, then reboot the node (`labctl reboot <lab> <node>`) to apply it;',
  '# changes made only with `ip` are gone after a reboot.',
].join('\n');

/** The netplan YAML a node boots from, cloud-init style (match by MAC, set-name). */
export function renderPersistentConfig(node: NodeSpec): string {
  const ethernets: Record<string, unknown> = {};
  for (const nic of node.nics) {
    const e: Record<string, unknown> = { match: { macaddress: nic.mac }, 'set-name': nic.name };
    if (nic.dhcp4) e.dhcp4 = true;
    if (nic.dhcp4Overrides) {
      const o: Record<string, unknown> = {};
      if (nic.dhcp4Overrides.useRoutes !== undefined) o['use-routes'] = nic.dhcp4Overrides.useRoutes;
      if (nic.dhcp4Overrides.routeMetric !== undefined) o['route-metric'] = nic.dhcp4Overrides.routeMetric;
      e['dhcp4-overrides'] = o;
    }
    if (nic.addresses.length > 0) e.addresses = [...nic.addresses];
    if (nic.mtu !== undefined) e.mtu = nic.mtu;
    if (nic.routes.length > 0) e.routes = nic.routes.map(renderRoute);
    if (nic.nameservers) {
      e.nameservers = {
        addresses: [...nic.nameservers.addresses],
        ...(nic.nameservers.search?.length ? { search: [...nic.nameservers.search] } : {}),
      };
    }
    ethernets[nic.name] = e;
  }
  return renderNetworkDocument(ethernets);
}

/** Render an already parsed configuration (e.g. after a scenario edited it). */
export function renderNetworkConfig(config: NetworkConfig): string {
  const ethernets: Record<string, unknown> = {};
  for (const [id, c] of Object.entries(config.ethernets)) {
    const e: Record<string, unknown> = {};
    if (c.match) e.match = { ...c.match };
    if (c.setName) e['set-name'] = c.setName;
    if (c.macaddress) e.macaddress = c.macaddress;
    if (c.dhcp4) e.dhcp4 = true;
    if (c.dhcp4Overrides) {
      const o: Record<string, unknown> = {};
      if (c.dhcp4Overrides.useRoutes !== undefined) o['use-routes'] = c.dhcp4Overrides.useRoutes;
      if (c.dhcp4Overrides.routeMetric !== undefined) o['route-metric'] = c.dhcp4Overrides.routeMetric;
      e['dhcp4-overrides'] = o;
    }
    if (c.addresses.length > 0) e.addresses = [...c.addresses];
    if (c.mtu !== undefined) e.mtu = c.mtu;
    if (c.routes.length > 0) e.routes = c.routes.map(renderRoute);
    if (c.nameservers) e.nameservers = { ...c.nameservers };
    if (c.optional !== undefined) e.optional = c.optional;
    ethernets[id] = e;
  }
  return renderNetworkDocument(ethernets);
}

function renderNetworkDocument(ethernets: Record<string, unknown>): string {
  return `${HEADER}\n${stringify({ network: { version: 2, ethernets } }, { indent: 2, lineWidth: 0 })}`;
}

function renderRoute(r: RouteSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { to: r.to };
  if (r.via !== undefined) out.via = r.via;
  if (r.from !== undefined) out.from = r.from;
  if (r.metric !== undefined) out.metric = r.metric;
  if (r.scope !== undefined) out.scope = r.scope;
  if (r.onLink) out['on-link'] = true;
  if (r.table !== undefined) out.table = r.table;
  return out;
}

/** Parse one netplan file. Throws PersistentConfigError (YAML syntax with line:column, or key paths). */
export function parsePersistentConfig(text: string, fileName = '50-cloud-init.yaml'): NetworkConfig {
  return parseNetplanFiles([{ name: fileName, text }]);
}

/**
 * Parse several netplan files the way `netplan generate` combines /etc/netplan/*.yaml: in
 * lexicographic order, later files override scalars, extend sequences and merge mappings.
 */
export function parseNetplanFiles(files: NetplanFile[]): NetworkConfig {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const problems: string[] = [];
  let merged: unknown = {};
  for (const file of sorted) {
    const doc = parseDocument(file.text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const pos = err.linePos?.[0];
        const where = pos ? `${file.name}:${pos.line}:${pos.col}` : file.name;
        problems.push(`${where}: ${firstLine(err.message).replace(/ at line \d+, column \d+:?$/, '')}`);
      }
      continue;
    }
    const value = doc.toJS();
    if (value === null || value === undefined) continue; // an empty file is allowed
    if (!isMapping(value)) {
      problems.push(`${file.name}: the document is not a mapping (expected "network:" at the top)`);
      continue;
    }
    merged = mergeNetplan(merged, value);
  }
  if (problems.length > 0) throw new PersistentConfigError(problems);
  const where = sorted.length === 1 ? `${sorted[0].name}: ` : '';
  const config = toNetworkConfig(merged, (p) => problems.push(`${where}${p}`));
  if (problems.length > 0) throw new PersistentConfigError(problems);
  return config;
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergeNetplan(a: unknown, b: unknown): unknown {
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (isMapping(a) && isMapping(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? mergeNetplan(out[k], v) : v;
    return out;
  }
  return b;
}

const NETWORK_KEYS = ['version', 'renderer', 'ethernets'];
const UNSUPPORTED_SECTIONS = [
  'bridges',
  'bonds',
  'vlans',
  'tunnels',
  'wifis',
  'vrfs',
  'modems',
  'dummy-devices',
  'virtual-ethernets',
  'nm-devices',
];
const ETHERNET_KEYS = [
  'addresses',
  'dhcp4',
  'dhcp6',
  'dhcp4-overrides',
  'gateway4',
  'mtu',
  'macaddress',
  'match',
  'set-name',
  'routes',
  'nameservers',
  'optional',
  'accept-ra',
  'link-local',
  'critical',
  'renderer',
  'wakeonlan',
];
const UNSUPPORTED_ETHERNET_KEYS = [
  'routing-policy',
  'gateway6',
  'dhcp6-overrides',
  'ipv6-address-generation',
];
const ROUTE_KEYS = ['to', 'via', 'from', 'metric', 'scope', 'on-link', 'table', 'type'];
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

function toNetworkConfig(doc: unknown, problem: (p: string) => void): NetworkConfig {
  const config: NetworkConfig = { ethernets: {} };
  if (!isMapping(doc) || !('network' in doc)) {
    problem('network: missing (expected a top-level "network:" mapping)');
    return config;
  }
  for (const key of Object.keys(doc)) {
    if (key !== 'network') problem(`${key}: unknown top-level key (expected only "network")`);
  }
  const net = doc.network;
  if (!isMapping(net)) {
    problem('network: is not a mapping (expected version: 2 and ethernets:)');
    return config;
  }
  for (const key of Object.keys(net)) {
    if (UNSUPPORTED_SECTIONS.includes(key))
      problem(`network.${key}: ${key} are not supported in these labs (only ethernets)`);
    else if (!NETWORK_KEYS.includes(key))
      problem(`network.${key}: unknown key (expected one of ${NETWORK_KEYS.join(', ')})`);
  }
  if (net.version !== 2)
    problem(`network.version: ${JSON.stringify(net.version)} is not supported (expected 2)`);
  if (net.renderer !== undefined && net.renderer !== 'networkd' && net.renderer !== 'NetworkManager')
    problem(
      `network.renderer: ${JSON.stringify(net.renderer)} is not a renderer (expected networkd or NetworkManager)`,
    );
  if (net.ethernets === undefined || net.ethernets === null) return config;
  if (!isMapping(net.ethernets)) {
    problem('network.ethernets: is not a mapping (expected interface ids as keys)');
    return config;
  }
  for (const [id, raw] of Object.entries(net.ethernets)) {
    config.ethernets[id] = toEthernet(`network.ethernets.${id}`, raw, problem);
  }
  return config;
}

function toEthernet(path: string, raw: unknown, problem: (p: string) => void): EthernetConfig {
  const e: EthernetConfig = { addresses: [], dhcp4: false, routes: [] };
  if (raw === null || raw === undefined) return e;
  if (!isMapping(raw)) {
    problem(`${path}: is not a mapping (expected settings such as addresses:)`);
    return e;
  }
  for (const key of Object.keys(raw)) {
    if (UNSUPPORTED_ETHERNET_KEYS.includes(key)) problem(`${path}.${key}: not supported in these labs`);
    else if (!ETHERNET_KEYS.includes(key))
      problem(`${path}.${key}: unknown key (expected one of ${ETHERNET_KEYS.join(', ')})`);
  }
  if (raw.addresses !== undefined) {
    if (!Array.isArray(raw.addresses))
      problem(`${path}.addresses: is not a list (expected e.g. [192.168.56.12/24])`);
    else
      raw.addresses.forEach((a, i) => {
        if (!isCidr(a))
          problem(`${path}.addresses[${i}]: ${show(a)} is not an IPv4 CIDR (expected e.g. 192.168.56.12/24)`);
        else if (!isUsableHostAddress(a))
          problem(`${path}.addresses[${i}]: ${a} is a network or broadcast address`);
        else e.addresses.push(a);
      });
  }
  const dhcp4 = bool(`${path}.dhcp4`, raw.dhcp4, problem);
  if (dhcp4 !== undefined) e.dhcp4 = dhcp4;
  if (raw['dhcp4-overrides'] !== undefined)
    e.dhcp4Overrides = overrides(`${path}.dhcp4-overrides`, raw['dhcp4-overrides'], problem);
  if (raw.gateway4 !== undefined) {
    if (!isIPv4(raw.gateway4)) problem(`${path}.gateway4: ${show(raw.gateway4)} is not an IPv4 address`);
    else e.routes.push({ to: 'default', via: raw.gateway4 });
  }
  if (raw.mtu !== undefined) {
    const mtu = int(raw.mtu);
    if (mtu === undefined || mtu < 68 || mtu > 65535)
      problem(`${path}.mtu: ${show(raw.mtu)} is not an MTU (expected 68-65535)`);
    else e.mtu = mtu;
  }
  if (raw.macaddress !== undefined) {
    if (typeof raw.macaddress !== 'string' || !MAC.test(raw.macaddress))
      problem(
        `${path}.macaddress: ${show(raw.macaddress)} is not a MAC address (expected e.g. 08:00:27:5a:1b:02)`,
      );
    else e.macaddress = raw.macaddress.toLowerCase();
  }
  if (raw.match !== undefined) {
    if (!isMapping(raw.match)) problem(`${path}.match: is not a mapping (expected macaddress: or name:)`);
    else {
      e.match = {};
      for (const key of Object.keys(raw.match)) {
        if (key !== 'macaddress' && key !== 'name')
          problem(`${path}.match.${key}: unsupported (expected macaddress or name)`);
      }
      if (raw.match.macaddress !== undefined) {
        if (typeof raw.match.macaddress !== 'string' || !MAC.test(raw.match.macaddress))
          problem(`${path}.match.macaddress: ${show(raw.match.macaddress)} is not a MAC address`);
        else e.match.macaddress = raw.match.macaddress.toLowerCase();
      }
      if (raw.match.name !== undefined) {
        if (typeof raw.match.name !== 'string' || raw.match.name === '')
          problem(`${path}.match.name: is not a name or glob`);
        else e.match.name = raw.match.name;
      }
    }
  }
  if (raw['set-name'] !== undefined) {
    const name = raw['set-name'];
    if (typeof name !== 'string' || name === '' || name.length > 15 || /[/:\s]/.test(name))
      problem(`${path}.set-name: ${show(name)} is not a Linux interface name (at most 15 characters)`);
    else if (!e.match)
      problem(`${path}.set-name: needs a match: section (netplan only renames matched devices)`);
    else e.setName = name;
  }
  if (raw.routes !== undefined) {
    if (!Array.isArray(raw.routes))
      problem(`${path}.routes: is not a list (expected entries with to: and via:)`);
    else
      raw.routes.forEach((r, i) => {
        const route = toRoute(`${path}.routes[${i}]`, r, problem);
        if (route) e.routes.push(route);
      });
  }
  if (raw.nameservers !== undefined) {
    const ns = raw.nameservers;
    if (!isMapping(ns)) problem(`${path}.nameservers: is not a mapping (expected addresses: and search:)`);
    else {
      const addresses = Array.isArray(ns.addresses) ? ns.addresses : [];
      addresses.forEach((a, i) => {
        if (!isIPv4(a)) problem(`${path}.nameservers.addresses[${i}]: ${show(a)} is not an IPv4 address`);
      });
      e.nameservers = {
        addresses: addresses.filter(isIPv4),
        search: Array.isArray(ns.search) ? ns.search.map(String) : [],
      };
    }
  }
  const optional = bool(`${path}.optional`, raw.optional, problem);
  if (optional !== undefined) e.optional = optional;
  return e;
}

function toRoute(path: string, raw: unknown, problem: (p: string) => void): RouteSpec | undefined {
  if (!isMapping(raw)) {
    problem(`${path}: is not a mapping (expected to: and via:)`);
    return undefined;
  }
  let ok = true;
  const fail = (p: string) => {
    problem(p);
    ok = false;
  };
  for (const key of Object.keys(raw)) {
    if (!ROUTE_KEYS.includes(key))
      fail(`${path}.${key}: unknown key (expected one of ${ROUTE_KEYS.join(', ')})`);
  }
  const route: RouteSpec = { to: '' };
  const to = raw.to;
  if (to === 'default' || to === '0.0.0.0/0') route.to = 'default';
  else if (typeof to === 'string' && isIPv4(to)) route.to = `${to}/32`;
  else if (!isCidr(to))
    fail(
      `${path}.to: ${show(to)} is not a destination (expected default or a network such as 172.24.0.0/13)`,
    );
  else if (!isNetworkAddress(to)) fail(`${path}.to: ${to} has host bits set (expected ${networkCidr(to)})`);
  else route.to = to;
  if (raw.via !== undefined) {
    if (!isIPv4(raw.via)) fail(`${path}.via: ${show(raw.via)} is not an IPv4 address`);
    else route.via = raw.via;
  }
  if (raw.from !== undefined) {
    if (!isIPv4(raw.from)) fail(`${path}.from: ${show(raw.from)} is not an IPv4 address`);
    else route.from = raw.from;
  }
  if (raw.metric !== undefined) {
    const metric = int(raw.metric);
    if (metric === undefined || metric < 0)
      fail(`${path}.metric: ${show(raw.metric)} is not a metric (expected an integer >= 0)`);
    else route.metric = metric;
  }
  if (raw.table !== undefined) {
    const table = int(raw.table);
    if (table === undefined || table < 1)
      fail(`${path}.table: ${show(raw.table)} is not a table id (expected an integer >= 1)`);
    else route.table = table;
  }
  if (raw.scope !== undefined) {
    if (raw.scope !== 'global' && raw.scope !== 'link' && raw.scope !== 'host')
      fail(`${path}.scope: ${show(raw.scope)} is not a scope (expected global, link or host)`);
    else route.scope = raw.scope;
  }
  const onLink = bool(`${path}.on-link`, raw['on-link'], fail);
  if (onLink) route.onLink = true;
  if (raw.type !== undefined && raw.type !== 'unicast')
    fail(`${path}.type: only unicast routes are supported`);
  // netplan itself refuses a unicast route with neither a gateway nor link scope.
  if (ok && route.via === undefined && route.scope !== 'link' && route.scope !== 'host')
    fail(
      `${path}: a route without via needs scope: link (a device route such as ip route add ${route.to} dev <nic>)`,
    );
  return ok ? route : undefined;
}

function overrides(path: string, raw: unknown, problem: (p: string) => void): Dhcp4Overrides {
  const out: Dhcp4Overrides = {};
  if (!isMapping(raw)) {
    problem(`${path}: is not a mapping (expected use-routes: / route-metric:)`);
    return out;
  }
  const known = [
    'use-routes',
    'route-metric',
    'use-dns',
    'use-ntp',
    'use-hostname',
    'use-domains',
    'use-mtu',
    'send-hostname',
  ];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) problem(`${path}.${key}: unknown key (expected one of ${known.join(', ')})`);
  }
  const useRoutes = bool(`${path}.use-routes`, raw['use-routes'], problem);
  if (useRoutes !== undefined) out.useRoutes = useRoutes;
  if (raw['route-metric'] !== undefined) {
    const metric = int(raw['route-metric']);
    if (metric === undefined || metric < 0)
      problem(`${path}.route-metric: ${show(raw['route-metric'])} is not a metric`);
    else out.routeMetric = metric;
  }
  return out;
}

function bool(path: string, v: unknown, problem: (p: string) => void): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === true || v === 'true' || v === 'yes' || v === 'on') return true;
  if (v === false || v === 'false' || v === 'no' || v === 'off') return false;
  problem(`${path}: ${show(v)} is not a boolean (expected true or false)`);
  return undefined;
}

function int(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^[0-9]+$/.test(v)) return Number(v);
  return undefined;
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
