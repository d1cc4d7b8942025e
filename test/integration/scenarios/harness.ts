/**
 * Scenario labs for the scenario suites: build the scenario's environment on a driver (netns here,
 * kind where Docker is), start its session (setup, injection, baseline), and drive every reference
 * solution and known wrong fix through it, resetting in between - the way CI proves each
 * scenario's grading.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DriverName, Lab, RunResult } from '../../../labs/drivers/driver.ts';
import { getDriver, isDriverInstalled } from '../../../labs/drivers/registry.ts';
import { environment } from '../../../labs/environments/index.ts';
import {
  type LoadedScenario,
  loadScenario,
  readScenarioSpec,
  scenarioDir,
} from '../../../labs/scenarios/loader.ts';
import { ScenarioSession } from '../../../labs/scenarios/session.ts';
import type { GradeReport } from '../../../labs/scenarios/types.ts';
import { applies } from '../../../labs/scenarios/validate.ts';

async function probeNetns(): Promise<{ ok: boolean; reason: string }> {
  if (!isDriverInstalled('netns')) return { ok: false, reason: 'the netns driver is not part of this build' };
  try {
    const a = await (await getDriver('netns')).available();
    return { ok: a.ok, reason: a.ok ? '' : `${a.reason}${a.fix ? ` (fix: ${a.fix})` : ''}` };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

export const netns = await probeNetns();
export const netnsAvailable = netns.ok;

/** Say why a suite does not run, as a visible skipped test (only when it does not). */
export function explainSkip(): void {
  if (!netnsAvailable) it.skip(`needs the netns driver: ${netns.reason}`, () => {});
}

export interface ScenarioLab {
  scenario: LoadedScenario;
  lab: Lab;
  session: ScenarioSession;
  dir: string;
  buildMs: number;
  /** Grade times seen, for the suite's summary. */
  times: { what: string; quickMs: number; ms: number }[];
  dispose(): Promise<void>;
}

export async function scenarioLab(
  id: string,
  variant?: string,
  opts: { noFault?: boolean; driver?: DriverName } = {},
): Promise<ScenarioLab> {
  const scenario = await loadScenario(id);
  const driver = await getDriver(opts.driver ?? 'netns');
  const dir = mkdtempSync(join(tmpdir(), 'svcl-t-scn-'));
  const name = `t-${id.slice(0, 10)}${variant ? `-${variant.slice(0, 4)}` : ''}`;
  const started = performance.now();
  const lab = await driver.create(
    {
      name,
      environment: scenario.spec.environment,
      topology: environment(scenario.spec.environment, scenario.spec.environmentOptions),
      scenario: id,
      variant,
      noFault: !!opts.noFault,
      dir,
      stateDir: join(dir, 'state'),
      signal: new AbortController().signal,
    },
    () => {},
  );
  try {
    const session = await ScenarioSession.start({ lab, scenario, dir, variant, noFault: opts.noFault });
    return {
      scenario,
      lab,
      session,
      dir,
      buildMs: Math.round(performance.now() - started),
      times: [],
      dispose: async () => {
        await lab.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

export async function sh(lab: Lab, node: string, script: string): Promise<RunResult> {
  return lab.exec({ node }, ['sh', '-c', script], { timeoutMs: 30_000 });
}

export async function kubectlJson(lab: Lab, args: string[]): Promise<any> {
  const r = await lab.kubectl([...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Checks that failed (not merely skipped). */
export function failing(r: GradeReport): string[] {
  return r.checks.filter((c) => !c.passed && !c.skipped).map((c) => c.id);
}

export async function grade(t: ScenarioLab, what: string): Promise<GradeReport> {
  const r = await t.session.grade();
  t.times.push({ what, quickMs: r.quickMs, ms: r.ms });
  return r;
}

export function summary(t: ScenarioLab | undefined): void {
  if (!t) return;
  const lines = t.times.map(
    (x) =>
      `  ${x.what.padEnd(34)} ${String(x.quickMs).padStart(5)} ms quick, ${String(x.ms).padStart(5)} ms in all`,
  );
  console.log(
    `${t.scenario.id}${t.session.variant ? ` (${t.session.variant})` : ''}: built and injected in ${t.buildMs} ms\n${lines.join('\n')}`,
  );
}

/** The healthy lab (`labctl up --no-fault`) passes every check: the checks test the fault, not the lab. */
export function describeHealthy(id: string, variant?: string): void {
  it(`built with --no-fault, ${id} passes every check`, async () => {
    const t = await scenarioLab(id, variant, { noFault: true });
    try {
      const r = await grade(t, 'healthy (--no-fault)');
      expect(r.checks.filter((c) => !c.passed).map((c) => `${c.id}: ${c.why}`)).toEqual([]);
    } finally {
      summary(t);
      await t.dispose();
    }
  }, 180_000);
}

/**
 * One test per reference solution (every check passes) and per known wrong fix (every check it
 * names fails, saying why), each from a freshly reset lab - so each also tests that reset brings
 * back exactly the failures of the freshly injected lab.
 */
export function describeFixes(
  id: string,
  variant: string | undefined,
  get: () => ScenarioLab,
  injected: () => string[],
  timeoutMs?: number,
): void {
  const spec = readScenarioSpec(scenarioDir(id));
  const fresh = async (t: ScenarioLab) => {
    const r = await t.session.reset();
    expect(r.steps.map((s) => s.step)).toEqual(['api objects', 'node files', 'node state']);
    // Whatever a reset could not put back is reported; a good reset leaves nothing behind.
    expect((r.nodes ?? []).filter((n) => n.left?.length)).toEqual([]);
    t.times.push({ what: 'reset', quickMs: r.ms, ms: r.ms });
    expect(failing(await grade(t, 'after reset'))).toEqual(injected());
  };

  for (const s of spec.solutions.filter((x) => applies(x, variant))) {
    it(
      `solution ${s.id}${s.seed ? ' (the seed author’s fix)' : ''}: every check passes`,
      async () => {
        const t = get();
        await fresh(t);
        await t.session.solve({ solution: s.id });
        const r = await grade(t, `solution ${s.id}`);
        expect(r.checks.filter((c) => !c.passed).map((c) => `${c.id}: ${c.why}`)).toEqual([]);
        expect(r.passed).toBe(true);
      },
      timeoutMs,
    );
  }

  for (const w of (spec.wrongFixes ?? []).filter((x) => applies(x, variant))) {
    it(
      `wrong fix ${w.id}: caught by ${w.caughtBy.join(', ')}, saying why`,
      async () => {
        const t = get();
        await fresh(t);
        await t.session.solve({ wrongFix: w.id });
        const r = await grade(t, `wrong fix ${w.id}`);
        for (const cid of w.caughtBy) {
          const c = r.checks.find((x) => x.id === cid);
          expect({ check: cid, passed: c?.passed, skipped: c?.skipped ?? false }).toEqual({
            check: cid,
            passed: false,
            skipped: false,
          });
          expect(c?.why, `${cid} says why`).toMatch(/\S{3}/);
          expect(c?.evidence.length, `${cid} shows what it ran`).toBeGreaterThan(0);
        }
        expect(r.passed).toBe(false);
      },
      timeoutMs,
    );
  }
}

/**
 * A scenario end to end on one driver, with nothing but the scenario's own code: built and
 * injected, the lab fails exactly the checks that name the fault (each showing what it ran and
 * why), then every reference solution passes every check and every known wrong fix is caught,
 * each from a reset lab.
 */
export function describeScenarioOn(
  driver: DriverName,
  id: string,
  variant: string | undefined,
  expected: string[],
  timeouts: { buildMs: number; testMs: number },
): void {
  let t: ScenarioLab | undefined;
  beforeAll(async () => {
    t = await scenarioLab(id, variant, { driver });
  }, timeouts.buildMs);
  afterAll(async () => {
    summary(t);
    await t?.dispose();
  }, timeouts.buildMs);

  it(
    'shows the symptom: check fails on exactly the checks that name the fault, with evidence',
    async () => {
      const r = await grade(t!, 'injected');
      expect(failing(r)).toEqual(expected);
      for (const c of r.checks.filter((x) => expected.includes(x.id))) {
        expect(c.why, `${c.id} says why`).toMatch(/\S{3}/);
        expect(c.evidence.length, `${c.id} shows what it ran`).toBeGreaterThan(0);
      }
    },
    timeouts.testMs,
  );

  describeFixes(
    id,
    variant,
    () => t!,
    () => expected,
    timeouts.testMs,
  );
}
