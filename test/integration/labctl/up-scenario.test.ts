/**
 * `labctl up <scenario>` as a learner sees it once the lab is ready: the scenario's title and
 * summary, the story's first paragraph and where the rest is, then hint, check and reset. The
 * process driver with the grader's test scenario (SVC_LABS_SCENARIOS points labctl and the daemon
 * at it) keeps this quick.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessDriver } from '../../../labs/drivers/process/driver.ts';
import { labctl, makeState, REPO, stopDaemonAndClean } from '../daemon/helpers.ts';

const FIXTURES = join(REPO, 'test', 'unit', 'scenarios', 'fixtures');
const processReady = (await new ProcessDriver().available()).ok;

describe.skipIf(!processReady)('labctl up <scenario> points at the story and the next steps', () => {
  let state: string;
  let saved: string | undefined;
  const run = (args: string[]) => labctl(state, args, { timeoutMs: 120_000 });

  beforeAll(() => {
    saved = process.env.SVC_LABS_SCENARIOS;
    process.env.SVC_LABS_SCENARIOS = FIXTURES;
    state = makeState('upscn');
  });

  afterAll(async () => {
    if (saved === undefined) delete process.env.SVC_LABS_SCENARIOS;
    else process.env.SVC_LABS_SCENARIOS = saved;
    await stopDaemonAndClean(state);
  });

  it('prints title, summary, story, then hint, check and reset for the lab', async () => {
    const up = await run(['up', 'config-demo', '--driver', 'process', '--variant', 'plain', '--name', 'u1']);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const after = up.stdout.slice(up.stdout.indexOf('Lab u1 is ready'));
    expect(after).toMatch(/^Lab u1 is ready \([^)]+\)\.\n\nA ConfigMap gone wrong \(grader test fixture\)\n/);
    expect(after).toContain('  ConfigMap lab-config says broken; the web pods must carry fixed=yes');
    expect(after).toContain("  A fixture for the grader's tests.\n");
    expect(after).toContain('  The whole story: test/unit/scenarios/fixtures/config-demo/story.en.md\n');
    expect(after).toContain(`  export KUBECONFIG=${join(state, 'labs', 'u1', 'kubeconfig')}\n`);
    expect(after).toContain('  labctl hint u1    # the first hint (of 3)\n');
    expect(after).toContain('  labctl check u1   # grade your fix\n');
    expect(after).toContain('  labctl reset u1   # start over\n');
    expect(after).toContain('  labctl down u1    # tear it down\n');
    // The pointed-at command works: the first hint is the scenario's h1.
    const hint = await run(['hint', 'u1']);
    expect(hint.code, hint.stderr).toBe(0);
    expect(hint.stdout).toContain('Hint 1 of 3 (h1):\nLook at lab-config.');
  });

  it('--json keeps its fields and adds the scenario and its story in --lang', async () => {
    const up = await run([
      'up',
      'config-demo',
      '--driver',
      'process',
      '--variant',
      'plain',
      '--name',
      'u2',
      '--lang',
      'zh-CN',
      '--json',
    ]);
    expect(up.code, up.stderr).toBe(0);
    const out = JSON.parse(up.stdout);
    expect(Object.keys(out)).toEqual(['name', 'kubeconfig', 'apiserver', 'nodes', 'scenario', 'story']);
    expect(out).toMatchObject({
      name: 'u2',
      scenario: 'config-demo',
      story: join(FIXTURES, 'config-demo', 'story.zh-CN.md'),
    });
  });

  it('an unknown --lang is a usage error before anything is built', async () => {
    const bad = await run(['up', 'config-demo', '--driver', 'process', '--lang', 'fr']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--lang takes en or zh-CN, not "fr"');
  });
});
