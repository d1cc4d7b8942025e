/**
 * The seed-000 fault as the netns driver builds it when the kube-flannel DaemonSet keeps the
 * manifest's args: flanneld takes the default-route NIC (enp0s8, 10.0.2.15 on every node), so
 * same-node pod traffic works and cross-node traffic does not. The learner's fix - `--iface=enp0s3`
 * added to the manifest and `kubectl replace --force -f kube-flannel.yml` - restarts flannel with
 * the new args, as on a real cluster, and cross-node traffic works.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_FLANNEL_ARGS } from '../../../labs/drivers/netns/settings.ts';
import { buildTestLab, kubectlJson, leftovers, type Probe, probeFrom, type TestLab, until } from './lab.ts';

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('netns driver: flannel on the default-route NIC (seed 000)', () => {
  let t: TestLab;
  let pods: any[];

  const probesOn = (node: string): Probe[] =>
    pods
      .filter((p) => p.spec.nodeName === node)
      .map((p) => ({
        name: p.metadata.name,
        url: `http://${p.status.podIP}:${p.metadata.labels.app === 'hostnames' ? 9376 : 80}/`,
      }));

  beforeAll(async () => {
    t = await buildTestLab({ name: 'fault', settings: { flannelArgs: [...MANIFEST_FLANNEL_ARGS] } });
    console.log(`netns driver: faulty virtualbox-3node ready in ${t.buildMs} ms`);
    pods = (await kubectlJson(t.lab, ['get', 'pods'])).items;
  });

  afterAll(async () => {
    if (!t) return;
    const { prefix, stateDir } = t;
    await t.dispose();
    expect(leftovers(prefix, stateDir)).toEqual([]);
  });

  it('logs that flanneld chose enp0s8 with the NAT address every node shares', async () => {
    const fl = (await kubectlJson(t.lab, ['get', 'pods', '-n', 'kube-flannel'])).items;
    for (const p of fl) {
      const logs = await t.lab.kubectl(['logs', '-n', 'kube-flannel', p.metadata.name]);
      expect(logs.stdout).toContain('Determining IP address of default interface');
      expect(logs.stdout).toContain('Using interface with name enp0s8 and address 10.0.2.15');
    }
  });

  it('lets pods on the same node through and fails across nodes', async () => {
    const same = await probeFrom(t.lab, { node: 'ubuntu02' }, probesOn('ubuntu02'));
    expect(same.length).toBeGreaterThan(0);
    expect(same.filter((r) => r.code !== 0)).toEqual([]);
    const across = await probeFrom(t.lab, { node: 'ubuntu02' }, probesOn('ubuntu03'));
    expect(across.length).toBeGreaterThan(0);
    for (const r of across) expect([r.name, r.code]).not.toEqual([r.name, 0]);
    const vtep = await t.lab.exec({ node: 'ubuntu02' }, ['ip', '-d', 'link', 'show', 'flannel.1']);
    expect(vtep.stdout).toContain('local 10.0.2.15 dev enp0s8');
  });

  it('crash-loops a flannel pod whose flanneld cannot start, with its fatal line in the log', async () => {
    const patch = JSON.stringify([
      { op: 'add', path: '/spec/template/spec/containers/0/args/-', value: '--iface=eth9' },
    ]);
    const r = await t.lab.kubectl([
      '-n',
      'kube-flannel',
      'patch',
      'ds',
      'kube-flannel-ds',
      '--type=json',
      '-p',
      patch,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const crashed = await until('a crashing flannel pod', async () => {
      const now = (await kubectlJson(t.lab, ['get', 'pods', '-n', 'kube-flannel'])).items;
      return now.find((p: any) =>
        p.status.containerStatuses?.some(
          (c: any) =>
            c.lastState?.terminated?.exitCode === 1 ||
            c.state?.terminated?.exitCode === 1 ||
            c.state?.waiting?.reason === 'CrashLoopBackOff',
        ),
      );
    });
    const status = crashed.status.containerStatuses[0];
    const terminated = status.state.terminated ?? status.lastState.terminated;
    expect(terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    const table = await t.lab.kubectl([
      'get',
      'pods',
      '-n',
      'kube-flannel',
      crashed.metadata.name,
      '--no-headers',
    ]);
    expect(table.stdout).toMatch(/\s(Error|CrashLoopBackOff)\s/);
    let logs = await t.lab.kubectl(['logs', '-n', 'kube-flannel', crashed.metadata.name]);
    if (!logs.stdout.includes('Failed to find'))
      logs = await t.lab.kubectl(['logs', '-n', 'kube-flannel', crashed.metadata.name, '--previous']);
    expect(logs.stdout).toContain(
      'Failed to find interface to use that matches the interfaces and/or regexes provided',
    );
  });

  it('is fixed by --iface=enp0s3 in the manifest and `kubectl replace --force`', async () => {
    const manifest = await readFile(
      new URL('../../../labs/addons/kube-flannel.yml', import.meta.url),
      'utf8',
    );
    const fixed = manifest.replace(
      '        - --kube-subnet-mgr\n',
      '        - --kube-subnet-mgr\n        - --iface=enp0s3\n',
    );
    expect(fixed).not.toBe(manifest);
    const file = join(t.stateDir, 'kube-flannel.yml');
    await writeFile(file, fixed);
    const old = new Set(
      (await kubectlJson(t.lab, ['get', 'pods', '-n', 'kube-flannel'])).items.map((p: any) => p.metadata.uid),
    );
    const r = await t.lab.kubectl(['replace', '--force', '-f', file], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    await until(
      'new flannel pods running on every node',
      async () => {
        const now = (await kubectlJson(t.lab, ['get', 'pods', '-n', 'kube-flannel'])).items;
        const fresh = now.filter(
          (p: any) =>
            !old.has(p.metadata.uid) && p.status.phase === 'Running' && !p.metadata.deletionTimestamp,
        );
        return fresh.length === 3 && [...t.lab.agents.flannel.values()].every((a) => a.state === 'running');
      },
      30_000,
    );
    const fl = (await kubectlJson(t.lab, ['get', 'pods', '-n', 'kube-flannel'])).items;
    for (const p of fl) {
      const logs = await t.lab.kubectl(['logs', '-n', 'kube-flannel', p.metadata.name]);
      expect(logs.stdout).toContain(`Using interface with name enp0s3 and address ${p.status.hostIP}`);
    }
    const across = await probeFrom(t.lab, { node: 'ubuntu02' }, [
      ...probesOn('ubuntu03'),
      ...probesOn('ubuntu02'),
    ]);
    expect(across.filter((r) => r.code !== 0)).toEqual([]);
  });
});
