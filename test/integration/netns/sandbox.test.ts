import { spawn } from 'node:child_process';
import type dgram from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, gcSandboxes, newPrefix } from '../../../labs/netns/sandbox/index.ts';
import { processNsId } from '../../../labs/netns/sandbox/proc.ts';
import type { NativeSandbox } from '../../../labs/netns/sandbox/types.ts';
import { isRoot, leftovers, NOTHING, namespaceIds, vethPair } from './helpers.ts';

function once<T>(emitter: { once(ev: string, cb: (...a: any[]) => void): unknown }, ev: string): Promise<T> {
  return new Promise((resolve) => emitter.once(ev, (...a: any[]) => resolve(a as T)));
}

function readAll(sock: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      data += d;
    });
    sock.on('end', () => resolve(data));
    sock.on('error', reject);
  });
}

describe.skipIf(!isRoot).each(['root', 'userns'] as const)('%s sandbox', (mode) => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'svcl-t-state-'));
  const labDir = mkdtempSync(path.join(os.tmpdir(), 'svcl-t-lab-'));
  const created: NativeSandbox[] = [];
  let sb: NativeSandbox;

  beforeAll(async () => {
    sb = await createSandbox({ stateDir, mode, prefix: newPrefix('t') });
    created.push(sb);
    await sb.addNetns('ubuntu01');
    await sb.addNetns('ubuntu02');
    await vethPair(
      sb,
      { ns: 'ubuntu01', dev: 'enp0s3', cidr: '192.168.56.11/24' },
      { ns: 'ubuntu02', dev: 'enp0s3', cidr: '192.168.56.12/24' },
    );
  });

  afterAll(async () => {
    for (const s of created) await s.destroy().catch(() => {});
    await gcSandboxes(stateDir, { isAlive: () => false });
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(labDir, { recursive: true, force: true });
  });

  it('joins two namespaces with a veth pair that carries traffic', async () => {
    const res = await sb.run(['ping', '-c', '1', '-W', '2', '192.168.56.12'], { netns: 'ubuntu01' });
    expect(res.stdout).toContain('1 received');
    const route = await sb.run(['ip', 'route'], { netns: 'ubuntu02', bare: true });
    expect(route.stdout).toContain('192.168.56.0/24 dev enp0s3 proto kernel scope link src 192.168.56.12');
  });

  it('serves a TCP listener made by the broker inside one node to a client connected from the other', async () => {
    const broker = sb.broker();
    const server = await broker.tcpListen(sb.netnsPath('ubuntu01'), '192.168.56.11', 6443);
    try {
      expect(server.address()).toMatchObject({ address: '192.168.56.11', port: 6443 });
      server.on('connection', (s: net.Socket) => {
        s.on('data', (d) => s.end(`${s.remoteAddress} said ${d}`));
      });
      const client = await broker.tcpConnect(sb.netnsPath('ubuntu02'), '192.168.56.11', 6443, {
        timeoutMs: 2000,
      });
      expect(client.localAddress).toBe('192.168.56.12');
      expect(client.remoteAddress).toBe('192.168.56.11');
      client.write('hello');
      expect(await readAll(client)).toBe('192.168.56.12 said hello');
      // the listener is a socket of ubuntu01, as the node's own tools see it
      const ss = await sb.run(['ss', '-Hltn'], { netns: 'ubuntu01', bare: true });
      expect(ss.stdout).toContain('192.168.56.11:6443');
      const other = await sb.run(['ss', '-Hltn'], { netns: 'ubuntu02', bare: true });
      expect(other.stdout).not.toContain(':6443');
    } finally {
      server.close();
    }
  });

  it('reports connect and bind failures with their errno names', async () => {
    const broker = sb.broker();
    await expect(broker.tcpConnect(sb.netnsPath('ubuntu02'), '192.168.56.11', 81)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    await expect(
      broker.tcpConnect(sb.netnsPath('ubuntu02'), '192.168.56.99', 80, { timeoutMs: 200 }),
    ).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(broker.tcpListen(sb.netnsPath('ubuntu01'), '10.9.9.9', 80)).rejects.toMatchObject({
      code: 'EADDRNOTAVAIL',
    });
    const first = await broker.tcpListen(sb.netnsPath('ubuntu01'), '0.0.0.0', 8080);
    try {
      await expect(broker.tcpListen(sb.netnsPath('ubuntu01'), '192.168.56.11', 8080)).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    } finally {
      first.close();
    }
    await expect(
      broker.tcpListen(`${sb.netnsPath('ubuntu01')}-missing`, '0.0.0.0', 80),
    ).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('exchanges UDP datagrams between sockets bound by the broker in two nodes', async () => {
    const broker = sb.broker();
    const dns = await broker.udpBind(sb.netnsPath('ubuntu01'), '192.168.56.11', 53);
    const client = await broker.udpBind(sb.netnsPath('ubuntu02'), '', 0);
    try {
      dns.on('message', (msg, rinfo) => dns.send(`${rinfo.address} asked ${msg}`, rinfo.port, rinfo.address));
      const reply = once<[Buffer, dgram.RemoteInfo]>(client, 'message');
      client.send('kubernetes.default', 53, '192.168.56.11');
      const [msg, rinfo] = await reply;
      expect(msg.toString()).toBe('192.168.56.12 asked kubernetes.default');
      expect(rinfo).toMatchObject({ address: '192.168.56.11', port: 53 });
    } finally {
      dns.close();
      client.close();
    }
  });

  it("shows commands the node's hostname, its own /sys/class/net and its bind-mounted files", async () => {
    const node = path.join(labDir, 'nodes', 'ubuntu02');
    mkdirSync(path.join(node, 'etc-cni', 'net.d'), { recursive: true });
    writeFileSync(path.join(node, 'etc-cni', 'net.d', '10-flannel.conflist'), '{"name":"cbr0"}\n');
    writeFileSync(path.join(node, 'resolv.conf'), 'nameserver 10.0.2.3\n');
    const hostResolv = readFileSync('/etc/resolv.conf', 'utf8');
    const hostHadCni = existsSync('/etc/cni');
    sb.setView('ubuntu02', {
      hostname: 'ubuntu02',
      binds: [
        { source: path.join(node, 'etc-cni'), target: '/etc/cni' },
        { source: path.join(node, 'resolv.conf'), target: '/etc/resolv.conf' },
      ],
    });
    await sb.ipBatch(['link add name cni0 type bridge', 'link set cni0 up'], 'ubuntu02');
    await sb.ipBatch(
      [
        `link add name veth1 type veth peer name eth0 netns ${sb.netnsPath('ubuntu01')}`,
        'link set veth1 master cni0',
      ],
      'ubuntu02',
    );
    const res = await sb.run(
      [
        'sh',
        '-c',
        'hostname; ls /sys/class/net | tr "\\n" " "; echo; cat /sys/class/net/cni0/brif/*/hairpin_mode; ' +
          'cat /etc/cni/net.d/10-flannel.conflist /etc/resolv.conf',
      ],
      { netns: 'ubuntu02' },
    );
    expect(res.stdout.split('\n')).toEqual([
      'ubuntu02',
      'cni0 enp0s3 lo veth1 ',
      '0',
      '{"name":"cbr0"}',
      'nameserver 10.0.2.3',
      '',
    ]);
    // hairpin written through the node's sysfs is the kernel's own bridge-port state
    await sb.run(['sh', '-c', 'echo 1 > /sys/class/net/veth1/brport/hairpin_mode'], { netns: 'ubuntu02' });
    const link = await sb.run(['bridge', '-d', 'link', 'show', 'dev', 'veth1'], {
      netns: 'ubuntu02',
      bare: true,
    });
    expect(link.stdout).toContain('hairpin on');
    // the host saw none of it
    expect(readFileSync('/etc/resolv.conf', 'utf8')).toBe(hostResolv);
    expect(existsSync('/etc/cni')).toBe(hostHadCni);
    expect(os.hostname()).not.toBe('ubuntu02');
  });

  it('runs iptables and iptables-save inside a node, separately from the other', async () => {
    await sb.run(
      [
        'iptables',
        '-t',
        'nat',
        '-A',
        'POSTROUTING',
        '-s',
        '10.244.0.0/16',
        '!',
        '-d',
        '224.0.0.0/4',
        '-m',
        'comment',
        '--comment',
        'flanneld masq',
        '-j',
        'MASQUERADE',
        '--random-fully',
      ],
      { netns: 'ubuntu01', bare: true },
    );
    const mine = await sb.run(['iptables-save', '-t', 'nat'], { netns: 'ubuntu01', bare: true });
    expect(mine.stdout).toContain(
      '-A POSTROUTING -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully',
    );
    const other = await sb.run(['iptables-save', '-t', 'nat'], { netns: 'ubuntu02', bare: true });
    expect(other.stdout).not.toContain('flanneld masq');
    const legacy = await sb.run(['sh', '-c', 'iptables-legacy -N KUBE-SERVICES && iptables-legacy-save'], {
      netns: 'ubuntu02',
      bare: true,
    });
    expect(legacy.stdout).toContain(':KUBE-SERVICES - [0:0]');
  });

  it('fails a command with its exit code and stderr, or returns them when asked', async () => {
    await expect(
      sb.run(['ip', 'route', 'add', '10.96.0.0/12', 'dev', 'nope'], { netns: 'ubuntu01' }),
    ).rejects.toThrow(
      /`ip route add 10.96.0.0\/12 dev nope` in ubuntu01 exited with code \d+: Cannot find device "nope"/,
    );
    const res = await sb.run(['sh', '-c', 'echo out; echo err >&2; exit 3'], {
      netns: 'ubuntu01',
      allowFailure: true,
    });
    expect(res).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    await expect(
      sb.ipBatch(['link set lo up', 'route add 10.96.0.0/12 dev nope'], 'ubuntu01'),
    ).rejects.toThrow(/line 2 `route add 10.96.0.0\/12 dev nope`/);
    const slow = await sb.run(['sleep', '5'], { netns: 'ubuntu01', timeoutMs: 100, allowFailure: true });
    expect(slow.code).toBe(124);
    expect(slow.stderr).toContain('timed out after 100 ms');
  });

  it('creates several namespaces with one helper and keeps track of those made before a failure', async () => {
    await sb.addNetnsMany(['pod-a', 'pod-b']);
    expect(sb.netnsNames()).toEqual(expect.arrayContaining(['pod-a', 'pod-b']));
    await expect(sb.addNetnsMany(['pod-c', 'pod-a'])).rejects.toThrow(/namespace pod-a already exists/);
    expect(sb.netnsNames()).not.toContain('pod-c');
    // a stray file where pod-e would go: pod-d is made, pod-e fails, pod-f is never tried
    writeFileSync(sb.netnsPath('pod-e'), '');
    await expect(sb.addNetnsMany(['pod-d', 'pod-e', 'pod-f'])).rejects.toThrow(/File exists/);
    expect(sb.netnsNames()).toContain('pod-d');
    expect(sb.netnsNames()).not.toContain('pod-e');
    expect(sb.netnsNames()).not.toContain('pod-f');
    const hostname = await sb.run(['hostname'], { netns: 'pod-d' });
    expect(hostname.stdout).toBe('pod-d\n');
    rmSync(sb.netnsPath('pod-e'));
    for (const n of ['pod-a', 'pod-b', 'pod-d']) await sb.deleteNetns(n);
  });

  it('deleteNetns kills what runs inside the namespace and removes it', async () => {
    await sb.addNetns('pod-httpd');
    const spec = sb.commandFor(['sleep', '600'], { netns: 'pod-httpd' });
    const child = spawn(spec.file, spec.args, { env: spec.env, stdio: 'ignore' });
    const exited = once<[number | null, string | null]>(child, 'exit');
    const id = processNsIdEventually(child.pid!, sb.netnsPath('pod-httpd'));
    await id;
    await sb.deleteNetns('pod-httpd');
    expect((await exited)[1]).toBe('SIGKILL');
    expect(sb.netnsNames()).not.toContain('pod-httpd');
    const list = await sb.run(['ip', 'netns', 'list'], { bare: true });
    expect(list.stdout).not.toContain('pod-httpd');
  });

  it('destroy leaves no namespace, process, mount or file behind', async () => {
    const victim = await createSandbox({ stateDir, mode, prefix: newPrefix('t') });
    created.push(victim);
    await victim.addNetns('a');
    await victim.addNetns('b');
    await vethPair(
      victim,
      { ns: 'a', dev: 'eth0', cidr: '10.1.0.1/24' },
      { ns: 'b', dev: 'eth0', cidr: '10.1.0.2/24' },
    );
    victim.setView('a', { binds: [{ source: labDir, target: '/run/flannel' }] });
    const server = await victim.broker().tcpListen(victim.netnsPath('a'), '10.1.0.1', 80);
    server.close();
    const spec = victim.commandFor(['sh', '-c', 'sleep 600 & sleep 600'], {
      netns: 'a',
      dieWithParent: false,
    });
    const child = spawn(spec.file, spec.args, { env: spec.env, stdio: 'ignore', detached: true });
    child.unref();
    await processNsIdEventually(child.pid!, victim.netnsPath('a'));
    const ids = namespaceIds(victim);
    expect(ids.size).toBeGreaterThanOrEqual(2);
    expect(leftovers(victim.prefix, ids, stateDir).processes.length).toBeGreaterThan(0);
    await victim.destroy();
    expect(leftovers(victim.prefix, ids, stateDir)).toEqual(NOTHING);
    await victim.destroy(); // idempotent
    await expect(victim.addNetns('c')).rejects.toThrow(/destroyed/);
  });
});

/** Resolves once the process has entered the namespace (nsutil has exec'd the program). */
async function processNsIdEventually(pid: number, netnsPath: string): Promise<void> {
  const { nsId } = await import('../../../labs/netns/sandbox/proc.ts');
  const want = nsId(netnsPath);
  for (let i = 0; i < 200; i++) {
    if (want && processNsId(pid, 'net') === want) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`process ${pid} never entered ${netnsPath}`);
}
