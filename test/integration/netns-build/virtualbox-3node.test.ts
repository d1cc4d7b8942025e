/**
 * The seed-000 VirtualBox cluster built on the real kernel: routes as the seed shows them, the
 * host-only network joining the nodes, and every enp0s8 alone behind its own NAT.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIRTUALBOX_NODES, virtualbox3Node } from '../../../labs/environments/index.ts';
import { BuildError, type BuildProgress, buildLab, type NetnsLab } from '../../../labs/netns/build/index.ts';
import { connect, type Listener, listen, ping, sh } from './probes.ts';
import { createTestSandbox, namespacesWithPrefix, type TestSandbox } from './sandbox.ts';

describe('virtualbox-3node on real kernel networking', () => {
  let box: TestSandbox;
  let sandbox: TestSandbox['sandbox'];
  const events: BuildProgress[] = [];
  const listeners: Listener[] = [];
  let labDir: string;
  let lab: NetnsLab;

  beforeAll(async () => {
    labDir = await mkdtemp(join(tmpdir(), 'svcl-t-vbox-'));
    box = await createTestSandbox();
    sandbox = box.sandbox;
    lab = await buildLab(virtualbox3Node(), sandbox, { labDir, onProgress: (e) => events.push(e) });
  });

  afterAll(async () => {
    await Promise.all(listeners.map((l) => l.close()));
    await lab?.teardown();
    await box?.dispose();
    await rm(labDir, { recursive: true, force: true });
  });

  it('reports real build steps with titles and a done/total count', () => {
    const done = events.filter((e) => e.state === 'done');
    expect(done.map((e) => e.done)).toEqual(done.map((_, i) => i + 1));
    expect(done.at(-1)!.done).toBe(done.at(-1)!.total);
    expect(events.map((e) => e.step)).toContain('cables');
    expect(events).toContainEqual(
      expect.objectContaining({ step: 'node:ubuntu02', title: 'Creating node ubuntu02', state: 'done' }),
    );
    expect(events.filter((e) => e.state === 'failed')).toEqual([]);
    expect(lab.warnings).toEqual([]);
  });

  it("writes each node's netplan file where the node's /etc/netplan is mounted from", async () => {
    const file = lab.nodeFile('ubuntu02', '/etc/netplan/50-cloud-init.yaml');
    expect(file).toBe(join(labDir, 'nodes/ubuntu02/etc/netplan/50-cloud-init.yaml'));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toContain('set-name: enp0s8\n      dhcp4: true');
    expect(await readFile(lab.nodeFile('ubuntu02', '/etc/hostname'), 'utf8')).toBe('ubuntu02\n');
  });

  it.each(VIRTUALBOX_NODES.map((n) => [n.name, n.hostOnly]))(
    '%s routes like the seed: default via 10.0.2.2 on enp0s8, host-only subnet on enp0s3',
    async (name, address) => {
      const routes = (await sh(sandbox, lab.netns(name), 'ip', 'route')).split('\n').map((l) => l.trim());
      expect(routes.some((l) => l.startsWith('default via 10.0.2.2 dev enp0s8'))).toBe(true);
      expect(routes).toContain(`192.168.56.0/24 dev enp0s3 proto kernel scope link src ${address}`);
      expect(routes.filter((l) => l.startsWith('default'))).toHaveLength(1);
      const addr = await sh(sandbox, lab.netns(name), 'ip', '-o', '-4', 'addr', 'show', 'dev', 'enp0s8');
      expect(addr).toContain('inet 10.0.2.15/24');
    },
  );

  it('joins the nodes and the host on the host-only network', async () => {
    const pairs = VIRTUALBOX_NODES.flatMap((from) =>
      [...VIRTUALBOX_NODES.filter((to) => to !== from).map((to) => to.hostOnly), '192.168.56.1'].map(
        (to) => [from.name, to] as const,
      ),
    );
    const results = await Promise.all(pairs.map(([from, to]) => ping(sandbox, lab.netns(from), to)));
    expect(pairs.filter((_, i) => !results[i])).toEqual([]);
  });

  it('lets each node reach its own NAT gateway and, masqueraded, the host network behind it', async () => {
    listeners.push(await listen(sandbox, lab.netns('host'), '198.51.100.1', 8080, 'host'));
    for (const vm of VIRTUALBOX_NODES) {
      expect(await ping(sandbox, lab.netns(vm.name), '10.0.2.2')).toBe(true);
      // The host has no route to 10.0.2.0/24: the answer only comes back because the node's own
      // NAT router rewrote the source to its address on the host network.
      expect(await connect(sandbox, lab.netns(vm.name), '198.51.100.1', 8080)).toEqual({
        ok: true,
        data: `host ${vm.lan}`,
      });
    }
  });

  it("never reaches another node's 10.0.2.15: the address is each node's own", async () => {
    listeners.push(await listen(sandbox, lab.netns('ubuntu02'), '0.0.0.0', 7000, 'ubuntu02'));
    expect(await connect(sandbox, lab.netns('ubuntu02'), '10.0.2.15', 7000)).toEqual({
      ok: true,
      data: 'ubuntu02 10.0.2.15',
    });
    expect(await connect(sandbox, lab.netns('ubuntu01'), '192.168.56.12', 7000)).toEqual({
      ok: true,
      data: 'ubuntu02 192.168.56.11',
    });
    // From ubuntu01, 10.0.2.15 is ubuntu01 itself, where nothing listens on 7000.
    expect(await connect(sandbox, lab.netns('ubuntu01'), '10.0.2.15', 7000)).toEqual({
      ok: false,
      error: 'ECONNREFUSED',
    });
  });

  it('keeps br_netfilter and forwarding on in nodes and off in switches', async () => {
    const read = (ns: string, key: string) =>
      sh(sandbox, lab.netns(ns), 'sysctl', '-n', key).then((v) => v.trim());
    expect(await read('ubuntu02', 'net.bridge.bridge-nf-call-iptables')).toBe('1');
    expect(await read('ubuntu02', 'net.ipv4.ip_forward')).toBe('1');
    expect(await read('ubuntu02', 'net.ipv4.conf.enp0s3.rp_filter')).toBe('2');
    expect(await read('hostonly', 'net.bridge.bridge-nf-call-iptables')).toBe('0');
    expect(await read('nat-ubuntu02', 'net.ipv4.ip_forward')).toBe('1');
    expect(await read('host', 'net.ipv4.ip_forward')).toBe('0');
  });

  it('gives switch ports readable names and nodes VM-like NICs', async () => {
    const ports = await sh(sandbox, lab.netns('hostonly'), 'ip', '-o', 'link', 'show', 'master', 'br0');
    for (const name of ['s-ubuntu01-3', 's-ubuntu02-3', 's-ubuntu03-3', 's-host-0'])
      expect(ports).toContain(`${name}@`);
    const links = await sh(sandbox, lab.netns('ubuntu02'), 'ip', '-o', 'link');
    expect(links).toMatch(/^2: enp0s3@\S+ .*link\/ether 08:00:27:56:00:12 /m);
    expect(links).toMatch(/^3: enp0s8@\S+ .*link\/ether 08:00:27:02:15:02 /m);
  });

  it('re-cables a deleted NAT NIC on reboot and leases 10.0.2.15 again', async () => {
    const ns = lab.netns('ubuntu03');
    await sandbox.run(['ip', 'link', 'del', 'enp0s8'], { netns: ns });
    expect(await ping(sandbox, ns, '10.0.2.2')).toBe(false);
    const report = await lab.rebuildNodeNetwork('ubuntu03');
    expect(report.warnings).toEqual([]);
    expect(await sh(sandbox, ns, 'ip', 'route')).toMatch(
      /^default via 10\.0\.2\.2 dev enp0s8 proto dhcp src 10\.0\.2\.15 metric 100 $/m,
    );
    expect(await ping(sandbox, ns, '10.0.2.2')).toBe(true);
    expect(await connect(sandbox, ns, '198.51.100.1', 8080)).toEqual({
      ok: true,
      data: 'host 198.51.100.13',
    });
  });

  it('rolls a build back when the kernel refuses part of it, naming the step', async () => {
    const { sandbox: fresh, dispose } = await createTestSandbox();
    const dir = await mkdtemp(join(tmpdir(), 'svcl-t-vbox-'));
    const topology = virtualbox3Node();
    topology.nodes[1].sysctls['net.ipv4.conf.all.no_such_setting'] = '1';
    try {
      const error = await buildLab(topology, fresh, { labDir: dir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BuildError);
      expect((error as BuildError).step).toBe('node:ubuntu02');
      expect((error as Error).message).toMatch(/net\/ipv4\/conf\/all\/no_such_setting/);
      expect(await namespacesWithPrefix(fresh.prefix)).toEqual([]);
    } finally {
      await dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('tears down every namespace it created', async () => {
    const { sandbox: fresh, dispose } = await createTestSandbox();
    const dir = await mkdtemp(join(tmpdir(), 'svcl-t-vbox-'));
    try {
      const other = await buildLab(virtualbox3Node(), fresh, { labDir: dir });
      expect(await namespacesWithPrefix(fresh.prefix)).toHaveLength(9); // 3 nodes, 3 NAT routers, the host, 2 switches (wires need none)
      await other.teardown();
      await other.teardown();
      expect(await namespacesWithPrefix(fresh.prefix)).toEqual([]);
    } finally {
      await dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
