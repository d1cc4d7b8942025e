/**
 * IP address text <-> octets, and the reverse-lookup names (in-addr.arpa / ip6.arpa) built from them.
 * Parsing is strict the way Go's net.ParseIP is since Go 1.17: no leading zeros in IPv4 octets.
 */

export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

export function parseIPv6(text: string): Uint8Array | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
        continue;
      }
      if (!/^[0-9A-Fa-f]{1,4}$/.test(p)) return undefined;
      out.push(Number.parseInt(p, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1 && head.length !== 8) return undefined;
  if (halves.length === 2 && head.length + tail.length > 7) return undefined;
  const all = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run of two or more zero groups as "::". */
export function formatIPv6(bytes: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((bytes[i] << 8) | bytes[i + 1]);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestStart === -1) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

export type IPFamily = 4 | 6;

/** Canonical text and family of an address, or undefined when it is not one. */
export function parseIP(text: string): { address: string; family: IPFamily } | undefined {
  const v4 = parseIPv4(text);
  if (v4) return { address: Array.from(v4).join('.'), family: 4 };
  const v6 = parseIPv6(text);
  if (v6) return { address: formatIPv6(v6), family: 6 };
  return undefined;
}

/**
 * The address a reverse name stands for: 4.3.2.1.in-addr.arpa. -> 1.2.3.4, 32 nibbles under
 * ip6.arpa -> an IPv6 address; anything else (a partial name, a bad label) -> undefined.
 */
export function addressFromReverse(name: string): string | undefined {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (n.endsWith('.in-addr.arpa')) {
    const parts = n.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4) return undefined;
    const ip = parts.reverse().join('.');
    return parseIPv4(ip) ? ip : undefined;
  }
  if (n.endsWith('.ip6.arpa')) {
    const nibbles = n.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || nibbles.some((x) => !/^[0-9a-f]$/.test(x))) return undefined;
    const hex = nibbles.reverse().join('');
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    return formatIPv6(bytes);
  }
  return undefined;
}

/** 10.96.0.10 -> 10.0.96.10.in-addr.arpa. (and the nibble form for IPv6). */
export function reverseName(ip: string): string | undefined {
  const v4 = parseIPv4(ip);
  if (v4) return `${Array.from(v4).reverse().join('.')}.in-addr.arpa.`;
  const v6 = parseIPv6(ip);
  if (!v6) return undefined;
  const nibbles: string[] = [];
  for (const b of v6) nibbles.push((b >> 4).toString(16), (b & 0xf).toString(16));
  return `${nibbles.reverse().join('.')}.ip6.arpa.`;
}
