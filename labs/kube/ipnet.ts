/** IPv4 arithmetic shared by allocators, validation and the dataplane. */

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${ip}`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`not an IPv4 address: ${ip}`);
    n = n * 256 + Number(p);
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function isIPv4(ip: unknown): ip is string {
  if (typeof ip !== 'string') return false;
  try {
    ipToInt(ip);
    return !/(^|\.)0\d/.test(ip);
  } catch {
    return false;
  }
}

export interface Cidr {
  base: number;
  bits: number;
  size: number;
}

export function parseCidr(cidr: string): Cidr {
  const [ip, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (!isIPv4(ip) || !/^\d{1,2}$/.test(bitsText ?? '') || bits > 32)
    throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const size = 2 ** (32 - bits);
  const base = Math.floor(ipToInt(ip) / size) * size;
  return { base, bits, size };
}

export function cidrContains(cidr: string | Cidr, ip: string): boolean {
  const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  const n = ipToInt(ip);
  return n >= c.base && n < c.base + c.size;
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.bits}`;
}

/** The n-th subnet of `prefixBits` inside `cidr`: subnet('10.244.0.0/16', 24, 2) = '10.244.2.0/24'. */
export function subnet(cidr: string, prefixBits: number, index: number): string {
  const c = parseCidr(cidr);
  const size = 2 ** (32 - prefixBits);
  return `${intToIp(c.base + index * size)}/${prefixBits}`;
}

/** Address `offset` within the network: hostAddress('10.244.1.0/24', 1) = '10.244.1.1'. */
export function hostAddress(cidr: string, offset: number): string {
  return intToIp(parseCidr(cidr).base + offset);
}
