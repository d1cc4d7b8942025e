/**
 * The crash DESIGN.md promises to survive: `labctl up` on the netns driver, the lab daemon killed
 * with -9 in the middle of the build (namespaces, agents, kubelets and pods half made), then
 * `labctl gc`. Nothing may be left: no namespace, mount, process, sandbox record or lab state.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecords } from '../../../labs/netns/sandbox/registry.ts';
import {
  daemonInfo,
  labctl,
  makeState,
  NODE,
  processGone,
  REPO,
  stopDaemonAndClean,
  waitFor,
} from '../daemon/helpers.ts';
import { leftovers } from '../netns-driver/lab.ts';

const isRoot = process.getuid?.() === 0;
let state: string;

beforeAll(() => {
  state = makeState('ncrash');
});

afterAll(async () => {
  await stopDaemonAndClean(state);
  await labctl(state, ['gc']);
});

describe.skipIf(!isRoot)('labctl gc after kill -9 during a netns build', () => {
  it('leaves nothing behind', async () => {
    const up = spawn(
      NODE,
      [
        join(REPO, 'scripts', 'labctl.js'),
        'up',
        'virtualbox-3node',
        '--driver',
        'netns',
        '--name',
        'crashme',
      ],
      {
        env: { ...process.env, SVC_LABS_STATE: state },
        stdio: 'ignore',
      },
    );
    // Kill as soon as the lab's sandbox exists: the build is under way.
    let prefix = '';
    await waitFor(
      'the lab sandbox to be recorded',
      () => {
        const records = readRecords(state);
        if (records.length) prefix = records[0].prefix;
        return records.length > 0;
      },
      30_000,
    );
    const info = daemonInfo(state)!;
    process.kill(info.pid, 'SIGKILL');
    up.kill('SIGKILL');
    await waitFor('the daemon to die', () => processGone(info.pid));

    const gc = await labctl(state, ['gc']);
    expect(gc.code, gc.stderr).toBe(0);
    await waitFor('every trace of the lab to go', () => leftovers(prefix, state).length === 0, 10_000).catch(
      () => {},
    );
    expect(leftovers(prefix, state)).toEqual([]);
    expect(existsSync(join(state, 'daemon.sock'))).toBe(false);
    expect(existsSync(join(state, 'labs')) ? readdirSync(join(state, 'labs')) : []).toEqual([]);
  }, 90_000);
});
