/**
 * IPv4 arithmetic for topology validation and planning. Addresses are unsigned 32-bit numbers so
 * that containment and overlap are plain comparisons; strings are only parsed once at the edges.
 */

export interface Cidr {
  /** The address as written (may have host bits set: 192.168.56.12/24). */
  address: number;
  prefix: number;
}

const OCTET = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

export function isIPv4(text: unknown): text is string {
  return typeof text === 'string' && parseIPv4(text) !== undefined;
}

export function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIPv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^(3[0-2]|[12]?[0-9])$/.test(prefixText)) return undefined;
  return { address, prefix: Number(prefixText) };
}

export function isCidr(text: unknown): text is string {
  return typeof text === 'string' && parseCidr(text) !== undefined;
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function networkOf(cidr: Cidr): number {
  return (cidr.address & maskOf(cidr.prefix)) >>> 0;
}

export function broadcastOf(cidr: Cidr): number {
  return (networkOf(cidr) | ~maskOf(cidr.prefix)) >>> 0;
}

/** `192.168.56.12/24` -> `192.168.56.0/24`. */
export function networkCidr(text: string): string {
  const cidr = mustCidr(text);
  return `${formatIPv4(networkOf(cidr))}/${cidr.prefix}`;
}

/** The address part of `a.b.c.d/n`. */
export function addressOf(text: string): string {
  return text.slice(0, text.indexOf('/'));
}

export function isNetworkAddress(text: string): boolean {
  const cidr = mustCidr(text);
  return cidr.address === networkOf(cidr);
}

export function contains(network: string, address: string): boolean {
  const net = mustCidr(network);
  const ip = address.includes('/') ? mustCidr(address).address : parseIPv4(address);
  if (ip === undefined) return false;
  return (ip & maskOf(net.prefix)) >>> 0 === networkOf(net);
}

/** True when `inner` (a network) lies completely inside `outer`. */
export function containsNetwork(outer: string, inner: string): boolean {
  const o = mustCidr(outer);
  const i = mustCidr(inner);
  return i.prefix >= o.prefix && contains(outer, formatIPv4(networkOf(i)));
}

export function overlaps(a: string, b: string): boolean {
  const x = mustCidr(a);
  const y = mustCidr(b);
  const prefix = Math.min(x.prefix, y.prefix);
  return (x.address & maskOf(prefix)) >>> 0 === (y.address & maskOf(prefix)) >>> 0;
}

/** The n-th address of a network (n = 1 is the first host address). */
export function nthAddress(network: string, n: number): string {
  return formatIPv4((networkOf(mustCidr(network)) + n) >>> 0);
}

/** The i-th subnet of size /prefix inside `network`. */
export function nthSubnet(network: string, prefix: number, i: number): string {
  const base = networkOf(mustCidr(network));
  return `${formatIPv4((base + i * 2 ** (32 - prefix)) >>> 0)}/${prefix}`;
}

/** Host addresses are usable unless they are the network or broadcast address of a /0-/30. */
export function isUsableHostAddress(text: string): boolean {
  const cidr = mustCidr(text);
  if (cidr.prefix >= 31) return true;
  return cidr.address !== networkOf(cidr) && cidr.address !== broadcastOf(cidr);
}

function mustCidr(text: string): Cidr {
  const cidr = parseCidr(text);
  if (!cidr) throw new Error(`${text} is not an IPv4 CIDR`);
  return cidr;
}
