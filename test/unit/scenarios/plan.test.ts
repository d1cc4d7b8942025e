/**
 * The scenario part of `labctl up <scenario> --dry-run`, for every scenario: what the engine will
 * do after the driver built the environment, told without touching a lab, and still a script
 * bash accepts.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { listScenarioIds, readScenarioSpec, scenarioDir } from '../../../labs/scenarios/loader.ts';
import { scenarioPlan } from '../../../labs/scenarios/plan.ts';

describe.each(listScenarioIds())('the dry-run plan of scenario %s', (id) => {
  const spec = readScenarioSpec(scenarioDir(id));
  const variant = spec.variants?.at(-1)?.id;
  const plan = scenarioPlan({ scenario: id, variant, noFault: false });

  it('names the scenario, quotes what inject.ts says it breaks, and lists checks and solutions', () => {
    expect(plan).toContain(`scenario engine (labs/scenarios): ${id}`);
    expect(plan).toMatch(/inject\.ts says:\n# {6}Healthy: /);
    expect(plan).toMatch(/\n# {6}Broken/);
    expect(plan).toContain(`# checks: ${spec.checks.map((c) => c.id).join(', ')}`);
    expect(plan).toContain(`# solutions: ${spec.solutions.map((s) => s.id).join(', ')}`);
    if (variant) expect(plan).toContain(`inject the fault (variant ${variant})`);
  });

  it('places the learner’s files and shows the probe DaemonSet when the scenario has them', () => {
    for (const f of spec.files ?? []) expect(plan).toContain(`place ${f.src} at ${f.node}:${f.path}`);
    expect(plan.includes('#   kind: DaemonSet')).toBe(!!spec.probes);
  });

  it('is all comments, so the whole dry run stays a script bash accepts', () => {
    expect(plan.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([]);
    expect(spawnSync('bash', ['-n'], { input: plan }).status).toBe(0);
  });

  it('says when the fault is left out', () => {
    const healthy = scenarioPlan({ scenario: id, noFault: true });
    expect(healthy).toContain('no injection (--no-fault): the lab stays healthy');
    expect(healthy).not.toContain('inject the fault');
  });
});
