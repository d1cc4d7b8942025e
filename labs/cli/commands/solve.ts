import { boolFlag, flag, UsageError } from '../args.ts';
import {
  checkFlags,
  EXIT_OK,
  guarded,
  noDaemonLab,
  positionals,
  printJson,
  runningDaemon,
} from './lab-common.ts';
import { formatMs } from './progress.ts';
import type { Command } from './types.ts';

export const solve: Command = {
  name: 'solve',
  usage: 'solve <name> [--solution <id>] [--wrong-fix <id>] [--json]',
  summary: 'apply a reference solution (instructors, CI) - or a known wrong fix, to see the grader catch it',
  help: [
    'Runs what a learner would type - the real kubectl on the control plane, ip, sed on the nodes -',
    "through the lab, then waits for the lab to settle. Without --solution, the scenario's first",
    "solution for the lab's variant. --wrong-fix applies one of the scenario's known wrong fixes.",
  ].join('\n'),
  valueFlags: new Set(['solution', 'wrong-fix']),
  async run(args) {
    checkFlags(args, ['solution', 'wrong-fix']);
    const [name] = positionals(args, 1, 1, 'the lab name');
    const solution = flag(args, 'solution');
    const wrongFix = flag(args, 'wrong-fix');
    if (solution !== undefined && wrongFix !== undefined)
      throw new UsageError('give --solution or --wrong-fix, not both');
    return guarded('solve', async () => {
      const client = await runningDaemon();
      if (!client) throw noDaemonLab(name);
      const r = await client.solve(name, { solution, wrongFix });
      if (boolFlag(args, 'json')) {
        printJson(r);
        return EXIT_OK;
      }
      for (const s of r.steps) {
        console.log(`[${s.target}] $ ${s.ran}    (exit ${s.exitCode}, ${formatMs(s.ms)})`);
        if (s.output) console.log(s.output.replace(/^/gm, '    '));
      }
      const what = r.kind === 'solution' ? 'solution' : 'wrong fix';
      console.log(`\nApplied ${what} ${r.id}: ${r.title} (${formatMs(r.ms)}).`);
      console.log(`labctl check ${name} grades it.`);
      return EXIT_OK;
    });
  },
};
