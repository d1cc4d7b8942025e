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
    'Puts back the API objects and node files as they were right after injection (what you created',
    'is deleted), then undoes live changes on each node you touched: routes, sysctls and hairpin',
    'flags in place, flannel rebuilt, a reboot for anything else. Nodes nobody touched stay as they are.',
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
      for (const o of r.objects ?? []) console.log(`  ${o}`);
      for (const n of r.nodes ?? []) {
        console.log(`  ${n.node}: ${n.action} (${n.differed.join('; ') || 'asked to'})`);
        if (n.left?.length) console.log(`    still different: ${n.left.join('; ')}`);
      }
      if (r.nodes && !r.nodes.length && !r.objects?.length) console.log('  nothing had changed');
      console.log(
        `Lab ${name} is reset to the start of ${r.scenario}${r.variant ? ` (variant ${r.variant})` : ''} (${formatMs(r.ms)}).`,
      );
      return EXIT_OK;
    });
  },
};
