/**
 * `labctl gc` after the worst case: the daemon killed with -9 while it held a lab with running pods.
 * Nothing may be left: no daemon, no socket, no daemon.json, no lab state, no pod processes, no
 * apiserver listening.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  daemonInfo,
  kubectl,
  labctl,
  makeState,
  processGone,
  stopDaemonAndClean,
  waitFor,
} from '../daemon/helpers.ts';

let state: string;

beforeAll(() => {
  state = makeState('gc');
});

afterAll(async () => {
  await stopDaemonAndClean(state);
});

/** Processes whose parent is `pid` (read before the parent dies: orphans are re-parented). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

describe('labctl gc', () => {
  it('with no daemon and nothing to collect, says so and starts no daemon', async () => {
    const r = await labctl(state, ['gc']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Nothing to collect.');
    expect(existsSync(join(state, 'daemon.sock'))).toBe(false);
    expect(daemonInfo(state)).toBeUndefined();
  });

  it('after kill -9 of the daemon, leaves no daemon, socket, lab state, pod or apiserver behind', async () => {
    const up = await labctl(state, [
      'up',
      'virtualbox-3node',
      '--driver',
      'process',
      '--name',
      'doomed',
      '--json',
    ]);
    expect(up.code, up.stderr).toBe(0);
    const lab = JSON.parse(up.stdout) as { kubeconfig: string; apiserver: string };
    const cache = join(state, 'kube');
    const deploy = await kubectl(
      lab.kubeconfig,
      ['create', 'deployment', 'web', '--image=busybox', '--replicas=2', '--', 'sleep', '3600'],
      cache,
    );
    expect(deploy.code, deploy.stderr).toBe(0);
    const rollout = await kubectl(
      lab.kubeconfig,
      ['rollout', 'status', 'deployment/web', '--timeout=30s'],
      cache,
    );
    expect(rollout.code, rollout.stderr).toBe(0);

    const info = daemonInfo(state)!;
    const started = childrenOf(info.pid);
    expect(started.length).toBeGreaterThanOrEqual(2);
    const port = Number(new URL(lab.apiserver).port);
    expect(await portAnswers(port)).toBe(true);

    process.kill(info.pid, 'SIGKILL');
    await waitFor('the daemon to die', () => processGone(info.pid));

    const gc = await labctl(state, ['gc']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toContain('removed lab doomed');
    expect(gc.stdout).toContain(`removed ${join(state, 'daemon.sock')}`);

    expect(existsSync(join(state, 'daemon.sock'))).toBe(false);
    expect(existsSync(join(state, 'daemon.json'))).toBe(false);
    expect(readdirSync(join(state, 'labs'))).toEqual([]);
    await waitFor('the pods to be gone', () => started.every(processGone));
    expect(await portAnswers(port)).toBe(false);

    // Reading commands do not bring a daemon back.
    const list = await labctl(state, ['list']);
    expect(list.stdout).toContain('No labs (the lab daemon is not running).');
    expect(existsSync(join(state, 'daemon.sock'))).toBe(false);

    const again = await labctl(state, ['gc']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to collect.');
  });
});
