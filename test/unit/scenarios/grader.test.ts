/**
 * The grader, hints, fixes and reset on a real lab: the process driver (a real control plane that
 * the real kubectl talks to, pods as host processes) with a scenario that needs nothing but kubectl.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../../labs/drivers/driver.ts';
import { ProcessDriver } from '../../../labs/drivers/process/driver.ts';
import { environment } from '../../../labs/environments/index.ts';
import { type LoadedScenario, loadScenario } from '../../../labs/scenarios/loader.ts';
import { ScenarioSession, SessionInputError } from '../../../labs/scenarios/session.ts';
import type { GradeReport } from '../../../labs/scenarios/types.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'config-demo');
const driver = new ProcessDriver();
const availability = await driver.available();

function byId(r: GradeReport) {
  return Object.fromEntries(r.checks.map((c) => [c.id, c]));
}

async function buildLab(name: string): Promise<{ lab: Lab; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'svcl-t-grader-'));
  const lab = await driver.create(
    {
      name,
      environment: 'virtualbox-3node',
      topology: environment('virtualbox-3node'),
      noFault: false,
      dir,
      stateDir: join(dir, 'state'),
      signal: new AbortController().signal,
    },
    () => {},
  );
  return { lab, dir };
}

describe.skipIf(!availability.ok)('grading a scenario on a live lab (process driver)', () => {
  let scenario: LoadedScenario;
  let lab: Lab;
  let dir: string;
  let session: ScenarioSession;
  const steps: string[] = [];

  beforeAll(async () => {
    scenario = await loadScenario(FIXTURE);
    ({ lab, dir } = await buildLab('grader-plain'));
    session = await ScenarioSession.start({
      lab,
      scenario,
      dir,
      variant: 'plain',
      onStep: (e) => steps.push(`${e.step} ${e.state}`),
    });
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sets up, injects, then records the baseline reset returns to, reporting each step', () => {
    expect(steps).toEqual([
      'scenario:setup running',
      'scenario:setup done',
      'scenario:inject running',
      'scenario:inject done',
      'scenario:baseline running',
      'scenario:baseline done',
    ]);
    expect(session.facts).toEqual({ injected: true });
    expect(JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8'))).toMatchObject({
      scenario: 'config-demo',
      variant: 'plain',
      noFault: false,
    });
  });

  it('fails the checks that name the fault, with why, evidence and the hint that helps', async () => {
    const r = await session.grade();
    const c = byId(r);
    expect(r.passed).toBe(false);
    expect(Object.keys(c)).toEqual(['config-fixed', 'pods-labelled', 'config-kept', 'survives-recreate']);
    expect(c['config-fixed']).toMatchObject({
      passed: false,
      why: 'lab-config says broken',
      hint: { id: 'h1', number: 1 },
    });
    expect(c['config-fixed'].evidence[0]).toMatchObject({
      ran: "kubectl get configmap lab-config -o 'jsonpath={.data.mode}'",
      target: 'kubectl',
      exitCode: 0,
      output: 'broken',
    });
    expect(c['pods-labelled'].passed).toBe(false);
    expect(c['config-kept'].passed).toBe(true);
    expect(c['survives-recreate']).toMatchObject({ passed: false, skipped: true, evidence: [] });
    expect(c['survives-recreate'].why).toMatch(/^Not run yet/);
  });

  it('speaks the learner’s language', async () => {
    const r = await session.grade({ lang: 'zh-CN' });
    expect(byId(r)['config-fixed']).toMatchObject({
      title: 'lab-config 显示 fixed',
      why: 'lab-config 显示 broken',
    });
  });

  it('catches a hand-made fix with the persistence check, saying what it did and what broke', async () => {
    const fix = await session.solve({ wrongFix: 'label-pods' });
    expect(fix).toMatchObject({ kind: 'wrong-fix', id: 'label-pods' });
    expect(fix.steps[0]).toMatchObject({ ran: 'bash wrong-fixes/label-pods.sh', exitCode: 0 });
    const r = await session.grade();
    const c = byId(r);
    expect(c['config-fixed'].passed).toBe(true);
    expect(c['pods-labelled'].passed).toBe(true);
    expect(c['survives-recreate'].passed).toBe(false);
    expect(c['survives-recreate'].why).toMatch(
      /^After the pods app=web in default were recreated, "Every web pod is labelled fixed=yes" fails again: not labelled: web-/,
    );
    expect(c['survives-recreate'].evidence.map((e) => e.ran)).toContain(
      'kubectl delete pod -n default -l app=web --wait=false',
    );
    // The lab is left working: new pods, running.
    const pods = JSON.parse((await lab.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])).stdout).items;
    expect(
      pods.filter((p: any) => !p.metadata.deletionTimestamp && p.status.phase === 'Running'),
    ).toHaveLength(2);
  });

  it('resets to the freshly injected lab', async () => {
    const r = await session.reset();
    expect(r.steps.map((s) => s.step)).toEqual(['api objects', 'node files', 'node state']);
    expect(r.objects?.length, 'the learner’s changes were undone').toBeGreaterThan(0);
    const c = byId(await session.grade());
    expect(c['config-fixed']).toMatchObject({ passed: false, why: 'lab-config says broken' });
    expect(c['pods-labelled'].passed).toBe(false);
  });

  it('catches a fix that breaks a constraint (a .ts wrong fix)', async () => {
    await session.solve({ wrongFix: 'recreate-config' });
    const c = byId(await session.grade());
    expect(c['config-fixed'].passed).toBe(true);
    expect(c['config-kept']).toMatchObject({ passed: false, why: 'lab-config has no owner label' });
    expect(c['survives-recreate'].skipped).toBe(true);
    await session.reset();
  });

  it('passes every check after the reference solution', async () => {
    const fix = await session.solve();
    expect(fix).toMatchObject({ kind: 'solution', id: 'patch' });
    const r = await session.grade();
    expect(r.checks.filter((c) => !c.passed)).toEqual([]);
    expect(r.passed).toBe(true);
    expect(r.ms).toBeGreaterThanOrEqual(r.quickMs);
    const state = JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8'));
    expect(state.grades.at(-1)).toMatchObject({ passed: true, failing: [] });
  });

  it('refuses a solution the scenario does not have, listing those it has', async () => {
    await expect(session.solve({ solution: 'magic' })).rejects.toThrow(SessionInputError);
    await expect(session.solve({ solution: 'magic' })).rejects.toThrow(
      'scenario config-demo (variant plain) has no solution "magic" (patch)',
    );
  });

  it('keeps the hints revealed with the lab', async () => {
    expect((await session.hint()).hint?.id).toBe('h1');
    expect((await session.hint({ id: 'h3' })).revealed.map((h) => h.id)).toEqual(['h1', 'h3']);
    expect((await session.hint()).hint?.id).toBe('h2');
    expect(JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')).hintsRevealed).toEqual([
      'h1',
      'h2',
      'h3',
    ]);
  });
});

describe.skipIf(!availability.ok)('checks that hang or throw (process driver)', () => {
  let lab: Lab;
  let dir: string;
  let session: ScenarioSession;

  beforeAll(async () => {
    const scenario = await loadScenario(FIXTURE);
    ({ lab, dir } = await buildLab('grader-odd'));
    session = await ScenarioSession.start({ lab, scenario, dir, variant: 'odd' });
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fail with the reason, without holding up the others', async () => {
    const started = performance.now();
    const r = await session.grade();
    expect(performance.now() - started).toBeLessThan(4000);
    const c = byId(r);
    expect(c.hangs).toMatchObject({
      passed: false,
      why: 'The check did not finish within 300 ms; the lab may be overloaded or a command hung.',
    });
    expect(c.throws).toMatchObject({
      passed: false,
      why: 'The check could not run: boom: the lab answered nonsense',
    });
    expect(c['config-kept'].passed).toBe(true);
  });
});

if (!availability.ok)
  it.skip(`needs the process driver: ${availability.reason} (fix: ${availability.fix})`, () => {});
