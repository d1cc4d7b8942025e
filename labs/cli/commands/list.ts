import { boolFlag } from '../args.ts';
import {
  age,
  checkFlags,
  EXIT_OK,
  guarded,
  positionals,
  printJson,
  runningDaemon,
  table,
} from './lab-common.ts';
import type { Command } from './types.ts';

export const list: Command = {
  name: 'list',
  usage: 'list [--json]',
  summary: 'the labs the daemon holds',
  async run(args) {
    checkFlags(args, []);
    positionals(args, 0, 0, '');
    return guarded('list', async () => {
      const client = await runningDaemon();
      const labs = client ? await client.listLabs() : [];
      if (boolFlag(args, 'json')) printJson(labs);
      else if (labs.length === 0)
        console.log(client ? 'No labs.' : 'No labs (the lab daemon is not running).');
      else {
        const rows = [['NAME', 'PHASE', 'DRIVER', 'ENVIRONMENT', 'SCENARIO', 'NODES', 'AGE']];
        for (const l of labs)
          rows.push([
            l.name,
            l.phase,
            l.driver,
            l.environment,
            l.scenario ?? '-',
            String(l.nodes.length),
            age(l.createdAt),
          ]);
        console.log(table(rows));
      }
      return EXIT_OK;
    });
  },
};
