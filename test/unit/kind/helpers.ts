/** Plans of the two seed environments for the kind unit suites. */

import type { Cmd } from '../../../labs/drivers/kind/commands.ts';
import { type KindPlan, planCreation } from '../../../labs/drivers/kind/plan.ts';
import { environment } from '../../../labs/environments/index.ts';

export const LAB_DIR = '/var/tmp/svcl-state/labs/demo';

export function plan(
  env: 'virtualbox-3node' | 'two-master-business',
  options?: Record<string, unknown>,
): KindPlan {
  return planCreation({
    lab: 'demo',
    environment: env,
    topology: environment(env, options),
    noFault: false,
    dir: LAB_DIR,
    cniSource: '/usr/lib/cni',
    owner: { pid: 4242, start: '777' },
  });
}

export function commands(p: KindPlan, stepId?: string): Cmd[] {
  return p.steps.filter((s) => stepId === undefined || s.id === stepId).flatMap((s) => s.commands);
}

/** Commands whose argv starts with these words. */
export function starting(p: KindPlan, ...words: string[]): Cmd[] {
  return commands(p).filter((c) => words.every((w, i) => c.argv[i] === w));
}
