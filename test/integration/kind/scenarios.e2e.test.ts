/**
 * Every scenario on real kind, through the same scenario code as on netns: for each scenario and
 * variant a kind cluster shaped like its environment is built and the fault injected; the grader
 * fails exactly the checks that name the fault (the symptom, seen by real traffic from nodes and
 * pods); then each reference solution - typed as a learner would, real kubectl and real node
 * commands - passes every check, and each known wrong fix is caught, with a reset in between.
 *
 * Needs a Docker daemon (28+), kind, kubectl, br_netfilter and the CNI plugins: without them the
 * suite is skipped and its title says what is missing (`labctl doctor --driver kind` says how to
 * get it). It takes long (a cluster per scenario and variant): SVCL_KIND_SCENARIOS=id,id narrows it.
 */
import { describe, it } from 'vitest';
import { kindAvailability } from '../../../labs/drivers/kind/prereqs.ts';
import { injected, scenarioCases } from '../scenarios/expectations.ts';
import { describeScenarioOn } from '../scenarios/harness.ts';

const availability = await kindAvailability();
const ready = availability.ok;
const why = availability.reason ?? '';
if (!ready) console.warn(`kind scenario suite skipped: ${why}`);

const only = (process.env.SVCL_KIND_SCENARIOS ?? '').split(',').filter(Boolean);
const cases = scenarioCases().filter((c) => only.length === 0 || only.includes(c.id));
const TIMEOUTS = { buildMs: 20 * 60_000, testMs: 10 * 60_000 };

if (!ready) it.skip(`every scenario on kind (skipped: ${why})`, () => {});

for (const c of cases) {
  describe.skipIf(!ready)(`scenario ${c.id}${c.variant ? `, variant ${c.variant}` : ''} on kind`, () => {
    describeScenarioOn('kind', c.id, c.variant, injected(c.id, c.variant), TIMEOUTS);
  });
}
