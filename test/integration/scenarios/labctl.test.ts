/**
 * The scenario commands as a learner and an instructor use them: labctl talking to a lab daemon it
 * starts, which injects the scenario after the driver builds the lab and answers check, hint,
 * solve and reset. The process driver with the grader's test scenario (SVC_LABS_SCENARIOS points the
 * daemon at it) covers the commands and their errors; a real scenario on the netns driver covers
 * the seed-000 fix typed through `labctl solve`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessDriver } from '../../../labs/drivers/process/driver.ts';
import { labctl, makeState, stopDaemonAndClean } from '../daemon/helpers.ts';
import { netnsAvailable } from './harness.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', 'unit', 'scenarios', 'fixtures');
const processReady = (await new ProcessDriver().available()).ok;

describe.skipIf(!processReady)('labctl check, hint, solve and reset (process driver, test scenario)', () => {
  let state: string;
  const run = (args: string[]) => labctl(state, args, { timeoutMs: 120_000 });
  let saved: string | undefined;

  beforeAll(async () => {
    saved = process.env.SVC_LABS_SCENARIOS;
    process.env.SVC_LABS_SCENARIOS = FIXTURES;
    state = makeState('scn');
    const up = await run(['up', 'config-demo', '--driver', 'process', '--variant', 'plain', '--name', 'c1']);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(
      /^\[\d+\/\d+\] Injecting the fault: A ConfigMap gone wrong \(grader test fixture\) \(variant plain\) done/m,
    );
  }, 120_000);

  afterAll(async () => {
    if (saved === undefined) delete process.env.SVC_LABS_SCENARIOS;
    else process.env.SVC_LABS_SCENARIOS = saved;
    await stopDaemonAndClean(state);
  });

  it('the lab remembers its scenario and variant', async () => {
    const s = await run(['status', 'c1', '--json']);
    expect(JSON.parse(s.stdout)).toMatchObject({ phase: 'ready', scenario: 'config-demo', variant: 'plain' });
  });

  it('check prints each check, why it fails, what it ran and the hint; exit 1', async () => {
    const r = await run(['check', 'c1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'FAIL  lab-config says fixed  (config-fixed, outcome)\n      lab-config says broken\n',
    );
    expect(r.stdout).toContain(
      "$ kubectl get configmap lab-config -o 'jsonpath={.data.mode}'    [kubectl, exit 0,",
    );
    expect(r.stdout).toContain('      hint 1: labctl hint c1 h1');
    expect(r.stdout).toContain('PASS  lab-config is still owned by team-a  (config-kept, constraint)');
    expect(r.stdout).toContain('SKIP  New web pods are labelled too  (survives-recreate, persistence)');
    expect(r.stdout).toMatch(/^1\/4 checks pass \(graded in /m);
    const json = await run(['check', 'c1', '--json', '--lang', 'zh-CN']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({
      lab: 'c1',
      scenario: 'config-demo',
      variant: 'plain',
      lang: 'zh-CN',
      passed: false,
    });
    expect(report.checks[0]).toMatchObject({
      id: 'config-fixed',
      title: 'lab-config 显示 fixed',
      why: 'lab-config 显示 broken',
    });
  });

  it('hint reveals the next one, or the one named; --all shows them again', async () => {
    expect((await run(['hint', 'c1'])).stdout).toBe(
      'Hint 1 of 3 (h1):\nLook at lab-config.\n\n(2 more: labctl hint c1)\n',
    );
    expect((await run(['hint', 'c1', 'h3'])).stdout).toContain(
      'Hint 3 of 3 (h3):\nLabels belong in the Deployment',
    );
    expect((await run(['hint', 'c1', '--all'])).stdout).toBe(
      "Hint 1 of 3 (h1):\nLook at lab-config.\n\nHint 3 of 3 (h3):\nLabels belong in the Deployment's template.\n\n",
    );
    await run(['hint', 'c1']);
    expect((await run(['hint', 'c1'])).stdout).toBe(
      'All 3 hints are revealed; `labctl hint c1 --all` shows them again.\n',
    );
    const bad = await run(['hint', 'c1', 'h7']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('scenario config-demo has no hint "h7" (hints: h1, h2, h3)');
  });

  it('solve --wrong-fix applies it, and check shows the persistence check catching it', async () => {
    const w = await run(['solve', 'c1', '--wrong-fix', 'label-pods']);
    expect(w.code).toBe(0);
    expect(w.stdout).toContain('[ubuntu01] $ bash wrong-fixes/label-pods.sh');
    expect(w.stdout).toContain('Applied wrong fix label-pods: Label the running pods');
    const r = await run(['check', 'c1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'FAIL  New web pods are labelled too  (survives-recreate, persistence)\n      After the pods app=web in default were recreated, "Every web pod is labelled fixed=yes" fails again: not labelled: web-',
    );
  });

  it('reset brings the injected lab back; solve applies the reference solution; check exits 0', async () => {
    const reset = await run(['reset', 'c1']);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(/^ {2}api objects +\d+ ms$/m);
    expect(reset.stdout).toContain('Lab c1 is reset to the start of config-demo (variant plain)');
    expect((await run(['check', 'c1'])).code).toBe(1);
    const s = await run(['solve', 'c1']);
    expect(s.stdout).toContain('Applied solution patch: Patch the ConfigMap and the template');
    const r = await run(['check', 'c1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('4/4 checks pass');
    expect(r.stdout).toContain('Every check passes: the fault is fixed, and the fix holds.');
  });

  it('refuses what the scenario does not have, saying what it has (exit 2)', async () => {
    const sol = await run(['solve', 'c1', '--solution', 'magic']);
    expect(sol.code).toBe(2);
    expect(sol.stderr).toContain('has no solution "magic" (patch)');
    const variant = await run(['up', 'config-demo', '--driver', 'process', '--variant', 'weird']);
    expect(variant.code).toBe(2);
    expect(variant.stderr).toContain(
      'scenario config-demo has no variant "weird" (variants: plain, odd, fails)',
    );
    const env = await run(['up', 'virtualbox-3node', '--driver', 'process', '--name', 'e1']);
    expect(env.code).toBe(0);
    const check = await run(['check', 'e1']);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('lab e1 was built from environment virtualbox-3node, not from a scenario');
  });

  it('an injection that fails fails the build and takes the lab down', async () => {
    const up = await run(['up', 'config-demo', '--driver', 'process', '--variant', 'fails', '--name', 'c2']);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(
      'lab c2 failed: scenario config-demo: injection failed: injection refused: lab-config is locked',
    );
    const s = JSON.parse((await run(['status', 'c2', '--json'])).stdout);
    expect(s).toMatchObject({ phase: 'failed', scenario: 'config-demo', variant: 'fails' });
    expect(existsSync(join(state, 'labs', 'c2'))).toBe(false);
    expect((await run(['down', 'c2'])).code).toBe(0);
  });
});

describe.skipIf(!netnsAvailable)('labctl with a real scenario (netns driver)', () => {
  let state: string;
  const run = (args: string[]) => labctl(state, args, { timeoutMs: 180_000 });

  beforeAll(() => {
    state = makeState('scn-netns');
  });

  afterAll(async () => {
    await stopDaemonAndClean(state);
  });

  it("seed 000: check fails, the author's --iface=enp0s3 + kubectl replace --force makes it pass", async () => {
    const up = await run(['up', 'flannel-wrong-iface', '--name', 'f1']);
    expect(up.code, up.stderr).toBe(0);
    const before = await run(['check', 'f1']);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('FAIL  flannel sends pod traffic over the host-only network (enp0s3)');
    expect(before.stdout).toContain(
      'flanneld logs: "Using interface with name enp0s8 and address 10.0.2.15"',
    );
    const solve = await run(['solve', 'f1', '--solution', 'iface-flag']);
    expect(solve.code).toBe(0);
    expect(solve.stdout).toContain('daemonset.apps/kube-flannel-ds replaced');
    const after = await run(['check', 'f1']);
    expect(after.code, after.stdout).toBe(0);
    expect(after.stdout).toContain('6/6 checks pass');
    expect((await run(['down', 'f1'])).code).toBe(0);
  });
});
