import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startCluster, type TestCluster } from './harness.ts';

let a: TestCluster;
let b: TestCluster;

beforeAll(async () => {
  [a, b] = await Promise.all([startCluster('left'), startCluster('right')]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

describe('control planes side by side in one process', () => {
  it('each lab has its own kubeconfig, port and objects', async () => {
    expect(readFileSync(a.kubeconfig, 'utf8')).not.toBe(readFileSync(b.kubeconfig, 'utf8'));
    await a.kubectl(['create', 'configmap', 'same-name', '--from-literal=side=left']);
    await b.kubectl(['create', 'configmap', 'same-name', '--from-literal=side=right']);
    expect((await a.kubectl(['get', 'cm', 'same-name', '-o', 'jsonpath={.data.side}'])).stdout).toBe('left');
    expect((await b.kubectl(['get', 'cm', 'same-name', '-o', 'jsonpath={.data.side}'])).stdout).toBe('right');
    await a.kubectl(['delete', 'cm', 'same-name']);
    expect((await b.kubectl(['get', 'cm', 'same-name', '-o', 'name'])).stdout.trim()).toBe(
      'configmap/same-name',
    );
  });

  it('allocates ClusterIPs per lab, so the same address can exist in both', async () => {
    await a.kubectl(['create', 'service', 'clusterip', 'pinned', '--tcp=80:80', '--clusterip=10.96.100.100']);
    const r = await b.kubectl([
      'create',
      'service',
      'clusterip',
      'pinned',
      '--tcp=80:80',
      '--clusterip=10.96.100.100',
    ]);
    expect(r.code).toBe(0);
    const again = await a.kubectl([
      'create',
      'service',
      'clusterip',
      'pinned2',
      '--tcp=80:80',
      '--clusterip=10.96.100.100',
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/provided IP is already allocated/);
  });

  it('describes a DaemonSet running on every node of its own lab', async () => {
    await a.kubectl([
      'apply',
      '-f',
      new URL('../../../labs/addons/kube-flannel.yml', import.meta.url).pathname,
    ]);
    await eventually(
      async () =>
        (
          await a.kubectl([
            'get',
            'ds',
            '-n',
            'kube-flannel',
            'kube-flannel-ds',
            '-o',
            'jsonpath={.status.currentNumberScheduled}',
          ])
        ).stdout === '3',
      'flannel pods scheduled',
    );
    const r = await a.kubectl(['describe', 'ds', '-n', 'kube-flannel', 'kube-flannel-ds']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Selector:\s+app=flannel$/m);
    expect(r.stdout).toMatch(/^Desired Number of Nodes Scheduled: 3$/m);
    expect(r.stdout).toMatch(/SuccessfulCreate\s+.*Created pod: kube-flannel-ds-/);
    expect((await b.kubectl(['get', 'ds', '-A', '-o', 'name'])).stdout.trim()).toBe('');
  });
});
