/**
 * `rebuildNodeNetwork` is a reboot of the node's network: whatever was only live is gone, whatever
 * is in the node's persistent files comes back. This is what makes "a route lost on reboot" a wrong
 * fix for seed 003 and a netplan route a right one.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoMasterBusiness } from '../../../labs/environments/index.ts';
import { buildLab, type NetnsLab, PersistentConfigError } from '../../../labs/netns/build/index.ts';
import { connect, type Listener, listen, ping, sh } from './probes.ts';
import { createTestSandbox, type TestSandbox } from './sandbox.ts';

const SERVICE_ROUTE = '172.24.0.0/13 dev enslf0';

describe('rebooting a node of two-master-business', () => {
  let box: TestSandbox;
  let sandbox: TestSandbox['sandbox'];
  let labDir: string;
  let lab: NetnsLab;
  let apiserver: Listener;
  let worker: string;
  const run = (...argv: string[]) => sandbox.run(argv, { netns: worker });
  const routes = () => sh(sandbox, worker, 'ip', 'route');
  const dnat = () =>
    run(
      'iptables',
      '-t',
      'nat',
      '-A',
      'OUTPUT',
      '-d',
      '172.24.0.1',
      '-p',
      'tcp',
      '--dport',
      '443',
      '-j',
      'DNAT',
      '--to-destination',
      '10.0.0.8:6443',
    );

  beforeAll(async () => {
    labDir = await mkdtemp(join(tmpdir(), 'svcl-t-reboot-'));
    box = await createTestSandbox();
    sandbox = box.sandbox;
    lab = await buildLab(twoMasterBusiness({ defaultRoute: 'enslf1' }), sandbox, { labDir });
    worker = lab.netns('gaia-node1');
    apiserver = await listen(sandbox, lab.netns('gaia-master1'), '10.0.0.8', 6443, 'apiserver');
  });

  afterAll(async () => {
    await apiserver?.close();
    await lab?.teardown();
    await box?.dispose();
    await rm(labDir, { recursive: true, force: true });
  });

  it('drops a route that was only added live, together with other live state', async () => {
    await run('ip', 'route', 'add', ...SERVICE_ROUTE.split(' '));
    await run('ip', 'link', 'add', 'br-learner', 'type', 'bridge');
    await run('sysctl', '-w', 'net.ipv4.conf.all.rp_filter=0');
    await dnat();
    expect(await connect(sandbox, worker, '172.24.0.1', 443)).toEqual({
      ok: true,
      data: 'apiserver 10.0.0.20',
    });

    const report = await lab.rebuildNodeNetwork('gaia-node1');
    expect(report.warnings).toEqual([]);
    expect(await routes()).not.toContain(SERVICE_ROUTE);
    expect(await routes()).toMatch(/^default via 10\.141\.13\.1 dev enslf1 proto static metric 200 $/m);
    expect(await sh(sandbox, worker, 'ip', '-o', 'link')).not.toContain('br-learner');
    expect((await sh(sandbox, worker, 'sysctl', '-n', 'net.ipv4.conf.all.rp_filter')).trim()).toBe('1');
    expect(await sh(sandbox, worker, 'iptables-save', '-t', 'nat')).not.toContain('DNAT');
    await dnat();
    expect(await connect(sandbox, worker, '172.24.0.1', 443, 1000)).toEqual({ ok: false, error: 'timeout' });
  });

  it('keeps a route written to the netplan file, and the fix survives', async () => {
    const config = await lab.readPersistentConfig('gaia-node1');
    config.ethernets.enslf0.routes.push({ to: '172.24.0.0/13', scope: 'link' });
    await lab.writePersistentConfig('gaia-node1', config);
    expect(await readFile(lab.nodeFile('gaia-node1', '/etc/netplan/50-cloud-init.yaml'), 'utf8')).toContain(
      '        - to: 172.24.0.0/13\n          scope: link\n',
    );

    await lab.rebuildNodeNetwork('gaia-node1');
    expect(await routes()).toMatch(/^172\.24\.0\.0\/13 dev enslf0 proto static scope link $/m);
    await dnat();
    expect(await connect(sandbox, worker, '172.24.0.1', 443)).toEqual({
      ok: true,
      data: 'apiserver 10.0.0.20',
    });

    await lab.rebuildNodeNetwork('gaia-node1');
    expect(await routes()).toMatch(/^172\.24\.0\.0\/13 dev enslf0 proto static scope link $/m);
  });

  it('applies a learner’s own extra netplan file, merged as netplan does', async () => {
    const extra = lab.nodeFile('gaia-node1', '/etc/netplan/99-business.yaml');
    await writeFile(
      extra,
      'network:\n  ethernets:\n    enslf1:\n      routes:\n        - to: 203.0.113.0/24\n          via: 10.141.13.1\n',
    );
    try {
      await lab.rebuildNodeNetwork('gaia-node1');
      expect(await routes()).toMatch(/^203\.0\.113\.0\/24 via 10\.141\.13\.1 dev enslf1 proto static $/m);
    } finally {
      await rm(extra);
    }
  });

  it('refuses to reboot on an invalid netplan file and leaves the running node alone', async () => {
    const path = lab.nodeFile('gaia-node1', '/etc/netplan/50-cloud-init.yaml');
    const good = await readFile(path, 'utf8');
    await writeFile(path, good.replace('      addresses:', '     addresses:'));
    try {
      const error = await lab.rebuildNodeNetwork('gaia-node1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PersistentConfigError);
      expect((error as Error).message).toMatch(
        /^invalid netplan configuration:\s+50-cloud-init\.yaml:\d+:\d+: All mapping items must start at the same column/,
      );
      expect(await routes()).toMatch(/^172\.24\.0\.0\/13 dev enslf0/m);
    } finally {
      await writeFile(path, good);
    }
  });

  it('applies what it can and reports what the kernel refused, as networkd logs a bad route', async () => {
    const extra = lab.nodeFile('gaia-node1', '/etc/netplan/99-typo.yaml');
    await writeFile(
      extra,
      'network:\n  ethernets:\n    enslf1:\n      routes:\n        - to: 198.51.100.0/24\n          via: 10.141.31.1\n',
    );
    try {
      const report = await lab.rebuildNodeNetwork('gaia-node1');
      expect(report.warnings).toEqual([
        expect.stringMatching(
          /^`ip route add 198\.51\.100\.0\/24 via 10\.141\.31\.1 dev enslf1 proto static`: .*Nexthop has invalid gateway/,
        ),
      ]);
      expect(await routes()).toMatch(/^default via 10\.141\.13\.1 dev enslf1/m);
      expect(await routes()).toMatch(/^172\.24\.0\.0\/13 dev enslf0/m);
    } finally {
      await rm(extra);
    }
  });

  it('brings back a NIC the learner deleted, since hardware survives a reboot', async () => {
    await run('ip', 'link', 'del', 'enslf1');
    expect(await ping(sandbox, worker, '10.141.13.1')).toBe(false);
    await lab.rebuildNodeNetwork('gaia-node1');
    expect(await sh(sandbox, worker, 'ip', '-o', 'link', 'show', 'enslf1')).toMatch(/^3: enslf1@/);
    expect(await ping(sandbox, worker, '10.141.13.1')).toBe(true);
    expect(await ping(sandbox, worker, '10.141.13.182')).toBe(true);
  });
});
