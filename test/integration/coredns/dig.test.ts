/**
 * The CoreDNS server on real loopback sockets it is handed (bound here, as the broker would bind
 * them in a pod's namespace), queried by the real dig, nslookup and host.
 */
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesResolver } from '../../../labs/agents/coredns/resolver.ts';
import { CoreDnsServer } from '../../../labs/agents/coredns/server.ts';
import { clusterSource, service, slice } from '../../unit/coredns/fixtures.ts';

const run = promisify(execFile);
const HOST = '127.0.0.77';
let port = 0;
const lines: string[] = [];
let server: CoreDnsServer;
let udp: dgram.Socket;
let tcp: net.Server;

async function dig(...args: string[]): Promise<string> {
  const { stdout } = await run('dig', [`@${HOST}`, '-p', String(port), '+time=2', '+tries=1', ...args], {
    timeout: 10_000,
  });
  return stdout;
}

async function short(...args: string[]): Promise<string[]> {
  return (await dig('+short', ...args)).trim().split('\n').filter(Boolean);
}

beforeAll(async () => {
  const cluster = clusterSource();
  cluster.state.services.push(service('default', 'big', { clusterIP: 'None', ports: [{ port: 80 }] }));
  cluster.state.slices.push(
    slice(
      'default',
      'big',
      Array.from({ length: 60 }, (_, i) => ({ ip: `10.244.${i}.9` })),
      [{ port: 80 }],
    ),
  );
  server = new CoreDnsServer({ resolver: new KubernetesResolver(cluster.source), log: (l) => lines.push(l) });
  // One port number for both transports, as CoreDNS listens on :53 for UDP and TCP.
  for (let attempt = 0; ; attempt++) {
    udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, HOST, () => resolve()));
    port = udp.address().port;
    tcp = net.createServer();
    const ok = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, HOST, () => resolve(true));
    });
    if (ok) break;
    udp.close();
    if (attempt > 20) throw new Error('no free port pair on 127.0.0.77');
  }
  server.serveUdp(udp);
  server.serveTcp(tcp);
});

afterAll(async () => {
  await server?.close();
});

describe('CoreDNS emulation seen through dig', () => {
  it('logs the startup lines of CoreDNS 1.11.3', () => {
    expect(lines.slice(0, 4)).toEqual([
      '.:53',
      expect.stringMatching(/^\[INFO\] plugin\/reload: Running configuration SHA512 = [0-9a-f]{128}$/),
      'CoreDNS-1.11.3',
      'linux/amd64, go1.21.11, a6338e9',
    ]);
  });

  it('resolves a ClusterIP Service, headless endpoints and an ExternalName', async () => {
    expect(await short('hostnames.default.svc.cluster.local')).toEqual(['10.96.1.175']);
    expect((await short('web.default.svc.cluster.local')).sort()).toEqual(['10.244.1.10', '10.244.2.11']);
    expect(await short('web-1.web.default.svc.cluster.local')).toEqual(['10.244.2.11']);
    expect(await short('db.default.svc.cluster.local')).toEqual(['my.database.example.com.']);
    expect(await short('TXT', 'dns-version.cluster.local')).toEqual(['"1.1.0"']);
  });

  it('answers SRV with weights and targets', async () => {
    expect(await short('SRV', '_http._tcp.web.default.svc.cluster.local')).toEqual([
      '0 50 80 web-0.web.default.svc.cluster.local.',
      '0 50 80 web-1.web.default.svc.cluster.local.',
    ]);
    const full = await dig('SRV', '_dns._udp.kube-dns.kube-system.svc.cluster.local');
    expect(full).toMatch(
      /;; ADDITIONAL SECTION:\nkube-dns\.kube-system\.svc\.cluster\.local\.\s+30\s+IN\s+A\s+10\.96\.0\.10/,
    );
  });

  it('answers over TCP, several queries on one connection', async () => {
    const out = await dig(
      '+tcp',
      '+keepopen',
      'kubernetes.default.svc.cluster.local',
      'hostnames.default.svc.cluster.local',
    );
    expect(out.match(/\(TCP\)/g)).toHaveLength(2);
    expect(out).toMatch(/kubernetes\.default\.svc\.cluster\.local\.\s+30\s+IN\s+A\s+10\.96\.0\.1\n/);
    expect(out).toMatch(/hostnames\.default\.svc\.cluster\.local\.\s+\d+\s+IN\s+A\s+10\.96\.1\.175\n/);
  });

  it('tells NXDOMAIN from NODATA, both with the cluster SOA', async () => {
    const soa =
      /cluster\.local\.\s+\d+\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 30/;
    const nx = await dig('nosuch.default.svc.cluster.local');
    expect(nx).toContain('status: NXDOMAIN');
    expect(nx).toMatch(/flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1/);
    expect(nx).toMatch(soa);
    const nodata = await dig('AAAA', 'hostnames.default.svc.cluster.local');
    expect(nodata).toContain('status: NOERROR');
    expect(nodata).toMatch(/ANSWER: 0, AUTHORITY: 1/);
    expect(nodata).toMatch(soa);
  });

  it('answers reverse lookups for Service and endpoint IPs', async () => {
    expect(await short('-x', '10.96.0.10')).toEqual(['kube-dns.kube-system.svc.cluster.local.']);
    expect(await short('-x', '10.244.1.10')).toEqual(['web-0.web.default.svc.cluster.local.']);
  });

  it('fails names outside the cluster at once with SERVFAIL', async () => {
    const started = Date.now();
    const out = await dig('example.com');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(out).toContain('status: SERVFAIL');
    expect(lines).toContain('[ERROR] plugin/errors: 2 example.com. A: i/o timeout');
  });

  it('sets TC on an answer too big for 512 octets, and dig retries over TCP and gets it all', async () => {
    const truncated = await dig('+noedns', '+ignore', 'big.default.svc.cluster.local');
    expect(truncated).toMatch(/flags: qr aa tc rd;/);
    const retried = await dig('+noedns', 'big.default.svc.cluster.local');
    expect(retried).toContain(';; Truncated, retrying in TCP mode.');
    expect(retried).toMatch(/ANSWER: 60,/);
  });

  it('answers BIND nslookup and host the way they expect', async () => {
    const { stdout: ns } = await run(
      'nslookup',
      [`-port=${port}`, 'hostnames.default.svc.cluster.local', HOST],
      { timeout: 10_000 },
    );
    expect(ns).toMatch(/Name:\s+hostnames\.default\.svc\.cluster\.local\nAddress: 10\.96\.1\.175/);
    const { stdout: h } = await run('host', ['-p', String(port), 'web.default.svc.cluster.local', HOST], {
      timeout: 10_000,
    });
    expect(h).toContain('web.default.svc.cluster.local has address 10.244.1.10');
    expect(h).toContain('web.default.svc.cluster.local has address 10.244.2.11');
  });

  it('answers the kubelet probes on /health and /ready of the servers it is given', async () => {
    const probes = [net.createServer(), net.createServer()];
    for (const p of probes) await new Promise<void>((resolve) => p.listen(0, HOST, () => resolve()));
    server.serveHealth(probes[0]);
    server.serveReady(probes[1]);
    const url = (p: net.Server, path: string) =>
      `http://${HOST}:${(p.address() as net.AddressInfo).port}${path}`;
    const health = await fetch(url(probes[0], '/health'));
    expect([health.status, await health.text()]).toEqual([200, 'OK']);
    const ready = await fetch(url(probes[1], '/ready'));
    expect([ready.status, await ready.text()]).toEqual([200, 'OK']);
    expect((await fetch(url(probes[0], '/ready'))).status).toBe(404);
  });

  it('keeps serving after garbage: FORMERR for a readable header, silence for less', async () => {
    const client = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, HOST, () => resolve()));
    const reply = new Promise<Buffer>((resolve) => client.once('message', (m) => resolve(m)));
    client.send(
      Buffer.from([0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1]),
      port,
      HOST,
    );
    client.send(Buffer.from([1, 2, 3]), port, HOST);
    const formerr = await reply;
    client.close();
    expect([formerr[0], formerr[1], formerr[2] & 0x80, formerr[3] & 0x0f]).toEqual([0xab, 0xcd, 0x80, 1]);
    expect(await short('kubernetes.default.svc.cluster.local')).toEqual(['10.96.0.1']);
    // A TCP client that sends half a frame and leaves does no harm either.
    const sock = net.connect(port, HOST);
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    sock.end(Buffer.from([0x00, 0x40, 0x12]));
    expect(await short('+tcp', 'kubernetes.default.svc.cluster.local')).toEqual(['10.96.0.1']);
  });
});
