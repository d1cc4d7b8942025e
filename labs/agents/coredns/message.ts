/**
 * DNS wire format (RFC 1035, EDNS0 from RFC 6891): decode what clients send, encode what CoreDNS
 * answers. Names travel as presentation strings with a trailing dot ("hostnames.default.svc.cluster.local.");
 * bytes that are not printable ASCII, and dots or backslashes inside a label, are escaped (\DDD, \.)
 * so every label survives a decode/encode round trip.
 *
 * Decoding never trusts the packet: every read is bounds-checked, compression pointers must point
 * backwards and may be followed only a bounded number of times, and names are capped at 255 octets.
 * Anything malformed raises DnsFormatError and nothing else.
 */
import { formatIPv6, parseIPv4, parseIPv6 } from './ip.ts';

export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const CLASS = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;

export const OPCODE = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

/** EDNS option codes CoreDNS hands back when it echoes a client's OPT record. */
export const EDNS_OPTION = { NSID: 3, EXPIRE: 9, COOKIE: 10, TCP_KEEPALIVE: 11, PADDING: 12 } as const;

const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE).map(([k, v]) => [v, k]));
const CLASS_NAMES = new Map<number, string>(Object.entries(CLASS).map(([k, v]) => [v, k]));
const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([k, v]) => [v, k]));

/** "A", "SRV", or RFC 3597's "TYPE65" for types this codec has no name for. */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

export function className(cls: number): string {
  return CLASS_NAMES.get(cls) ?? `CLASS${cls}`;
}

export function rcodeName(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
}

export class DnsFormatError extends Error {
  override name = 'DnsFormatError';
}

export interface DnsHeader {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  z: boolean;
  ad: boolean;
  cd: boolean;
  /** The full response code: the header's 4 bits plus the OPT record's extended bits. */
  rcode: number;
}

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface Soa {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export type RData =
  /** A and AAAA */
  | { kind: 'address'; address: string }
  /** CNAME, NS, PTR */
  | { kind: 'name'; name: string }
  | ({ kind: 'soa' } & Soa)
  | { kind: 'srv'; priority: number; weight: number; port: number; target: string }
  | { kind: 'mx'; preference: number; exchange: string }
  /** Character strings, one JS char per octet (latin1), so any octets round-trip. */
  | { kind: 'txt'; texts: string[] }
  | { kind: 'raw'; bytes: Uint8Array };

export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: RData;
}

export interface EdnsOption {
  code: number;
  data: Uint8Array;
}

export interface Edns {
  udpSize: number;
  version: number;
  dnssecOk: boolean;
  options: EdnsOption[];
}

export interface DnsMessage {
  header: DnsHeader;
  questions: Question[];
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  /** Additional records other than OPT; the OPT pseudo-record lives in `edns`. */
  additional: ResourceRecord[];
  edns?: Edns;
}

export const HEADER_SIZE = 12;
export const MIN_UDP_SIZE = 512;
export const MAX_MESSAGE_SIZE = 65535;
const MAX_NAME_OCTETS = 255;
const MAX_LABEL_OCTETS = 63;
/** As many pointers as a 255-octet name could legitimately need; more means a crafted loop. */
const MAX_POINTERS = 126;

export function emptyHeader(id = 0): DnsHeader {
  return {
    id,
    qr: false,
    opcode: 0,
    aa: false,
    tc: false,
    rd: false,
    ra: false,
    z: false,
    ad: false,
    cd: false,
    rcode: 0,
  };
}

// ---------------------------------------------------------------- names

function isEscapedSpecial(b: number): boolean {
  return b === 0x2e || b === 0x5c; // '.' '\'
}

function labelToText(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (isEscapedSpecial(b)) out += `\\${String.fromCharCode(b)}`;
    else if (b <= 0x20 || b >= 0x7f) out += `\\${String(b).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return out;
}

/** Presentation name -> labels as octets. Accepts names with or without the trailing dot. */
export function nameToLabels(name: string): Uint8Array[] {
  if (name === '.' || name === '') return [];
  const labels: Uint8Array[] = [];
  let current: number[] = [];
  let i = 0;
  let total = 1;
  const finish = () => {
    if (current.length === 0) throw new DnsFormatError(`empty label in ${JSON.stringify(name)}`);
    if (current.length > MAX_LABEL_OCTETS) throw new DnsFormatError(`label longer than 63 octets in ${name}`);
    total += current.length + 1;
    labels.push(Uint8Array.from(current));
    current = [];
  };
  while (i < name.length) {
    const ch = name.charCodeAt(i);
    if (ch === 0x5c) {
      const d = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) throw new DnsFormatError(`bad escape \\${d}`);
        current.push(v);
        i += 4;
        continue;
      }
      if (i + 1 >= name.length) throw new DnsFormatError('dangling backslash in name');
      current.push(name.charCodeAt(i + 1) & 0xff);
      i += 2;
      continue;
    }
    if (ch === 0x2e) {
      finish();
      i++;
      if (i === name.length) break;
      continue;
    }
    if (ch > 0xff) throw new DnsFormatError(`non-latin1 character in name ${JSON.stringify(name)}`);
    current.push(ch);
    i++;
  }
  if (current.length > 0) finish();
  if (total > MAX_NAME_OCTETS)
    throw new DnsFormatError(`name longer than 255 octets: ${name.slice(0, 40)}...`);
  return labels;
}

/** Fully qualified form: a trailing dot, "." for the root. */
export function fqdn(name: string): string {
  if (name === '' || name === '.') return '.';
  return name.endsWith('.') && !name.endsWith('\\.') ? name : `${name}.`;
}

/** ASCII case-insensitive comparison key (DNS names compare without case, RFC 4343). */
export function canonicalName(name: string): string {
  return fqdn(name).replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** True when `name` equals `zone` or lies below it. */
export function isSubdomain(name: string, zone: string): boolean {
  const n = canonicalName(name);
  const z = canonicalName(zone);
  if (z === '.') return true;
  return n === z || n.endsWith(`.${z}`);
}

// ---------------------------------------------------------------- decoding

class Reader {
  readonly bytes: Uint8Array;
  pos = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new DnsFormatError(`message truncated at offset ${this.pos}`);
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }

  u16(): number {
    this.need(2);
    const v = (this.bytes[this.pos] << 8) | this.bytes[this.pos + 1];
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const b = this.bytes;
    const v =
      ((b[this.pos] << 24) | (b[this.pos + 1] << 16) | (b[this.pos + 2] << 8) | b[this.pos + 3]) >>> 0;
    this.pos += 4;
    return v;
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A possibly compressed name; `limit` bounds where the name's own bytes may end (an RDATA end). */
  name(limit = this.bytes.length): string {
    const b = this.bytes;
    const labels: string[] = [];
    let pos = this.pos;
    let resume = -1;
    let pointers = 0;
    let octets = 1;
    for (;;) {
      const end = resume === -1 ? limit : b.length;
      if (pos >= end) throw new DnsFormatError(`name runs past its bounds at offset ${pos}`);
      const len = b[pos];
      const kind = len & 0xc0;
      if (kind === 0xc0) {
        if (pos + 1 >= end) throw new DnsFormatError('truncated compression pointer');
        const target = ((len & 0x3f) << 8) | b[pos + 1];
        // Only backwards pointers: a pointer to itself or later data is how loops are built.
        if (target >= pos) throw new DnsFormatError(`forward compression pointer at offset ${pos}`);
        if (++pointers > MAX_POINTERS) throw new DnsFormatError('too many compression pointers');
        if (resume === -1) resume = pos + 2;
        pos = target;
        continue;
      }
      if (kind !== 0)
        throw new DnsFormatError(`unsupported label type 0x${kind.toString(16)} at offset ${pos}`);
      if (len === 0) {
        pos += 1;
        break;
      }
      if (pos + 1 + len > end) throw new DnsFormatError(`label runs past its bounds at offset ${pos}`);
      octets += len + 1;
      if (octets > MAX_NAME_OCTETS) throw new DnsFormatError('name longer than 255 octets');
      labels.push(labelToText(b, pos + 1, pos + 1 + len));
      pos += 1 + len;
    }
    this.pos = resume === -1 ? pos : resume;
    return labels.length === 0 ? '.' : `${labels.join('.')}.`;
  }
}

/** Just the 12-byte header, for deciding whether a packet deserves an answer at all. */
export function decodeHeader(bytes: Uint8Array): DnsHeader & {
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
} {
  if (bytes.length < HEADER_SIZE) throw new DnsFormatError('shorter than a DNS header');
  const r = new Reader(bytes);
  const id = r.u16();
  const flags = r.u16();
  return {
    id,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    z: (flags & 0x0040) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: flags & 0xf,
    qdcount: r.u16(),
    ancount: r.u16(),
    nscount: r.u16(),
    arcount: r.u16(),
  };
}

function readRData(r: Reader, type: number, rdlength: number): RData {
  const end = r.pos + rdlength;
  r.need(rdlength);
  let data: RData;
  switch (type) {
    case TYPE.A:
      if (rdlength !== 4) throw new DnsFormatError(`A record with ${rdlength} octets`);
      data = { kind: 'address', address: Array.from(r.take(4)).join('.') };
      break;
    case TYPE.AAAA:
      if (rdlength !== 16) throw new DnsFormatError(`AAAA record with ${rdlength} octets`);
      data = { kind: 'address', address: formatIPv6(r.take(16)) };
      break;
    case TYPE.CNAME:
    case TYPE.NS:
    case TYPE.PTR:
      data = { kind: 'name', name: r.name(end) };
      break;
    case TYPE.MX:
      data = { kind: 'mx', preference: r.u16(), exchange: r.name(end) };
      break;
    case TYPE.SOA: {
      const mname = r.name(end);
      const rname = r.name(end);
      if (r.pos + 20 > end) throw new DnsFormatError('SOA record too short');
      data = {
        kind: 'soa',
        mname,
        rname,
        serial: r.u32(),
        refresh: r.u32(),
        retry: r.u32(),
        expire: r.u32(),
        minimum: r.u32(),
      };
      break;
    }
    case TYPE.SRV: {
      if (rdlength < 7) throw new DnsFormatError('SRV record too short');
      data = { kind: 'srv', priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name(end) };
      break;
    }
    case TYPE.TXT: {
      const texts: string[] = [];
      while (r.pos < end) {
        const len = r.u8();
        if (r.pos + len > end) throw new DnsFormatError('TXT string runs past its record');
        texts.push(Buffer.from(r.take(len)).toString('latin1'));
      }
      data = { kind: 'txt', texts };
      break;
    }
    default:
      data = { kind: 'raw', bytes: r.take(rdlength) };
  }
  if (r.pos !== end) throw new DnsFormatError(`${typeName(type)} RDATA length mismatch`);
  return data;
}

/** Parse a whole message. Throws DnsFormatError (only) when the packet is malformed. */
export function decodeMessage(bytes: Uint8Array): DnsMessage {
  const h = decodeHeader(bytes);
  const r = new Reader(bytes);
  r.pos = HEADER_SIZE;
  const { qdcount, ancount, nscount, arcount, ...header } = h;
  const questions: Question[] = [];
  for (let i = 0; i < qdcount; i++) {
    questions.push({ name: r.name(), type: r.u16(), class: r.u16() });
  }
  const section = (count: number, out: ResourceRecord[], allowOpt: boolean, msg: { edns?: Edns }) => {
    for (let i = 0; i < count; i++) {
      const name = r.name();
      const type = r.u16();
      const cls = r.u16();
      const ttl = r.u32();
      const rdlength = r.u16();
      if (type === TYPE.OPT) {
        if (!allowOpt) throw new DnsFormatError('OPT record outside the additional section');
        if (msg.edns) throw new DnsFormatError('more than one OPT record');
        if (name !== '.') throw new DnsFormatError('OPT record with a non-root owner');
        const end = r.pos + rdlength;
        r.need(rdlength);
        const options: EdnsOption[] = [];
        while (r.pos < end) {
          const code = r.u16();
          const len = r.u16();
          if (r.pos + len > end) throw new DnsFormatError('EDNS option runs past its record');
          options.push({ code, data: r.take(len) });
        }
        header.rcode = ((ttl >>> 24) << 4) | (header.rcode & 0xf);
        msg.edns = { udpSize: cls, version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0, options };
        continue;
      }
      out.push({ name, type, class: cls, ttl, data: readRData(r, type, rdlength) });
    }
  };
  const msg: DnsMessage = { header, questions, answers: [], authority: [], additional: [] };
  section(ancount, msg.answers, false, msg);
  section(nscount, msg.authority, false, msg);
  section(arcount, msg.additional, true, msg);
  // Octets after the last record are ignored, as most servers do.
  return msg;
}

// ---------------------------------------------------------------- encoding

class Writer {
  buf = new Uint8Array(512);
  len = 0;
  readonly compress: boolean;
  /** Name suffix (exact spelling) -> offset, for compression pointers. */
  readonly names = new Map<string, number>();

  constructor(compress: boolean) {
    this.compress = compress;
  }

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): void {
    this.grow(1);
    this.buf[this.len++] = v & 0xff;
  }

  u16(v: number): void {
    this.grow(2);
    this.buf[this.len++] = (v >> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
  }

  u32(v: number): void {
    this.grow(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
  }

  bytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  patch16(at: number, v: number): void {
    this.buf[at] = (v >> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }

  name(name: string, compressible: boolean): void {
    const labels = nameToLabels(name);
    for (let i = 0; i < labels.length; i++) {
      const key = labels
        .slice(i)
        .map((l) => Buffer.from(l).toString('latin1'))
        .join('\u0000');
      if (this.compress && compressible) {
        const at = this.names.get(key);
        if (at !== undefined) {
          this.u16(0xc000 | at);
          return;
        }
      }
      if (this.len < 0x4000 && !this.names.has(key)) this.names.set(key, this.len);
      this.u8(labels[i].length);
      this.bytes(labels[i]);
    }
    this.u8(0);
  }

  /** Undo everything written after `mark`, including compression targets that pointed there. */
  rollback(mark: number): void {
    this.len = mark;
    for (const [k, at] of this.names) if (at >= mark) this.names.delete(k);
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function writeRData(w: Writer, rr: ResourceRecord): void {
  const d = rr.data;
  switch (d.kind) {
    case 'address': {
      const v4 = rr.type === TYPE.A ? parseIPv4(d.address) : undefined;
      const bytes = v4 ?? (rr.type === TYPE.AAAA ? parseIPv6(d.address) : undefined);
      if (!bytes) throw new DnsFormatError(`bad ${typeName(rr.type)} address ${d.address}`);
      w.bytes(bytes);
      return;
    }
    case 'name':
      // RFC 3597: only the RFC 1035 types may have compressed names in their RDATA.
      w.name(d.name, true);
      return;
    case 'mx':
      w.u16(d.preference);
      w.name(d.exchange, true);
      return;
    case 'soa':
      w.name(d.mname, true);
      w.name(d.rname, true);
      w.u32(d.serial);
      w.u32(d.refresh);
      w.u32(d.retry);
      w.u32(d.expire);
      w.u32(d.minimum);
      return;
    case 'srv':
      w.u16(d.priority);
      w.u16(d.weight);
      w.u16(d.port);
      w.name(d.target, false);
      return;
    case 'txt':
      for (const t of d.texts) {
        const b = Buffer.from(t, 'latin1');
        if (b.length > 255) throw new DnsFormatError('TXT string longer than 255 octets');
        w.u8(b.length);
        w.bytes(b);
      }
      return;
    case 'raw':
      w.bytes(d.bytes);
      return;
  }
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name, true);
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl >>> 0);
  const at = w.len;
  w.u16(0);
  writeRData(w, rr);
  const rdlength = w.len - at - 2;
  if (rdlength > 0xffff) throw new DnsFormatError('RDATA longer than 65535 octets');
  w.patch16(at, rdlength);
}

function optLength(edns: Edns): number {
  return 11 + edns.options.reduce((n, o) => n + 4 + o.data.length, 0);
}

function writeOpt(w: Writer, edns: Edns, rcode: number): void {
  w.u8(0);
  w.u16(TYPE.OPT);
  w.u16(edns.udpSize);
  w.u8((rcode >> 4) & 0xff);
  w.u8(edns.version);
  w.u16(edns.dnssecOk ? 0x8000 : 0);
  w.u16(edns.options.reduce((n, o) => n + 4 + o.data.length, 0));
  for (const o of edns.options) {
    w.u16(o.code);
    w.u16(o.data.length);
    w.bytes(o.data);
  }
}

function writeHeader(w: Writer, h: DnsHeader, counts: [number, number, number, number]): void {
  const flags =
    (h.qr ? 0x8000 : 0) |
    ((h.opcode & 0xf) << 11) |
    (h.aa ? 0x0400 : 0) |
    (h.tc ? 0x0200 : 0) |
    (h.rd ? 0x0100 : 0) |
    (h.ra ? 0x0080 : 0) |
    (h.z ? 0x0040 : 0) |
    (h.ad ? 0x0020 : 0) |
    (h.cd ? 0x0010 : 0) |
    (h.rcode & 0xf);
  w.u16(h.id);
  w.u16(flags);
  for (const c of counts) w.u16(c);
}

export interface EncodeOptions {
  /** Use name compression (default true). */
  compress?: boolean;
}

/** Serialise a message as is (no size limit, no truncation). */
export function encodeMessage(msg: DnsMessage, options: EncodeOptions = {}): Uint8Array {
  const w = new Writer(options.compress ?? true);
  if (msg.header.rcode > 0xf && !msg.edns) throw new DnsFormatError('extended RCODE needs an OPT record');
  const additional = msg.additional.length + (msg.edns ? 1 : 0);
  writeHeader(w, msg.header, [msg.questions.length, msg.answers.length, msg.authority.length, additional]);
  for (const q of msg.questions) {
    w.name(q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of msg.answers) writeRecord(w, rr);
  for (const rr of msg.authority) writeRecord(w, rr);
  for (const rr of msg.additional) writeRecord(w, rr);
  if (msg.edns) writeOpt(w, msg.edns, msg.header.rcode);
  return w.result();
}

export interface FittedMessage {
  bytes: Uint8Array;
  /** The TC bit was set because answer or authority records did not fit. */
  truncated: boolean;
  compressed: boolean;
}

/**
 * Encode for a transport that carries at most `maxSize` octets, the way CoreDNS does it: send
 * uncompressed when that fits, compress when it must, and when even that is too big keep as many
 * whole records as fit (OPT always kept) and set TC if an answer or authority record was dropped -
 * additional records are dropped silently (RFC 2181 section 9).
 */
export function encodeToFit(msg: DnsMessage, maxSize: number): FittedMessage {
  const plain = encodeMessage(msg, { compress: false });
  if (plain.length <= maxSize) return { bytes: plain, truncated: false, compressed: false };
  const packed = encodeMessage(msg, { compress: true });
  if (packed.length <= maxSize) return { bytes: packed, truncated: false, compressed: true };

  const w = new Writer(true);
  writeHeader(w, msg.header, [0, 0, 0, 0]);
  for (const q of msg.questions) {
    w.name(q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  const budget = maxSize - (msg.edns ? optLength(msg.edns) : 0);
  const counts: number[] = [];
  let full = w.len > budget;
  for (const section of [msg.answers, msg.authority, msg.additional]) {
    let n = 0;
    for (const rr of section) {
      if (full) break;
      const mark = w.len;
      writeRecord(w, rr);
      if (w.len > budget) {
        w.rollback(mark);
        full = true;
        break;
      }
      n++;
    }
    counts.push(n);
  }
  const truncated = msg.header.tc || counts[0] < msg.answers.length || counts[1] < msg.authority.length;
  if (msg.edns) writeOpt(w, msg.edns, msg.header.rcode);
  const bytes = w.result();
  const header = { ...msg.header, tc: truncated };
  const hw = new Writer(false);
  writeHeader(hw, header, [msg.questions.length, counts[0], counts[1], counts[2] + (msg.edns ? 1 : 0)]);
  bytes.set(hw.result(), 0);
  return { bytes: bytes.length > maxSize ? bytes.subarray(0, maxSize) : bytes, truncated, compressed: true };
}

// ---------------------------------------------------------------- TCP framing

/** RFC 1035 4.2.2: a message on a stream is preceded by its length in two octets. */
export function frameTcp(message: Uint8Array): Uint8Array {
  if (message.length > MAX_MESSAGE_SIZE) throw new DnsFormatError('message longer than 65535 octets');
  const out = new Uint8Array(message.length + 2);
  out[0] = message.length >> 8;
  out[1] = message.length & 0xff;
  out.set(message, 2);
  return out;
}

/** Reassembles length-prefixed messages from stream chunks of any size. */
export class TcpFrameDecoder {
  private pending: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.pending.length + chunk.length);
    joined.set(this.pending, 0);
    joined.set(chunk, this.pending.length);
    const out: Uint8Array[] = [];
    let pos = 0;
    while (joined.length - pos >= 2) {
      const len = (joined[pos] << 8) | joined[pos + 1];
      if (joined.length - pos - 2 < len) break;
      out.push(joined.slice(pos + 2, pos + 2 + len));
      pos += 2 + len;
    }
    this.pending = joined.slice(pos);
    return out;
  }

  /** Octets received that do not yet form a whole message. */
  get buffered(): number {
    return this.pending.length;
  }
}
