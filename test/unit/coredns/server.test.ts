/**
 * The server's query path, fed wire bytes directly (the socket plumbing is covered by the
 * integration tests with dig and nslookup).
 */
import { describe, expect, it } from 'vitest';
import { KUBEADM_COREFILE } from '../../../labs/agents/coredns/corefile.ts';
import {
  CLASS,
  type DnsMessage,
  decodeMessage,
  EDNS_OPTION,
  type Edns,
  emptyHeader,
  encodeMessage,
  OPCODE,
  RCODE,
  TYPE,
} from '../../../labs/agents/coredns/message.ts';
import { KubernetesResolver } from '../../../labs/agents/coredns/resolver.ts';
import { CoreDnsServer, type Transport } from '../../../labs/agents/coredns/server.ts';
import { clusterSource, service, slice } from './fixtures.ts';

const udp: Transport = { proto: 'udp', remoteAddress: '10.244.1.5', remotePort: 38241 };
const tcp: Transport = { ...udp, proto: 'tcp' };

function query(name: string, type: number = TYPE.A, id = 4242, edns?: Edns): Uint8Array {
  return encodeMessage({
    header: { ...emptyHeader(id), rd: true },
    questions: [{ name, type, class: CLASS.IN }],
    answers: [],
    authority: [],
    additional: [],
    edns,
  });
}

function setup(corefile?: string) {
  let now = Date.UTC(2024, 10, 22, 19, 14, 5);
  const lines: string[] = [];
  const cluster = clusterSource();
  const resolver = new KubernetesResolver(cluster.source, { now: () => now });
  const server = new CoreDnsServer({
    resolver,
    log: (l) => lines.push(l),
    corefile,
    now: () => now,
    random: () => 0,
  });
  const ask = async (bytes: Uint8Array, t: Transport = udp): Promise<DnsMessage | undefined> => {
    const reply = await server.handle(bytes, t);
    return reply && decodeMessage(reply);
  };
  return { server, resolver, cluster, lines, ask, tick: (ms: number) => (now += ms) };
}

const LOG_COREFILE = KUBEADM_COREFILE.replace('    errors\n', '    errors\n    log\n');

describe('CoreDnsServer query path', () => {
  it('answers with the id, RD and question of the query, authoritative and without RA', async () => {
    const { ask } = setup();
    const r = (await ask(query('Kubernetes.Default.svc.cluster.local.')))!;
    expect(r.header).toMatchObject({
      id: 4242,
      qr: true,
      aa: true,
      rd: true,
      ra: false,
      tc: false,
      rcode: RCODE.NOERROR,
    });
    expect(r.questions).toEqual([
      { name: 'Kubernetes.Default.svc.cluster.local.', type: TYPE.A, class: CLASS.IN },
    ]);
    expect(r.answers.map((a) => a.data)).toEqual([{ kind: 'address', address: '10.96.0.1' }]);
    expect(r.edns).toBeUndefined();
  });

  it("echoes the client's EDNS size and cookie, as CoreDNS does", async () => {
    const { ask } = setup();
    const cookie = { code: EDNS_OPTION.COOKIE, data: Uint8Array.from([9, 8, 7, 6, 5, 4, 3, 2]) };
    const unknown = { code: 65001, data: Uint8Array.from([1]) };
    const r = (await ask(
      query('hostnames.default.svc.cluster.local.', TYPE.A, 1, {
        udpSize: 1232,
        version: 0,
        dnssecOk: false,
        options: [cookie, unknown],
      }),
    ))!;
    expect(r.edns).toEqual({ udpSize: 1232, version: 0, dnssecOk: false, options: [cookie] });
  });

  describe('malformed and unexpected packets', () => {
    it('drops packets shorter than a header and packets that are responses', async () => {
      const { server } = setup();
      expect(await server.handle(Uint8Array.from([1, 2, 3]), udp)).toBeUndefined();
      const response = query('x.');
      response[2] |= 0x80;
      expect(await server.handle(response, udp)).toBeUndefined();
    });

    it('answers FORMERR to a query without exactly one question or with a broken body', async () => {
      const { ask } = setup();
      const none = encodeMessage({
        header: { ...emptyHeader(5), rd: true },
        questions: [],
        answers: [],
        authority: [],
        additional: [],
      });
      expect((await ask(none))!.header).toMatchObject({ id: 5, qr: true, rcode: RCODE.FORMERR, rd: true });
      const broken = query('hostnames.default.svc.cluster.local.').slice(0, 20);
      expect((await ask(broken))!.header.rcode).toBe(RCODE.FORMERR);
    });

    it('answers NOTIMP to opcodes other than QUERY and NOTIFY, and BADVERS to EDNS versions above 0', async () => {
      const { ask } = setup();
      const update = query('cluster.local.', TYPE.SOA);
      update[2] = (update[2] & 0x87) | (OPCODE.UPDATE << 3);
      expect((await ask(update))!.header).toMatchObject({ opcode: OPCODE.UPDATE, rcode: RCODE.NOTIMP });
      const v1 = (await ask(
        query('cluster.local.', TYPE.SOA, 3, { udpSize: 4096, version: 1, dnssecOk: false, options: [] }),
      ))!;
      expect(v1.header.rcode).toBe(RCODE.BADVERS);
      expect(v1.edns?.version).toBe(0);
    });

    it('survives thousands of random and mutated packets', async () => {
      const { server } = setup();
      let seed = 7;
      const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
      const base = query('hostnames.default.svc.cluster.local.', TYPE.SRV, 1, {
        udpSize: 1232,
        version: 0,
        dnssecOk: true,
        options: [],
      });
      let answered = 0;
      for (let i = 0; i < 3000; i++) {
        const bytes =
          i % 2
            ? Uint8Array.from({ length: Math.floor(rand() * 80) }, () => Math.floor(rand() * 256))
            : base.slice();
        if (i % 2 === 0)
          for (let f = 0; f < 3; f++)
            bytes[12 + Math.floor(rand() * (bytes.length - 12))] = Math.floor(rand() * 256);
        const reply = await server.handle(bytes, i % 3 ? udp : tcp);
        if (reply) {
          answered++;
          expect(() => decodeMessage(reply)).not.toThrow();
        }
      }
      expect(answered).toBeGreaterThan(500);
    });
  });

  describe('cache 30', () => {
    it('counts TTLs down on cached answers and refreshes them after 30 seconds', async () => {
      const { ask, tick } = setup();
      const name = 'hostnames.default.svc.cluster.local.';
      expect((await ask(query(name)))!.answers[0].ttl).toBe(30);
      tick(12_000);
      const cached = (await ask(query(name)))!;
      expect(cached.answers[0].ttl).toBe(18);
      expect(cached.header.aa).toBe(true);
      tick(19_000);
      expect((await ask(query(name)))!.answers[0].ttl).toBe(30);
    });

    it('keeps answering NXDOMAIN for a name asked before its Service existed, until the entry expires', async () => {
      const { ask, tick, cluster } = setup();
      const name = 'late.default.svc.cluster.local.';
      expect((await ask(query(name)))!.header.rcode).toBe(RCODE.NXDOMAIN);
      cluster.state.services.push(
        service('default', 'late', { clusterIP: '10.96.5.5', ports: [{ port: 80 }] }),
      );
      tick(20_000);
      const stale = (await ask(query(name)))!;
      expect(stale.header.rcode).toBe(RCODE.NXDOMAIN);
      expect(stale.authority[0].ttl).toBe(10);
      tick(10_000);
      expect((await ask(query(name)))!.answers[0].data).toEqual({ kind: 'address', address: '10.96.5.5' });
    });

    it('is gone when the Corefile has no cache: changes show at once', async () => {
      const { ask, cluster } = setup(KUBEADM_COREFILE.replace('    cache 30\n', ''));
      const name = 'late.default.svc.cluster.local.';
      expect((await ask(query(name)))!.header.rcode).toBe(RCODE.NXDOMAIN);
      cluster.state.services.push(
        service('default', 'late', { clusterIP: '10.96.5.5', ports: [{ port: 80 }] }),
      );
      expect((await ask(query(name)))!.header.rcode).toBe(RCODE.NOERROR);
    });
  });

  it('puts CNAMEs first and shuffles address records (loadbalance)', async () => {
    const { ask, cluster } = setup();
    cluster.state.services.push(service('default', 'many', { clusterIP: 'None', ports: [{ port: 80 }] }));
    cluster.state.slices.push(
      slice(
        'default',
        'many',
        [1, 2, 3, 4].map((i) => ({ ip: `10.244.7.${i}` })),
        [{ port: 80 }],
      ),
    );
    cluster.state.services.push(
      service('default', 'to-many', { type: 'ExternalName', externalName: 'many.default.svc.cluster.local' }),
    );
    const r = (await ask(query('to-many.default.svc.cluster.local.')))!;
    expect(r.answers.map((a) => a.type)).toEqual([TYPE.CNAME, TYPE.A, TYPE.A, TYPE.A, TYPE.A]);
    // random() = 0 moves every element: the order differs from the endpoint order.
    expect(r.answers.slice(1).map((a) => (a.data as { address: string }).address)).toEqual([
      '10.244.7.2',
      '10.244.7.3',
      '10.244.7.4',
      '10.244.7.1',
    ]);
  });

  it('truncates a large UDP answer with TC and sends it whole over TCP', async () => {
    const { ask, cluster } = setup();
    cluster.state.services.push(service('default', 'big', { clusterIP: 'None', ports: [{ port: 80 }] }));
    const ips = Array.from({ length: 60 }, (_, i) => ({ ip: `10.244.${i}.9` }));
    cluster.state.slices.push(slice('default', 'big', ips, [{ port: 80 }]));
    const overUdp = await ask(query('big.default.svc.cluster.local.'));
    expect(overUdp!.header.tc).toBe(true);
    expect(overUdp!.answers.length).toBeLessThan(60);
    const overTcp = await ask(query('big.default.svc.cluster.local.', TYPE.A, 2), tcp);
    expect(overTcp!.header.tc).toBe(false);
    expect(overTcp!.answers).toHaveLength(60);
    const bigEdns = await ask(
      query('big.default.svc.cluster.local.', TYPE.A, 3, {
        udpSize: 4096,
        version: 0,
        dnssecOk: false,
        options: [],
      }),
    );
    expect(bigEdns!.answers).toHaveLength(60);
  });

  describe('logs', () => {
    it('logs nothing per query with kubeadm’s Corefile, but reports forward errors', async () => {
      const { ask, lines } = setup();
      await ask(query('hostnames.default.svc.cluster.local.'));
      const r = (await ask(query('example.com.')))!;
      expect(r.header).toMatchObject({ rcode: RCODE.SERVFAIL, aa: false, ra: false, rd: true });
      expect(lines).toEqual(['[ERROR] plugin/errors: 2 example.com. A: i/o timeout']);
    });

    it('logs every query in the log plugin format once `log` is in the Corefile', async () => {
      const { ask, lines } = setup(LOG_COREFILE);
      await ask(query('kubernetes.default.svc.cluster.local.', TYPE.A, 41658));
      await ask(query('kubernetes.default.svc.cluster.local.', TYPE.AAAA, 26847));
      await ask(query('kubernetes.default.svc.cluster.local.svc.cluster.local.', TYPE.A, 3179));
      await ask(
        query('example.com.', TYPE.A, 7, { udpSize: 1232, version: 0, dnssecOk: false, options: [] }),
      );
      const pattern = (s: string) =>
        new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('DURATION', '\\d+(\\.\\d+)?s')}$`);
      expect(lines[0]).toMatch(
        pattern(
          '[INFO] 10.244.1.5:38241 - 41658 "A IN kubernetes.default.svc.cluster.local. udp 54 false 512" NOERROR qr,aa,rd 106 DURATION',
        ),
      );
      expect(lines[1]).toMatch(
        pattern(
          '[INFO] 10.244.1.5:38241 - 26847 "AAAA IN kubernetes.default.svc.cluster.local. udp 54 false 512" NOERROR qr,aa,rd 147 DURATION',
        ),
      );
      expect(lines[2]).toMatch(
        pattern(
          '[INFO] 10.244.1.5:38241 - 3179 "A IN kubernetes.default.svc.cluster.local.svc.cluster.local. udp 72 false 512" NXDOMAIN qr,aa,rd 165 DURATION',
        ),
      );
      expect(lines[3]).toBe('[ERROR] plugin/errors: 2 example.com. A: i/o timeout');
      expect(lines[4]).toMatch(
        pattern(
          '[INFO] 10.244.1.5:38241 - 7 "A IN example.com. udp 40 false 1232" SERVFAIL qr,rd 40 DURATION',
        ),
      );
    });

    it('logs an ExternalName target lookup as its own query, as CoreDNS does', async () => {
      const { ask, lines } = setup(LOG_COREFILE);
      await ask(query('db.default.svc.cluster.local.', TYPE.A, 17990));
      expect(lines).toHaveLength(3);
      expect(lines[0]).toBe('[ERROR] plugin/errors: 2 my.database.example.com. A: i/o timeout');
      expect(lines[1]).toMatch(
        /^\[INFO\] 10\.244\.1\.5:38241 - 17990 "A IN my\.database\.example\.com\. udp \d+ false 512" SERVFAIL qr,rd \d+ /,
      );
      expect(lines[2]).toMatch(
        / - 17990 "A IN db\.default\.svc\.cluster\.local\. udp \d+ false 512" NOERROR qr,aa,rd \d+ /,
      );
    });

    it('reloads an edited Corefile: reload lines, then the new settings', async () => {
      const { server, ask, lines, resolver } = setup(KUBEADM_COREFILE);
      server.reload(KUBEADM_COREFILE.replace('ttl 30', 'ttl 10').replace('    cache 30\n', ''));
      expect(lines).toEqual([
        '[INFO] Reloading',
        expect.stringMatching(/^\[INFO\] plugin\/reload: Running configuration SHA512 = [0-9a-f]{128}$/),
        '[INFO] Reloading complete',
      ]);
      expect(resolver.ttl).toBe(10);
      expect((await ask(query('hostnames.default.svc.cluster.local.')))!.answers[0].ttl).toBe(10);
      server.reload('.:53 {\n  kubernetes cluster.local {\n    pods often\n  }\n}');
      expect(lines.at(-1)).toMatch(/^\[ERROR\] Restart failed: kubernetes: pods must be/);
      expect(resolver.ttl).toBe(10);
    });
  });
});
