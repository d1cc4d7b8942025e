/**
 * A pod's view: a network namespace whose /etc/resolv.conf is what the kubelet writes, with the
 * cluster DNS address (10.96.0.10) on its loopback. A helper process inside the namespace binds
 * port 53 there and hands the sockets to this process - as the lab's broker does - and the
 * CoreDNS emulation serves them. Real busybox nslookup, BIND nslookup, getent and curl run inside.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type dgram from 'node:dgram';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podResolvConf } from '../../../labs/agents/coredns/resolvconf.ts';
import { KubernetesResolver } from '../../../labs/agents/coredns/resolver.ts';
import { CoreDnsServer } from '../../../labs/agents/coredns/server.ts';
import { clusterSource } from '../../unit/coredns/fixtures.ts';

const isRoot = process.getuid?.() === 0;
const NS = `svcl-t${randomBytes(3).toString('hex')}-dns`;
const DNS_IP = '10.96.0.10';
const HOSTNAMES_IP = '10.96.1.175';
const execFileP = promisify(execFile);
let helper: ChildProcess | undefined;
let server: CoreDnsServer | undefined;
const resolvConf = podResolvConf({ namespace: 'default', dnsIP: DNS_IP });

/** Binds DNS sockets inside the namespace, passes them to the parent, and plays one hostnames pod behind the ClusterIP. */
const HELPER = `
const dgram = require('node:dgram'); const net = require('node:net'); const http = require('node:http');
const udp = dgram.createSocket('udp4');
udp.bind(53, ${JSON.stringify(DNS_IP)}, () => {
  const tcp = net.createServer();
  tcp.listen(53, ${JSON.stringify(DNS_IP)}, () => {
    http.createServer((req, res) => res.end('hostnames-0uton\\n')).listen(80, ${JSON.stringify(HOSTNAMES_IP)}, () => {
      process.send('udp', udp, () => udp.close());
      process.send('tcp', tcp, () => tcp.close());
    });
  });
});
process.on('disconnect', () => process.exit(0));
`;

async function sh(...argv: string[]): Promise<void> {
  await execFileP(argv[0], argv.slice(1), { timeout: 10_000 });
}

/** Run a command inside the namespace; a non-zero exit is a result, not an error. */
async function inPod(...argv: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await execFileP('ip', ['netns', 'exec', NS, ...argv], { timeout: 20_000 });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof err.code === 'number' ? err.code : -1,
      out: (err.stdout ?? '') + (err.stderr ?? ''),
    };
  }
}

describe.skipIf(!isRoot)('CoreDNS from inside a pod network namespace', () => {
  beforeAll(async () => {
    await sh('ip', 'netns', 'add', NS);
    await sh('ip', '-n', NS, 'link', 'set', 'lo', 'up');
    await sh('ip', '-n', NS, 'addr', 'add', `${DNS_IP}/32`, 'dev', 'lo');
    await sh('ip', '-n', NS, 'addr', 'add', `${HOSTNAMES_IP}/32`, 'dev', 'lo');
    mkdirSync(`/etc/netns/${NS}`, { recursive: true });
    writeFileSync(`/etc/netns/${NS}/resolv.conf`, resolvConf);

    const cluster = clusterSource();
    server = new CoreDnsServer({ resolver: new KubernetesResolver(cluster.source) });
    const child = spawn('ip', ['netns', 'exec', NS, process.execPath, '-e', HELPER], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    helper = child;
    await new Promise<void>((resolve, reject) => {
      let got = 0;
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`helper exited with ${code}`)));
      child.on('message', (what, handle) => {
        if (what === 'udp') server!.serveUdp(handle as unknown as dgram.Socket);
        if (what === 'tcp') server!.serveTcp(handle as unknown as net.Server);
        if (++got === 2) resolve();
      });
    });
  });

  afterAll(async () => {
    await server?.close();
    helper?.kill('SIGKILL');
    await execFileP('ip', ['netns', 'del', NS]).catch(() => {});
    rmSync(`/etc/netns/${NS}`, { recursive: true, force: true });
  });

  it("sees the kubelet's resolv.conf", async () => {
    expect((await inPod('cat', '/etc/resolv.conf')).out).toBe(
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
  });

  it('resolves a short Service name through the search path with busybox nslookup', async () => {
    const r = await inPod('busybox', 'nslookup', 'hostnames');
    expect(r.out).toContain('Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n');
    expect(r.out).toContain('Name:\thostnames.default.svc.cluster.local\nAddress: 10.96.1.175\n');
    // busybox asks every search domain and reports the misses (exit 1), as on a real cluster.
    expect(r.out).toContain("** server can't find hostnames.svc.cluster.local: NXDOMAIN");
    expect(r.code).toBe(1);
  });

  it('resolves kubernetes.default through the search path with BIND nslookup', async () => {
    const r = await inPod('nslookup', 'kubernetes.default');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Name:\tkubernetes\.default\.svc\.cluster\.local\nAddress: 10\.96\.0\.1\n/);
  });

  it('shows why busybox >= 1.29 fails `nslookup kubernetes.default`: a dotted name skips the search list', async () => {
    const r = await inPod('busybox', 'nslookup', 'kubernetes.default');
    expect(r.code).toBe(1);
    expect(r.out).toContain("** server can't find kubernetes.default: SERVFAIL");
    const full = await inPod('busybox', 'nslookup', 'kubernetes.default.svc.cluster.local');
    expect(full.out).toContain('Name:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n');
  });

  it('reports NXDOMAIN for every search domain of a name that does not exist', async () => {
    const r = await inPod('busybox', 'nslookup', 'nosuch');
    expect(r.code).toBe(1);
    for (const d of ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local']) {
      expect(r.out).toContain(`** server can't find nosuch.${d}: NXDOMAIN`);
    }
  });

  it('lets glibc programs (getent, curl) reach a Service by its short name', async () => {
    expect((await inPod('getent', 'hosts', 'hostnames')).out).toMatch(
      /^10\.96\.1\.175\s+hostnames\.default\.svc\.cluster\.local$/m,
    );
    const curl = await inPod('curl', '-sS', '--max-time', '5', 'http://hostnames/');
    expect(curl).toEqual({ code: 0, out: 'hostnames-0uton\n' });
  });

  it('answers SRV queries from busybox', async () => {
    const r = await inPod(
      'busybox',
      'nslookup',
      '-type=srv',
      '_dns._udp.kube-dns.kube-system.svc.cluster.local',
    );
    expect(r.out).toContain('service = 0 100 53 kube-dns.kube-system.svc.cluster.local');
  });
});
