import { boolFlag } from '../args.ts';
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

export const reset: Command = {
  name: 'reset',
  usage: 'reset <name> [--json]',
  summary: 'return the lab to its freshly injected state (hints revealed are kept)',
  help: [
    'Puts back the API objects and node files as they were before injection (what you created is',
    'deleted), reboots every node so that live changes are gone, and injects the fault again.',
  ].join('\n'),
  async run(args) {
    checkFlags(args, []);
    const [name] = positionals(args, 1, 1, 'the lab name');
    return guarded('reset', async () => {
      const client = await runningDaemon();
      if (!client) throw noDaemonLab(name);
      const r = await client.reset(name);
      if (boolFlag(args, 'json')) {
        printJson(r);
        return EXIT_OK;
      }
      for (const s of r.steps) console.log(`  ${s.step.padEnd(14)} ${formatMs(s.ms)}`);
      console.log(
        `Lab ${name} is reset to the start of ${r.scenario}${r.variant ? ` (variant ${r.variant})` : ''} (${formatMs(r.ms)}).`,
      );
      return EXIT_OK;
    });
  },
};
