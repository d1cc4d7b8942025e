/**
 * kube-proxy's rules in a real kernel: one network namespace stands for a node. Endpoint "pods"
 * are listeners on addresses of the node's loopback; the service CIDR is routed out of a veth whose
 * peer answers nothing, so a ClusterIP works only through kube-proxy's DNAT (OUTPUT chain) and a
 * connection without a matching rule hangs rather than being refused.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KubeProxyAgent,
  type KubeProxyAgentOptions,
  type SyncReport,
} from '../../../labs/agents/kube-proxy/agent.ts';
import { buildRules } from '../../../labs/agents/kube-proxy/rules.ts';
import { ipNetnsRunner, runProcess } from '../../../labs/agents/kube-proxy/runner.ts';
import { MemoryServiceSource } from '../../../labs/agents/kube-proxy/source.ts';
import { hostnames, kubeDns, service, slice } from '../../unit/kube-proxy/fixtures.ts';

const isRoot = process.getuid?.() === 0;
const NS = `svcl-t${randomBytes(3).toString('hex')}-kp`;
const NODE = process.execPath;
const run = ipNetnsRunner(NS);
const children: ChildProcess[] = [];

const config = { clusterCIDR: '10.244.0.0/16', masqueradeAll: false };
const fake = service('default', 'fake-endpoint', {
  clusterIP: '10.96.9.9',
  ports: [{ name: '80', protocol: 'TCP', port: 80, targetPort: 9376 }],
});
const hostnamesSvc = service('default', 'hostnames', {
  ...hostnames.service.spec,
  clusterIP: '10.96.1.175',
  clusterIPs: undefined,
});

async function sh(argv: string[], input?: string): Promise<string> {
  const r = await run.run(argv, { input });
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Open `count` TCP connections from inside the node; each result is the first reply or an error code. */
async function connect(
  ip: string,
  port: number,
  count = 1,
  timeoutMs = 1000,
): Promise<{ out: string; ms: number }[]> {
  const script = `
    const net = require('node:net');
    const one = () => new Promise((resolve) => {
      const t0 = Date.now();
      const s = net.connect({ host: ${JSON.stringify(ip)}, port: ${port} });
      let data = '';
      const done = (out) => { s.destroy(); resolve({ out, ms: Date.now() - t0 }); };
      s.setTimeout(${timeoutMs}, () => done('TIMEOUT'));
      s.on('data', (d) => { data += d; });
      s.on('end', () => done(data));
      s.on('error', (e) => done(e.code));
    });
    (async () => { const out = []; for (let i = 0; i < ${count}; i++) out.push(await one()); console.log(JSON.stringify(out)); })();
  `;
  return JSON.parse(await sh([NODE, '-e', script]));
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function agent(source: MemoryServiceSource, extra: Partial<KubeProxyAgentOptions> = {}): KubeProxyAgent {
  return new KubeProxyAgent({
    nodeName: 'ubuntu02',
    nodeIPs: ['192.168.77.1'],
    config,
    runner: run,
    source,
    minSyncPeriodMs: 50,
    syncPeriodMs: 300,
    ...extra,
  });
}

describe.skipIf(!isRoot)('kube-proxy rules in a real kernel', () => {
  beforeAll(async () => {
    const r = await runProcess(['ip', 'netns', 'add', NS]);
    if (r.code !== 0) throw new Error(r.stderr);
    for (const argv of [
      ['ip', 'link', 'set', 'lo', 'up'],
      ['ip', 'link', 'add', 'kp0', 'type', 'veth', 'peer', 'name', 'kp1'],
      ['ip', 'link', 'set', 'kp0', 'up'],
      ['ip', 'link', 'set', 'kp1', 'up'],
      ['ip', 'addr', 'add', '192.168.77.1/24', 'dev', 'kp0'],
      ['ip', 'route', 'add', '10.96.0.0/12', 'dev', 'kp0'],
      ['ip', 'addr', 'add', '10.244.1.7/32', 'dev', 'lo'],
      ['ip', 'addr', 'add', '10.244.2.3/32', 'dev', 'lo'],
      ['ip', 'addr', 'add', '10.244.3.6/32', 'dev', 'lo'],
      ['ip', 'addr', 'add', '10.244.0.2/32', 'dev', 'lo'],
      ['ip', 'addr', 'add', '10.244.0.3/32', 'dev', 'lo'],
    ]) {
      await sh(argv);
    }
    // Three "hostnames" pods answering their own name, and two DNS pods echoing UDP.
    const pods = `
      const net = require('node:net'); const dgram = require('node:dgram');
      const names = { '10.244.1.7': 'hostnames-0uton', '10.244.2.3': 'hostnames-yp2kp', '10.244.3.6': 'hostnames-bvc05' };
      for (const [ip, name] of Object.entries(names)) net.createServer((c) => c.end(name)).listen(9376, ip);
      for (const ip of ['10.244.0.2', '10.244.0.3']) {
        const u = dgram.createSocket('udp4'); u.on('message', (m, from) => u.send(ip, from.port, from.address)); u.bind(53, ip);
      }
      setTimeout(() => console.log('ready'), 200);
    `;
    const child = spawn('ip', ['netns', 'exec', NS, NODE, '-e', pods], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`pod listeners exited ${code}`)));
    });
  });

  afterAll(async () => {
    for (const c of children) if (c.pid !== undefined && c.exitCode === null) process.kill(c.pid, 'SIGTERM');
    await runProcess(['ip', 'netns', 'del', NS]);
  });

  it('loads with iptables-restore and iptables-save shows it in the kernel’s own form', async () => {
    const { restore } = buildRules({
      nodeName: 'ubuntu02',
      nodeIPs: ['192.168.77.1'],
      config,
      services: [hostnamesSvc, fake],
      endpointSlices: [hostnames.slice],
    });
    await sh(['iptables-restore', '--noflush'], restore);
    const save = await sh(['iptables-save']);
    expect(save).toContain(':KUBE-SVC-ODX2UBAZM7RQWOIU - [0:0]');
    expect(save).toContain(
      '-A KUBE-SVC-ODX2UBAZM7RQWOIU -m comment --comment "default/hostnames:default -> 10.244.1.7:9376" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-7MW3KEEC4RCNSIJ2',
    );
    expect(save).toContain('--probability 0.50000000000 -j KUBE-SEP-J2MZVQ3C4ISRWBMA');
    expect(save).toContain(
      '-A KUBE-SERVICES -d 10.96.9.9/32 -p tcp -m comment --comment "default/fake-endpoint:80 has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
    );
    expect(save).toContain(
      '-A KUBE-SEP-7MW3KEEC4RCNSIJ2 -s 10.244.1.7/32 -m comment --comment "default/hostnames:default" -j KUBE-MARK-MASQ',
    );
    expect(save).toContain('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000');
  });

  it('an agent installs the jumps, canaries and sysctls, and its ClusterIP reaches every endpoint', async () => {
    const lines: string[] = [];
    const a = agent(
      new MemoryServiceSource({ services: [hostnamesSvc, fake], endpointSlices: [hostnames.slice] }),
      {
        log: (l) => lines.push(l),
        verbosity: 2,
      },
    );
    try {
      await a.start();
      const save = await sh(['iptables-save']);
      expect(save).toContain('-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
      expect(save).toContain(
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      );
      expect(save).toContain(
        '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
      );
      expect(save).toContain(
        '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      );
      expect(save.match(/^:KUBE-PROXY-CANARY - \[0:0\]$/gm)).toHaveLength(3);
      expect((await sh(['sysctl', '-n', 'net.ipv4.conf.all.route_localnet'])).trim()).toBe('1');
      expect(lines.some((l) => l.endsWith('server_linux.go:170] "Using iptables Proxier"'))).toBe(true);
      expect(lines.some((l) => l.includes('"Syncing iptables rules" ipFamily="IPv4" fullSync=true'))).toBe(
        true,
      );

      const answers = await connect('10.96.1.175', 80, 30);
      expect(new Set(answers.map((r) => r.out))).toEqual(
        new Set(['hostnames-0uton', 'hostnames-yp2kp', 'hostnames-bvc05']),
      );
      // A second full sync finds the jumps in place and adds none.
      await a.syncNow();
      const again = await sh(['iptables-save', '-t', 'nat']);
      expect(again.match(/-A OUTPUT -m comment --comment "kubernetes service portals"/g)).toHaveLength(1);
    } finally {
      await a.stop();
    }
  });

  it('refuses a service without endpoints at once, where an unprogrammed address just hangs', async () => {
    const a = agent(
      new MemoryServiceSource({ services: [hostnamesSvc, fake], endpointSlices: [hostnames.slice] }),
    );
    try {
      await a.start();
      const [refused] = await connect('10.96.9.9', 80);
      expect(refused!.out).toBe('ECONNREFUSED');
      expect(refused!.ms).toBeLessThan(200);
      const [hang] = await connect('10.96.99.99', 80, 1, 400);
      expect(hang!.out).toBe('TIMEOUT');
    } finally {
      await a.stop();
    }
  });

  it('follows endpoint changes: the REJECT goes and the service answers', async () => {
    const source = new MemoryServiceSource({
      services: [hostnamesSvc, fake],
      endpointSlices: [hostnames.slice],
    });
    const a = agent(source, { syncPeriodMs: 60_000 });
    try {
      await a.start();
      source.set({
        endpointSlices: [
          hostnames.slice,
          slice(
            'default',
            'fake-endpoint',
            [{ ip: '10.244.2.3', node: 'ubuntu02' }],
            [{ name: '80', port: 9376 }],
          ),
        ],
      });
      await until(
        'the fake-endpoint REJECT to go',
        async () => !(await sh(['iptables-save', '-t', 'filter'])).includes('has no endpoints'),
      );
      expect((await connect('10.96.9.9', 80))[0]!.out).toBe('hostnames-yp2kp');
    } finally {
      await a.stop();
    }
  });

  it('rate-limits syncs: a burst of changes costs a few partial syncs and ends in the last state', async () => {
    const source = new MemoryServiceSource({
      services: [hostnamesSvc, fake],
      endpointSlices: [hostnames.slice],
    });
    const reports: SyncReport[] = [];
    const a = agent(source, { minSyncPeriodMs: 400, syncPeriodMs: 60_000, onSync: (r) => reports.push(r) });
    try {
      await a.start();
      const ips = ['10.244.1.7', '10.244.2.3', '10.244.3.6'];
      for (let i = 0; i < 10; i++) {
        const ep = slice('default', 'fake-endpoint', [{ ip: ips[i % 3]! }], [{ name: '80', port: 9376 }]);
        source.set({ endpointSlices: [hostnames.slice, ep] });
      }
      await until('the last endpoint to be programmed', async () =>
        a.lastRestore.includes('"default/fake-endpoint:80 -> 10.244.1.7:9376"'),
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(reports.length).toBeGreaterThanOrEqual(2);
      expect(reports.length).toBeLessThanOrEqual(4);
      expect(reports[0]!.full).toBe(true);
      const partial = reports.slice(1);
      expect(partial.every((r) => r.ok && !r.full)).toBe(true);
      // Partial syncs leave the unchanged service's chains as they are in the kernel...
      expect(partial.every((r) => !r.result!.restore.includes(':KUBE-SVC-ODX2UBAZM7RQWOIU'))).toBe(true);
      // ...which keep working.
      expect((await connect('10.96.1.175', 80))[0]!.out).toMatch(/^hostnames-/);
      expect((await connect('10.96.9.9', 80))[0]!.out).toBe('hostnames-0uton');
    } finally {
      await a.stop();
    }
  });

  it('repairs a hand `iptables -t nat -F` and `iptables -F` on its periodic sync', async () => {
    const a = agent(
      new MemoryServiceSource({ services: [hostnamesSvc, fake], endpointSlices: [hostnames.slice] }),
    );
    try {
      await a.start();
      await sh(['iptables', '-t', 'nat', '-F']);
      await sh(['iptables', '-F']);
      expect((await connect('10.96.1.175', 80, 1, 300))[0]!.out).toBe('TIMEOUT');
      await until('nat rules to come back', async () =>
        (await sh(['iptables-save', '-t', 'nat'])).includes('-j KUBE-SVC-ODX2UBAZM7RQWOIU'),
      );
      await until('filter rules to come back', async () =>
        (await sh(['iptables-save', '-t', 'filter'])).includes('has no endpoints'),
      );
      expect((await connect('10.96.1.175', 80))[0]!.out).toMatch(/^hostnames-/);
      expect((await connect('10.96.9.9', 80))[0]!.out).toBe('ECONNREFUSED');
    } finally {
      await a.stop();
    }
  });

  it('in 1.32 canary mode, a flush alone is not repaired, but deleting the canary chains is', async () => {
    const a = agent(
      new MemoryServiceSource({ services: [hostnamesSvc], endpointSlices: [hostnames.slice] }),
      {
        resync: 'canary',
      },
    );
    try {
      await a.start();
      await sh(['iptables', '-t', 'nat', '-F']);
      await new Promise((r) => setTimeout(r, 1000));
      expect(await sh(['iptables-save', '-t', 'nat'])).not.toContain('-j KUBE-SVC-ODX2UBAZM7RQWOIU');
      for (const table of ['mangle', 'nat', 'filter'])
        await sh(['iptables', '-t', table, '-X', 'KUBE-PROXY-CANARY']);
      await until('a full resync after the canaries vanished', async () =>
        (await sh(['iptables-save', '-t', 'nat'])).includes('-j KUBE-SVC-ODX2UBAZM7RQWOIU'),
      );
      expect((await connect('10.96.1.175', 80))[0]!.out).toMatch(/^hostnames-/);
    } finally {
      await a.stop();
    }
  });

  it('deletes conntrack entries of a UDP service that point at a removed endpoint', async () => {
    const dnsSvc = service('kube-system', 'kube-dns', { ...kubeDns.service.spec, clusterIP: '10.96.0.10' });
    const dnsSlice = (ip: string) =>
      slice(
        'kube-system',
        'kube-dns',
        [{ ip, node: 'ubuntu02' }],
        [{ name: 'dns', port: 53, protocol: 'UDP' }],
      );
    const source = new MemoryServiceSource({ services: [dnsSvc], endpointSlices: [dnsSlice('10.244.0.2')] });
    const a = agent(source, { syncPeriodMs: 60_000 });
    try {
      await a.start();
      const ask = `
        const u = require('node:dgram').createSocket('udp4');
        u.bind(40053, () => u.send('q', 53, '10.96.0.10'));
        u.on('message', (m) => { console.log(String(m)); process.exit(0); });
        setTimeout(() => { console.log('TIMEOUT'); process.exit(0); }, 1000);
      `;
      expect((await sh([NODE, '-e', ask])).trim()).toBe('10.244.0.2');
      const flows = () => sh(['conntrack', '-L', '-p', 'udp', '--orig-port-src', '40053']);
      expect(await flows()).toMatch(/src=10\.244\.0\.2 /);

      source.set({ endpointSlices: [dnsSlice('10.244.0.3')] });
      await until('the stale flow to be deleted', async () => !/src=10\.244\.0\.2 /.test(await flows()));
      expect((await sh([NODE, '-e', ask])).trim()).toBe('10.244.0.3');
    } finally {
      await a.stop();
    }
  });
});
