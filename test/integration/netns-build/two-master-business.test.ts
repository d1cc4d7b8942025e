/**
 * Seed 003, proven by the kernel: with the default route on the business NIC and no route for the
 * service network, a host-originated connection to the `kubernetes` ClusterIP leaves with the
 * business address as source, the master's strict rp_filter drops it, and the connection times out
 * while the apiserver answers directly. `ip route add 172.24.0.0/13 dev enslf0` fixes it.
 *
 * kube-proxy is not part of this piece: one test-local DNAT rule stands in for its KUBE-SEP rule.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoMasterBusiness } from '../../../labs/environments/index.ts';
import { buildLab, type NetnsLab } from '../../../labs/netns/build/index.ts';
import { connect, type Listener, listen, sh, tcpExtCounter } from './probes.ts';
import { createTestSandbox, type TestSandbox } from './sandbox.ts';

const KUBERNETES_DNAT = [
  '-d',
  '172.24.0.1/32',
  '-p',
  'tcp',
  '--dport',
  '443',
  '-j',
  'DNAT',
  '--to-destination',
  '10.0.0.8:6443',
];

describe('two-master-business with the default route on the business NIC (seed 003)', () => {
  let box: TestSandbox;
  let sandbox: TestSandbox['sandbox'];
  let labDir: string;
  let lab: NetnsLab;
  let apiserver: Listener;
  let worker: string;
  let master: string;

  beforeAll(async () => {
    labDir = await mkdtemp(join(tmpdir(), 'svcl-t-biz-'));
    box = await createTestSandbox();
    sandbox = box.sandbox;
    lab = await buildLab(twoMasterBusiness({ defaultRoute: 'enslf1' }), sandbox, { labDir });
    worker = lab.netns('gaia-node1');
    master = lab.netns('gaia-master1');
    apiserver = await listen(sandbox, master, '10.0.0.8', 6443, 'apiserver');
    await sandbox.run(['iptables', '-t', 'nat', '-A', 'OUTPUT', ...KUBERNETES_DNAT], { netns: worker });
  });

  afterAll(async () => {
    await apiserver?.close();
    await lab?.teardown();
    await box?.dispose();
    await rm(labDir, { recursive: true, force: true });
  });

  it('boots every node with the default on enslf1 and strict rp_filter', async () => {
    for (const name of ['gaia-master1', 'gaia-master2', 'gaia-node1']) {
      const routes = await sh(sandbox, lab.netns(name), 'ip', 'route');
      expect(routes).toMatch(/^default via 10\.141\.13\.1 dev enslf1 proto static metric 200 $/m);
      expect(routes).not.toMatch(/default via 10\.0\.0\.1/);
      expect((await sh(sandbox, lab.netns(name), 'sysctl', '-n', 'net.ipv4.conf.all.rp_filter')).trim()).toBe(
        '1',
      );
    }
  });

  it('picks the business address as source for the service IP but the cluster address for the master', async () => {
    expect(await sh(sandbox, worker, 'ip', 'route', 'get', '172.24.0.1')).toMatch(
      /dev enslf1 src 10\.141\.13\.190 /,
    );
    expect(await sh(sandbox, worker, 'ip', 'route', 'get', '10.0.0.8')).toMatch(
      /dev enslf0 src 10\.0\.0\.20 /,
    );
  });

  it('reaches the apiserver directly, but times out through the kubernetes ClusterIP', async () => {
    expect(await connect(sandbox, worker, '10.0.0.8', 6443)).toEqual({
      ok: true,
      data: 'apiserver 10.0.0.20',
    });
    const dropped = await tcpExtCounter(sandbox, master, 'IPReversePathFilter');
    expect(await connect(sandbox, worker, '172.24.0.1', 443, 1200)).toEqual({ ok: false, error: 'timeout' });
    // The master's kernel dropped the SYNs that came in on enslf0 from a business address.
    expect(await tcpExtCounter(sandbox, master, 'IPReversePathFilter')).toBeGreaterThan(dropped);
    const conntrack = await sh(sandbox, worker, 'conntrack', '-L', '-p', 'tcp', '--orig-dst', '172.24.0.1');
    expect(conntrack).toMatch(
      /SYN_SENT src=10\.141\.13\.190 dst=172\.24\.0\.1 .*\[UNREPLIED\] src=10\.0\.0\.8 dst=10\.141\.13\.190/,
    );
  });

  it('connects once the service network is routed via enslf0', async () => {
    await sandbox.run(['ip', 'route', 'add', '172.24.0.0/13', 'dev', 'enslf0'], { netns: worker });
    try {
      expect(await sh(sandbox, worker, 'ip', 'route', 'get', '172.24.0.1')).toMatch(
        /dev enslf0 src 10\.0\.0\.20 /,
      );
      expect(await connect(sandbox, worker, '172.24.0.1', 443)).toEqual({
        ok: true,
        data: 'apiserver 10.0.0.20',
      });
    } finally {
      await sandbox.run(['ip', 'route', 'del', '172.24.0.0/13', 'dev', 'enslf0'], { netns: worker });
    }
  });

  it('works in the healthy form, where the default route is on enslf0', async () => {
    const { sandbox: healthy, dispose } = await createTestSandbox();
    const dir = await mkdtemp(join(tmpdir(), 'svcl-t-biz-'));
    let other: NetnsLab | undefined;
    let listener: Listener | undefined;
    try {
      other = await buildLab(twoMasterBusiness(), healthy, { labDir: dir });
      const w = other.netns('gaia-node1');
      expect(await sh(healthy, w, 'ip', 'route')).toMatch(
        /^default via 10\.0\.0\.1 dev enslf0 proto static metric 100 $/m,
      );
      listener = await listen(healthy, other.netns('gaia-master1'), '10.0.0.8', 6443, 'apiserver');
      await healthy.run(['iptables', '-t', 'nat', '-A', 'OUTPUT', ...KUBERNETES_DNAT], { netns: w });
      expect(await connect(healthy, w, '172.24.0.1', 443)).toEqual({ ok: true, data: 'apiserver 10.0.0.20' });
    } finally {
      await listener?.close();
      await other?.teardown();
      await dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
