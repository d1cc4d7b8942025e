/**
 * The ConfigMap's net-conf.json as flannel's subnet.ParseConfig reads it: Go's encoding/json matches
 * field names case-insensitively, EnableIPv4 defaults to true, a missing Backend.Type means "udp".
 * Only what an IPv4 vxlan lab needs is modelled; the backend's own keys (VNI, Port, GBP, Learning,
 * DirectRouting) are read by `vxlanBackendConfig`.
 */
import { formatCidr, parseCidr } from '../../kube/ipnet.ts';

export interface NetConf {
  enableIPv4: boolean;
  enableIPv6: boolean;
  enableNFTables: boolean;
  /** The cluster network in canonical CIDR form, e.g. 10.244.0.0/16. */
  network: string;
  backendType: string;
  /** The raw Backend object (for the backend's own settings). */
  backend: Record<string, unknown>;
}

export interface VxlanBackendConfig {
  vni: number;
  port: number;
  gbp: boolean;
  learning: boolean;
  directRouting: boolean;
  /** MTU of the external interface when the config does not set one. */
  mtu?: number;
}

/** The value of `key` in `obj`, matching the name case-insensitively as encoding/json does. */
function field(obj: Record<string, unknown>, key: string): unknown {
  if (key in obj) return obj[key];
  const lower = key.toLowerCase();
  const found = Object.keys(obj).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : obj[found];
}

function typeError(value: unknown, goType: string, fieldName: string): Error {
  const jsonType = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return new Error(
    `json: cannot unmarshal ${jsonType} into Go struct field Config.${fieldName} of type ${goType}`,
  );
}

/** Parse net-conf.json; errors carry the text flanneld would put after `error parsing subnet config: `. */
export function parseNetConf(text: string): NetConf {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`invalid character in JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(
      `json: cannot unmarshal ${Array.isArray(raw) ? 'array' : typeof raw} into Go value of type subnet.Config`,
    );
  const obj = raw as Record<string, unknown>;
  const bool = (name: string, dflt: boolean): boolean => {
    const v = field(obj, name);
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') throw typeError(v, 'bool', name);
    return v;
  };
  const enableIPv4 = bool('EnableIPv4', true);
  const enableIPv6 = bool('EnableIPv6', false);
  const enableNFTables = bool('EnableNFTables', false);
  const networkRaw = field(obj, 'Network');
  let network = '';
  if (networkRaw !== undefined && networkRaw !== null) {
    if (typeof networkRaw !== 'string') throw typeError(networkRaw, 'ip.IP4Net', 'Network');
    try {
      network = formatCidr(parseCidr(networkRaw));
    } catch {
      throw new Error(`invalid CIDR address: ${networkRaw}`);
    }
  }
  if (enableIPv4 && network === '')
    throw new Error('please define a correct Network parameter in the flannel config');
  const backendRaw = field(obj, 'Backend');
  let backend: Record<string, unknown> = {};
  if (backendRaw !== undefined && backendRaw !== null) {
    if (typeof backendRaw !== 'object' || Array.isArray(backendRaw))
      throw new Error('error decoding Backend property of config: json: cannot unmarshal into Go value');
    backend = backendRaw as Record<string, unknown>;
  }
  const type = field(backend, 'Type');
  const backendType = typeof type === 'string' && type !== '' ? type : 'udp';
  return { enableIPv4, enableIPv6, enableNFTables, network, backendType, backend };
}

/** The vxlan backend's settings (vxlan.go RegisterNetwork defaults: VNI 1, everything else off). */
export function vxlanBackendConfig(conf: NetConf): VxlanBackendConfig {
  const b = conf.backend;
  const num = (name: string, dflt: number): number => {
    const v = field(b, name);
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw new Error(
        `error decoding VXLAN backend config: json: cannot unmarshal ${typeof v} into Go struct field .${name} of type int`,
      );
    return v;
  };
  const bool = (name: string): boolean => {
    const v = field(b, name);
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean')
      throw new Error(
        `error decoding VXLAN backend config: json: cannot unmarshal ${typeof v} into Go struct field .${name} of type bool`,
      );
    return v;
  };
  const mtu = field(b, 'MTU');
  return {
    vni: num('VNI', 1),
    port: num('Port', 0),
    gbp: bool('GBP'),
    learning: bool('Learning'),
    directRouting: bool('DirectRouting'),
    ...(typeof mtu === 'number' && mtu > 0 ? { mtu } : {}),
  };
}
