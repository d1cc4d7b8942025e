/**
 * End to end on real kind: each seed environment built as a kind cluster, flannel ready, every pod
 * running, the story's NICs and default routes in the nodes, a node reboot from its persistent
 * configuration, and a teardown that leaves no cluster and no network behind.
 *
 * Needs a Docker daemon (28+), kind, kubectl, br_netfilter and the CNI plugins: without them the
 * suite is skipped and its title says what is missing (`labctl doctor --driver kind` says how to
 * get it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KindDriver } from '../../../labs/drivers/kind/driver.ts';
import type { KindLab } from '../../../labs/drivers/kind/lab.ts';
import { kindAvailability } from '../../../labs/drivers/kind/prereqs.ts';
import { environment } from '../../../labs/environments/index.ts';

const availability = await kindAvailability();
const ready = availability.ok;
const why = availability.reason ?? '';
if (!ready) console.warn(`kind end-to-end suite skipped: ${why}`);

const BUILD_MS = 20 * 60_000;
// Made when the first lab is built: a skipped suite leaves nothing in /tmp.
let stateDir: string | undefined;
const state = (): string => {
  stateDir ??= mkdtempSync(join(tmpdir(), 'svcl-t-kind-'));
  return stateDir;
};
const built: KindLab[] = [];

afterAll(async () => {
  for (const lab of built) await lab.destroy().catch(() => {});
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
}, BUILD_MS);

function sh(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return r.stdout;
}

async function build(env: 'virtualbox-3node' | 'two-master-business'): Promise<KindLab> {
  const name = `t${env === 'virtualbox-3node' ? 'vb' : 'tm'}${process.pid}`;
  const dir = join(state(), 'labs', name);
  spawnSync('mkdir', ['-p', dir]);
  const lab = await new KindDriver().create(
    {
      name,
      environment: env,
      topology: environment(env),
      noFault: true,
      dir,
      stateDir: state(),
      signal: new AbortController().signal,
    },
    () => {},
  );
  built.push(lab);
  return lab;
}

async function allPodsRunning(lab: KindLab): Promise<void> {
  const r = await lab.kubectl([
    'get',
    'pods',
    '-A',
    '-o',
    'jsonpath={range .items[*]}{.metadata.name} {.status.phase}{"\\n"}{end}',
  ]);
  expect(r.code, r.stderr).toBe(0);
  const notRunning = r.stdout.split('\n').filter((l) => l.trim() && !l.endsWith(' Running'));
  expect(notRunning).toEqual([]);
}

describe.skipIf(!ready)(`kind labs end to end${ready ? '' : ` (skipped: ${why})`}`, () => {
  it(
    'virtualbox-3node: flannel ready, pods running, NAT NIC carries the default route, reboot, teardown',
    async () => {
      const lab = await build('virtualbox-3node');
      const ds = await lab.kubectl([
        '-n',
        'kube-flannel',
        'rollout',
        'status',
        'ds/kube-flannel-ds',
        '--timeout=60s',
      ]);
      expect(ds.code, ds.stderr).toBe(0);
      await allPodsRunning(lab);
      const links = await lab.exec({ node: 'ubuntu02' }, ['ip', '-o', 'link', 'show']);
      expect(links.stdout).toContain(' enp0s3:');
      expect(links.stdout).toContain(' enp0s8:');
      const route = await lab.exec({ node: 'ubuntu02' }, ['ip', 'route', 'show', 'default']);
      expect(route.stdout).toMatch(/default via \S+ dev enp0s8 proto dhcp/);
      const netplan = await lab.readNodeFile('ubuntu02', '/etc/netplan/50-cloud-init.yaml');
      expect(netplan).toContain('set-name: enp0s8');
      await lab.exec({ node: 'ubuntu02' }, ['ip', 'route', 'add', '10.99.0.0/16', 'dev', 'enp0s3']);
      await lab.reboot('ubuntu02');
      const after = await lab.exec({ node: 'ubuntu02' }, ['ip', 'route']);
      expect(after.stdout).not.toContain('10.99.0.0/16');
      await allPodsRunning(lab);
      const cluster = lab.layout.cluster;
      await lab.destroy();
      expect(sh(['kind', 'get', 'clusters']).split('\n')).not.toContain(cluster);
      expect(
        sh(['docker', 'network', 'ls', '--filter', `label=io.svc-labs.cluster=${cluster}`, '-q']).trim(),
      ).toBe('');
    },
    BUILD_MS,
  );

  it(
    'two-master-business: two control planes, kube-proxy without clusterCIDR, business NIC, teardown',
    async () => {
      const lab = await build('two-master-business');
      const ds = await lab.kubectl([
        '-n',
        'kube-flannel',
        'rollout',
        'status',
        'ds/kube-flannel-ds',
        '--timeout=60s',
      ]);
      expect(ds.code, ds.stderr).toBe(0);
      await allPodsRunning(lab);
      const cm = await lab.kubectl([
        '-n',
        'kube-system',
        'get',
        'configmap',
        'kube-proxy',
        '-o',
        'jsonpath={.data.config\\.conf}',
      ]);
      expect(cm.stdout).toMatch(/^ *clusterCIDR: ""$/m);
      const ep = await lab.kubectl([
        'get',
        'endpoints',
        'kubernetes',
        '-o',
        'jsonpath={.subsets[0].addresses[*].ip}',
      ]);
      expect(ep.stdout.trim().split(' ')).toHaveLength(2);
      const route = await lab.exec({ node: 'gaia-node1' }, ['ip', 'route', 'show', 'default']);
      expect(route.stdout).toMatch(/default via \S+ dev enslf0 proto static metric 100/);
      expect(route.stdout).toMatch(/default via \S+ dev enslf1 proto static metric 200/);
      const cluster = lab.layout.cluster;
      await lab.destroy();
      expect(sh(['kind', 'get', 'clusters']).split('\n')).not.toContain(cluster);
      expect(
        sh(['docker', 'network', 'ls', '--filter', `label=io.svc-labs.cluster=${cluster}`, '-q']).trim(),
      ).toBe('');
    },
    BUILD_MS,
  );
});
