/**
 * What pods cost: six httpd pods across the three nodes (two per node, created in parallel), the
 * time until all of them answer, and memory per pod - resident memory of the processes living in
 * the pods' namespaces plus what the daemon's heap grew by. Figures are printed; the bounds are
 * generous, to catch a regression to a process-per-server design, not to benchmark the machine.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIRTUALBOX_NODES } from '../../../labs/environments/index.ts';
import { listPids, nsId, processNsId } from '../../../labs/netns/sandbox/proc.ts';
import { IT_WORKS, PodLab, type RunningPod } from './lab.ts';

function kib(pid: number, field: RegExp, file: string): number {
  try {
    return Number(field.exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const mib = (bytes: number) => Math.round((bytes / 1048576) * 100) / 100;

/** A full collection before reading the heap, so that the delta is what the pods keep alive. */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('cost of pods on the netns runtime', () => {
  let pl: PodLab;
  const pods: RunningPod[] = [];

  beforeAll(async () => {
    pl = await PodLab.create();
    await Promise.all(VIRTUALBOX_NODES.map((n) => pl.flannel(n.name)));
    // images are in every node's store already, as after a first rollout
    await Promise.all([...pl.runtimes.values()].map((r) => r.pullImage('httpd')));
  });

  afterAll(async () => {
    await pl?.dispose();
  });

  it('creates 6 pods across 3 nodes quickly, each answering on its own address', async () => {
    // warm the code paths (nsutil build cache, broker start) outside the measurement
    const warm = await pl.runPod('ubuntu01', { name: 'warm', image: 'httpd' });
    await warm.runtime.removeSandbox(warm.sandbox.id);

    const heapBefore = heapUsed();
    const t0 = performance.now();
    const created = await Promise.all(
      VIRTUALBOX_NODES.flatMap((n) =>
        [1, 2].map((i) => pl.runPod(n.name, { name: `httpd-${n.name}-${i}`, image: 'httpd' })),
      ),
    );
    const createMs = performance.now() - t0;
    pods.push(...created);
    const answers = await Promise.all(
      pods.map((p) => pl.onNode(p.node, 'curl', '-s', '--max-time', '2', `http://${p.sandbox.ip}/`)),
    );
    const readyMs = performance.now() - t0;
    expect(answers.map((a) => a.stdout)).toEqual(pods.map(() => IT_WORKS));
    expect(new Set(pods.map((p) => p.sandbox.ip)).size).toBe(6);

    const heapDelta = heapUsed() - heapBefore;
    const podNs = new Set(pods.map((p) => nsId(pl.sandbox.netnsPath(p.runtime.podNetns(p.sandbox.id)!))));
    const procs = listPids().filter((pid) => podNs.has(processNsId(pid, 'net')));
    const rssKiB = procs.reduce((s, pid) => s + kib(pid, /^VmRSS:\s+(\d+)/m, 'status'), 0);
    const pssKiB = procs.reduce((s, pid) => s + kib(pid, /^Pss:\s+(\d+)/m, 'smaps_rollup'), 0);
    const figures = {
      createMs: Math.round(createMs),
      allAnsweringMs: Math.round(readyMs),
      processesPerPod: procs.length / pods.length,
      rssPerPodMiB: mib((rssKiB * 1024) / pods.length),
      pssPerPodMiB: mib((pssKiB * 1024) / pods.length),
      heapDeltaPerPodMiB: mib(heapDelta / pods.length),
    };
    console.log('netns pods, 6 across 3 nodes:', JSON.stringify(figures));
    expect(createMs).toBeLessThan(3000);
    // The container init is a small busybox script; no server process per pod.
    expect(figures.processesPerPod).toBeLessThanOrEqual(2);
    expect(figures.rssPerPodMiB).toBeLessThan(8);
  });

  it('tears the 6 pods down in parallel without leftovers', async () => {
    const t0 = performance.now();
    await Promise.all(pods.map((p) => p.runtime.removeSandbox(p.sandbox.id)));
    const ms = Math.round(performance.now() - t0);
    console.log('netns pods, teardown of 6:', JSON.stringify({ teardownMs: ms }));
    expect(pl.sandbox.netnsNames().filter((n) => n.startsWith('cni-'))).toEqual([]);
    for (const n of VIRTUALBOX_NODES) {
      expect((await pl.onNode(n.name, 'ip', '-o', 'link')).stdout).not.toMatch(/veth/);
    }
  });
});
