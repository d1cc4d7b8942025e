import { describe, expect, it } from 'vitest';
import {
  CLASS,
  DnsFormatError,
  type DnsMessage,
  decodeHeader,
  decodeMessage,
  EDNS_OPTION,
  emptyHeader,
  encodeMessage,
  encodeToFit,
  frameTcp,
  nameToLabels,
  RCODE,
  type ResourceRecord,
  TcpFrameDecoder,
  TYPE,
} from '../../../labs/agents/coredns/message.ts';

function rr(name: string, type: number, data: ResourceRecord['data'], ttl = 30): ResourceRecord {
  return { name, type, class: CLASS.IN, ttl, data };
}

const zone = 'cluster.local.';
const everyType: DnsMessage = {
  header: { ...emptyHeader(0xbeef), qr: true, aa: true, rd: true, cd: true, rcode: RCODE.NOERROR },
  questions: [{ name: 'web.default.svc.cluster.local.', type: TYPE.SRV, class: CLASS.IN }],
  answers: [
    rr('web.default.svc.cluster.local.', TYPE.A, { kind: 'address', address: '10.244.1.10' }),
    rr('web.default.svc.cluster.local.', TYPE.AAAA, { kind: 'address', address: 'fd00:10:244::a' }),
    rr('db.default.svc.cluster.local.', TYPE.CNAME, { kind: 'name', name: 'my.database.example.com.' }),
    rr('10.0.96.10.in-addr.arpa.', TYPE.PTR, {
      kind: 'name',
      name: 'kube-dns.kube-system.svc.cluster.local.',
    }),
    rr(zone, TYPE.NS, { kind: 'name', name: 'kube-dns.kube-system.svc.cluster.local.' }),
    rr('mail.example.com.', TYPE.MX, { kind: 'mx', preference: 10, exchange: 'mx1.example.com.' }),
    rr('_http._tcp.web.default.svc.cluster.local.', TYPE.SRV, {
      kind: 'srv',
      priority: 0,
      weight: 33,
      port: 80,
      target: 'web-0.web.default.svc.cluster.local.',
    }),
    rr('dns-version.cluster.local.', TYPE.TXT, { kind: 'txt', texts: ['1.1.0', '', 'caf\u00e9'] }, 28800),
    rr('odd.example.', 99, { kind: 'raw', bytes: Uint8Array.from([1, 2, 3]) }),
  ],
  authority: [
    rr(zone, TYPE.SOA, {
      kind: 'soa',
      mname: 'ns.dns.cluster.local.',
      rname: 'hostmaster.cluster.local.',
      serial: 1732300000,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: 30,
    }),
  ],
  additional: [
    rr('web-0.web.default.svc.cluster.local.', TYPE.A, { kind: 'address', address: '10.244.1.10' }),
  ],
  edns: {
    udpSize: 1232,
    version: 0,
    dnssecOk: true,
    options: [{ code: EDNS_OPTION.COOKIE, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) }],
  },
};

/** Deterministic PRNG (mulberry32), so a failing fuzz case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 12-byte header with one question, then whatever bytes follow. */
function packet(body: number[], counts = [1, 0, 0, 0]): Uint8Array {
  return Uint8Array.from([0x12, 0x34, 0x01, 0x00, ...counts.flatMap((c) => [c >> 8, c & 0xff]), ...body]);
}

describe('DNS wire codec', () => {
  it('round-trips every record type, flags and EDNS, compressed or not', () => {
    for (const compress of [true, false]) {
      const bytes = encodeMessage(everyType, { compress });
      expect(decodeMessage(bytes)).toEqual(everyType);
    }
  });

  it('compresses repeated names with backward pointers but never an SRV target', () => {
    const plain = encodeMessage(everyType, { compress: false });
    const packed = encodeMessage(everyType, { compress: true });
    expect(packed.length).toBeLessThan(plain.length);
    const text = Buffer.from(packed).toString('latin1');
    // The SRV target's first label is written out in full even though its suffix is known.
    expect(text).toContain('\u0005web-0\u0003web');
    // "cluster.local" is spelled out in the question and in the SRV target only; elsewhere it is a pointer.
    expect(text.split('\u0007cluster\u0005local\u0000').length - 1).toBe(2);
  });

  it('keeps dots, backslashes and binary octets inside labels through escapes', () => {
    const name = 'a\\.b\\\\c\\000\\255.example.';
    expect(nameToLabels(name).map((l) => Array.from(l))).toEqual([
      [0x61, 0x2e, 0x62, 0x5c, 0x63, 0, 255],
      Array.from(Buffer.from('example')),
    ]);
    const msg: DnsMessage = {
      header: emptyHeader(1),
      questions: [{ name, type: TYPE.A, class: CLASS.IN }],
      answers: [],
      authority: [],
      additional: [],
    };
    expect(decodeMessage(encodeMessage(msg)).questions[0].name).toBe(name);
  });

  it('refuses names and labels the protocol does not allow', () => {
    expect(() => nameToLabels(`${'a'.repeat(64)}.example.`)).toThrow(DnsFormatError);
    expect(() => nameToLabels('a..b.')).toThrow(DnsFormatError);
    expect(() => nameToLabels(`${Array(128).fill('ab').join('.')}.`)).toThrow(/255/);
  });

  it('carries the extended RCODE in the OPT record', () => {
    const msg: DnsMessage = {
      header: { ...emptyHeader(7), qr: true, rcode: RCODE.BADVERS },
      questions: [],
      answers: [],
      authority: [],
      additional: [],
      edns: { udpSize: 512, version: 0, dnssecOk: false, options: [] },
    };
    const bytes = encodeMessage(msg);
    expect(bytes[3] & 0xf).toBe(0);
    expect(decodeMessage(bytes).header.rcode).toBe(RCODE.BADVERS);
    expect(() => encodeMessage({ ...msg, edns: undefined })).toThrow(DnsFormatError);
  });

  describe('hostile input', () => {
    const cases: [string, Uint8Array][] = [
      ['a pointer to itself', packet([0xc0, 12, 0, 1, 0, 1])],
      ['a forward pointer', packet([0xc0, 14, 0, 1, 0, 1, 0])],
      ['a pointer into nowhere', packet([0xc0, 0xff])],
      ['a reserved label type', packet([0x40, 0, 0, 1, 0, 1])],
      ['a label running past the end', packet([5, 0x61, 0x62])],
      ['a question cut short', packet([0, 0, 1])],
      ['more records than bytes', packet([0, 0, 1, 0, 1], [1, 3, 0, 0])],
      [
        'an A record of five octets',
        packet([0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 30, 0, 5, 1, 2, 3, 4, 5], [1, 1, 0, 0]),
      ],
      [
        'RDATA longer than the packet',
        packet([0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 30, 0, 40, 1, 2, 3, 4], [1, 1, 0, 0]),
      ],
      [
        'two OPT records',
        packet(
          [0, 0, 1, 0, 1, 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0],
          [1, 0, 0, 2],
        ),
      ],
      [
        'an OPT record among the answers',
        packet([0, 0, 1, 0, 1, 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0], [1, 1, 0, 0]),
      ],
      ['a header alone, too short', Uint8Array.from([1, 2, 3])],
    ];
    for (const [what, bytes] of cases) {
      it(`rejects ${what} with DnsFormatError`, () => {
        expect(() => decodeMessage(bytes)).toThrow(DnsFormatError);
      });
    }

    it('refuses a pointer that makes a name longer than 255 octets', () => {
      const label = [60, ...Array(60).fill(0x61)];
      // Question 1: four 60-octet labels (245 octets, legal). Question 2: one more label, then a
      // pointer to question 1's name - 306 octets once followed.
      const body = [...label, ...label, ...label, ...label, 0, 0, 1, 0, 1, ...label, 0xc0, 12, 0, 1, 0, 1];
      const bytes = packet(body, [2, 0, 0, 0]);
      expect(() => decodeMessage(bytes.slice(0, 12 + 245 + 4))).toThrow(DnsFormatError); // qdcount says 2
      expect(() => decodeMessage(bytes)).toThrow(/255/);
    });

    it('never throws anything but DnsFormatError on random or mutated packets, and re-encodes what it accepts', () => {
      const rand = prng(20241122);
      const valid = encodeMessage(everyType);
      let accepted = 0;
      for (let n = 0; n < 20000; n++) {
        let bytes: Uint8Array;
        if (n % 2 === 0) {
          bytes = Uint8Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256));
        } else {
          bytes = valid.slice(0, Math.max(12, Math.floor(rand() * valid.length * 1.1)));
          const flips = 1 + Math.floor(rand() * 6);
          for (let f = 0; f < flips; f++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
        }
        let decoded: DnsMessage;
        try {
          decoded = decodeMessage(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(DnsFormatError);
          continue;
        }
        accepted++;
        let again: Uint8Array;
        try {
          again = encodeMessage(decoded);
        } catch (e) {
          // e.g. an extended RCODE whose OPT record was mutated away.
          expect(e).toBeInstanceOf(DnsFormatError);
          continue;
        }
        expect(decodeMessage(again)).toEqual(decoded);
      }
      expect(accepted).toBeGreaterThan(100);
    });
  });

  describe('fitting a transport', () => {
    const many: DnsMessage = {
      header: { ...emptyHeader(9), qr: true, aa: true },
      questions: [{ name: 'big.default.svc.cluster.local.', type: TYPE.A, class: CLASS.IN }],
      answers: Array.from({ length: 60 }, (_, i) =>
        rr('big.default.svc.cluster.local.', TYPE.A, { kind: 'address', address: `10.244.${i}.5` }),
      ),
      authority: [],
      additional: [],
    };

    it('sends small answers uncompressed, as CoreDNS does', () => {
      const small = { ...many, answers: many.answers.slice(0, 3) };
      const fitted = encodeToFit(small, 512);
      expect(fitted).toMatchObject({ truncated: false, compressed: false });
      expect(fitted.bytes).toEqual(encodeMessage(small, { compress: false }));
    });

    it('compresses when that is what makes the answer fit', () => {
      const mid = { ...many, answers: many.answers.slice(0, 12) };
      expect(encodeMessage(mid, { compress: false }).length).toBeGreaterThan(512);
      const fitted = encodeToFit(mid, 512);
      expect(fitted).toMatchObject({ truncated: false, compressed: true });
      expect(decodeMessage(fitted.bytes).answers).toHaveLength(12);
    });

    it('drops whole records and sets TC when the answer cannot fit, keeping the OPT record', () => {
      const withEdns = { ...many, edns: { udpSize: 512, version: 0, dnssecOk: false, options: [] } };
      const fitted = encodeToFit(withEdns, 512);
      expect(fitted.truncated).toBe(true);
      expect(fitted.bytes.length).toBeLessThanOrEqual(512);
      const back = decodeMessage(fitted.bytes);
      expect(back.header.tc).toBe(true);
      expect(back.answers.length).toBeGreaterThan(10);
      expect(back.answers.length).toBeLessThan(60);
      expect(back.edns?.udpSize).toBe(512);
      expect(encodeToFit(withEdns, 65535).truncated).toBe(false);
    });

    it('drops additional records without setting TC', () => {
      const extra = { ...many, answers: many.answers.slice(0, 2), additional: many.answers };
      const fitted = encodeToFit(extra, 512);
      const back = decodeMessage(fitted.bytes);
      expect(back.header.tc).toBe(false);
      expect(back.answers).toHaveLength(2);
      expect(back.additional.length).toBeLessThan(60);
    });
  });

  it('frames messages on TCP and reassembles them from arbitrary chunks', () => {
    const a = encodeMessage(everyType);
    const b = encodeMessage({ ...everyType, header: { ...everyType.header, id: 2 } });
    const stream = Buffer.concat([frameTcp(a), frameTcp(b), Buffer.from([0x00])]);
    const decoder = new TcpFrameDecoder();
    const out: Uint8Array[] = [];
    for (const byte of stream) out.push(...decoder.push(Uint8Array.of(byte)));
    expect(out).toEqual([a, b]);
    expect(decoder.buffered).toBe(1);
    expect(decodeHeader(out[1]).id).toBe(2);
  });
});
