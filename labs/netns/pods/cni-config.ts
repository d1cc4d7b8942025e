/**
 * What containerd and the flannel CNI plugin read when a pod sandbox is set up: the first network
 * configuration in the node's /etc/cni/net.d, and flanneld's /run/flannel/subnet.env. Both are read
 * from the node's files at every sandbox creation, so the order in which flannel writes them shows
 * in pods exactly as on a real node (ContainerCreating until flanneld has written its subnet).
 *
 * Failures carry the words containerd and the plugins use; the kubelet prefixes them with
 * `failed to setup network for sandbox "<id>": `.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Cidr, cidrContains, formatCidr, intToIp, isIPv4, parseCidr } from '../../kube/ipnet.ts';

export const CNI_CONF_DIR = '/etc/cni/net.d';
export const CNI_BIN_DIR = '/opt/cni/bin';
export const FLANNEL_SUBNET_FILE = '/run/flannel/subnet.env';
export const FLANNEL_DATA_DIR = '/var/lib/cni/flannel';
export const HOST_LOCAL_DATA_DIR = '/var/lib/cni/networks';

/** go-cni's answer while no network configuration could be loaded. */
export const CNI_NOT_INITIALIZED = 'cni plugin not initialized';

/** A failure of CNI ADD/DEL; `message` is what containerd reports, verbatim. */
export class CniError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CniError';
  }
}

export type PluginConf = Record<string, unknown> & { type: string };

export interface NetworkConfigList {
  name: string;
  cniVersion: string;
  plugins: PluginConf[];
  /** File it came from, inside the node. */
  file: string;
}

/** flanneld's subnet lease as written to subnet.env. */
export interface FlannelSubnetEnv {
  /** FLANNEL_NETWORK, the whole pod network. */
  network: string;
  /** FLANNEL_SUBNET as a network (10.244.1.1/24 -> 10.244.1.0/24). */
  subnet: string;
  mtu: number;
  ipMasq: boolean;
}

/** The bridge plugin configuration a pod's network is set up from (after flannel's delegation). */
export interface BridgeConf {
  name: string;
  cniVersion: string;
  type: 'bridge';
  bridge: string;
  isGateway: boolean;
  isDefaultGateway: boolean;
  ipMasq: boolean;
  hairpinMode: boolean;
  mtu: number;
  ipam: HostLocalConf;
}

export interface HostLocalConf {
  type: 'host-local';
  subnet: string;
  rangeStart: string;
  rangeEnd: string;
  gateway: string;
  routes: { dst: string; gw?: string }[];
  dataDir: string;
}

const CONF_EXTENSIONS = ['.conf', '.conflist', '.json'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parse one file as libcni does: a `.conflist` (or any file with `plugins`) is a list; a single
 * plugin configuration becomes a list of one. Throws with the reason on malformed input.
 */
export function parseNetworkConfig(text: string, file: string): NetworkConfigList {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`error parsing configuration list: ${(e as Error).message}`);
  }
  if (!isObject(raw)) throw new Error('error parsing configuration: not a JSON object');
  const name = typeof raw.name === 'string' ? raw.name : '';
  const cniVersion = typeof raw.cniVersion === 'string' ? raw.cniVersion : '';
  if (!name) throw new Error('error parsing configuration list: no name');
  let plugins: unknown[];
  if ('plugins' in raw) {
    if (!Array.isArray(raw.plugins))
      throw new Error('error parsing configuration list: invalid plugins list');
    plugins = raw.plugins;
  } else {
    plugins = [raw];
  }
  const out: PluginConf[] = [];
  for (const p of plugins) {
    if (!isObject(p) || typeof p.type !== 'string' || !p.type)
      throw new Error("error parsing configuration: missing 'type'");
    out.push(p as PluginConf);
  }
  return { name, cniVersion, plugins: out, file };
}

export type LoadedNetwork =
  | { ok: true; network: NetworkConfigList }
  | { ok: false; reason: 'missing' | 'invalid'; detail: string };

/** The network containerd uses: the first configuration file of the directory, in name order. */
export async function loadNetworkConfig(nodeRoot: string): Promise<LoadedNetwork> {
  const dir = join(nodeRoot, CNI_CONF_DIR);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { ok: false, reason: 'missing', detail: `no network config found in ${CNI_CONF_DIR}` };
  }
  const files = names.filter((n) => CONF_EXTENSIONS.some((ext) => n.endsWith(ext))).sort();
  if (files.length === 0)
    return { ok: false, reason: 'missing', detail: `no network config found in ${CNI_CONF_DIR}` };
  const file = `${CNI_CONF_DIR}/${files[0]}`;
  try {
    const network = parseNetworkConfig(await readFile(join(dir, files[0]), 'utf8'), file);
    if (network.plugins.length === 0)
      return { ok: false, reason: 'invalid', detail: `CNI config list ${file} has no networks` };
    return { ok: true, network };
  } catch (e) {
    return {
      ok: false,
      reason: 'invalid',
      detail: `failed to load CNI config list file ${file}: ${(e as Error).message}`,
    };
  }
}

/** Go's net.ParseCIDR error. */
function parseGoCidr(text: string): Cidr {
  const [ip, bits] = text.split('/');
  if (!isIPv4(ip) || bits === undefined || !/^\d{1,2}$/.test(bits) || Number(bits) > 32)
    throw new CniError(`invalid CIDR address: ${text}`);
  return parseCidr(text);
}

/**
 * flannel's loadFlannelSubnetEnv: reads the file inside the node (`subnetFile`, default
 * /run/flannel/subnet.env) and names what is missing, in the plugin's words.
 */
export async function loadFlannelSubnetEnv(
  nodeRoot: string,
  subnetFile = FLANNEL_SUBNET_FILE,
): Promise<FlannelSubnetEnv> {
  let text: string;
  try {
    text = await readFile(join(nodeRoot, subnetFile), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file or directory'
        : code === 'EACCES'
          ? 'permission denied'
          : (e as Error).message;
    throw new CniError(`open ${subnetFile}: ${why}`);
  }
  let network: Cidr | undefined;
  let subnet: Cidr | undefined;
  let mtu: number | undefined;
  let ipMasq: boolean | undefined;
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    const value = eq < 0 ? '' : line.slice(eq + 1);
    switch (key) {
      case 'FLANNEL_NETWORK':
        network = parseGoCidr(value);
        break;
      case 'FLANNEL_SUBNET':
        subnet = parseGoCidr(value);
        break;
      case 'FLANNEL_MTU':
        if (!/^\d+$/.test(value) || Number(value) > 0xffffffff)
          throw new CniError(`strconv.ParseUint: parsing ${JSON.stringify(value)}: invalid syntax`);
        mtu = Number(value);
        break;
      case 'FLANNEL_IPMASQ':
        ipMasq = value === 'true';
        break;
    }
  }
  const missing: string[] = [];
  if (!network) missing.push('FLANNEL_NETWORK', 'FLANNEL_IPV6_NETWORK');
  if (!subnet) missing.push('FLANNEL_SUBNET', 'FLANNEL_IPV6_SUBNET');
  if (mtu === undefined) missing.push('FLANNEL_MTU');
  if (ipMasq === undefined) missing.push('FLANNEL_IPMASQ');
  if (missing.length > 0) throw new CniError(`${subnetFile} is missing ${missing.join(', ')}`);
  return { network: formatCidr(network!), subnet: formatCidr(subnet!), mtu: mtu!, ipMasq: ipMasq! };
}

function bool(v: unknown, fallback: boolean): boolean {
  return typeof v === 'boolean' ? v : fallback;
}

/** host-local's defaults for a range: .1 to the last address before broadcast, gateway .1. */
export function hostLocalConf(
  subnet: string,
  routes: HostLocalConf['routes'],
  dataDir = HOST_LOCAL_DATA_DIR,
): HostLocalConf {
  const c = parseCidr(subnet);
  return {
    type: 'host-local',
    subnet: formatCidr(c),
    rangeStart: intToIp(c.base + 1),
    rangeEnd: intToIp(c.base + c.size - 2),
    gateway: intToIp(c.base + 1),
    routes,
    dataDir,
  };
}

/**
 * flannel's doCmdAdd: the delegate from the conflist, completed from subnet.env (type bridge,
 * ipMasq when flanneld does not masquerade, the MTU, isGateway, host-local over FLANNEL_SUBNET
 * with a route to FLANNEL_NETWORK). Returns the bridge configuration and the JSON flannel keeps
 * in its data dir for DEL.
 */
export function flannelDelegate(
  network: NetworkConfigList,
  plugin: PluginConf,
  env: FlannelSubnetEnv,
): { conf: BridgeConf; rendered: Record<string, unknown> } {
  const given = isObject(plugin.delegate) ? { ...plugin.delegate } : {};
  if ('type' in given && typeof given.type !== 'string')
    throw new CniError(`'delegate' dictionary, if present, must have (string) 'type' field`);
  if ('name' in given)
    throw new CniError(`'delegate' dictionary must not have 'name' field, it'll be set by flannel`);
  if ('ipam' in given)
    throw new CniError(`'delegate' dictionary must not have 'ipam' field, it'll be set by flannel`);
  const rendered: Record<string, unknown> = { ...given, name: network.name };
  rendered.type ??= 'bridge';
  rendered.ipMasq ??= !env.ipMasq;
  rendered.mtu ??= env.mtu;
  if (rendered.type === 'bridge') rendered.isGateway ??= true;
  if (network.cniVersion) rendered.cniVersion = network.cniVersion;
  const routes = [{ dst: env.network }];
  rendered.ipam = { type: 'host-local', ranges: [[{ subnet: env.subnet }]], routes };
  if (rendered.type !== 'bridge') {
    throw new CniError(
      `failed to delegate add: failed to find plugin "${String(rendered.type)}" in path [${CNI_BIN_DIR}]`,
    );
  }
  const isDefaultGateway = bool(rendered.isDefaultGateway, false);
  const conf: BridgeConf = {
    name: network.name,
    cniVersion: network.cniVersion,
    type: 'bridge',
    bridge: typeof rendered.bridge === 'string' && rendered.bridge ? rendered.bridge : 'cni0',
    isGateway: bool(rendered.isGateway, false) || isDefaultGateway,
    isDefaultGateway,
    ipMasq: bool(rendered.ipMasq, false),
    hairpinMode: bool(rendered.hairpinMode, false),
    mtu: typeof rendered.mtu === 'number' && rendered.mtu > 0 ? rendered.mtu : 1500,
    ipam: hostLocalConf(env.subnet, routes),
  };
  return { conf, rendered };
}

/** A bridge plugin used directly in the conflist (no flannel): its own host-local ipam. */
export function directBridge(network: NetworkConfigList, plugin: PluginConf): BridgeConf {
  const ipam = isObject(plugin.ipam) ? plugin.ipam : {};
  if (ipam.type !== 'host-local') {
    throw new CniError(`failed to find plugin "${String(ipam.type ?? '')}" in path [${CNI_BIN_DIR}]`);
  }
  let subnet = typeof ipam.subnet === 'string' ? ipam.subnet : undefined;
  const ranges = ipam.ranges;
  if (!subnet && Array.isArray(ranges) && Array.isArray(ranges[0]) && isObject(ranges[0][0])) {
    subnet = typeof ranges[0][0].subnet === 'string' ? ranges[0][0].subnet : undefined;
  }
  if (!subnet) throw new CniError('no IP ranges specified');
  parseGoCidr(subnet);
  const routes = Array.isArray(ipam.routes)
    ? ipam.routes
        .filter(isObject)
        .map((r) => ({ dst: String(r.dst), ...(typeof r.gw === 'string' ? { gw: r.gw } : {}) }))
    : [];
  const isDefaultGateway = bool(plugin.isDefaultGateway, false);
  const local = hostLocalConf(
    subnet,
    routes,
    typeof ipam.dataDir === 'string' ? ipam.dataDir : HOST_LOCAL_DATA_DIR,
  );
  if (typeof ipam.gateway === 'string' && cidrContains(subnet, ipam.gateway)) local.gateway = ipam.gateway;
  return {
    name: network.name,
    cniVersion: network.cniVersion,
    type: 'bridge',
    bridge: typeof plugin.bridge === 'string' && plugin.bridge ? plugin.bridge : 'cni0',
    isGateway: bool(plugin.isGateway, false) || isDefaultGateway,
    isDefaultGateway,
    ipMasq: bool(plugin.ipMasq, false),
    hairpinMode: bool(plugin.hairpinMode, false),
    mtu: typeof plugin.mtu === 'number' && plugin.mtu > 0 ? plugin.mtu : 1500,
    ipam: local,
  };
}
