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

export const reboot: Command = {
  name: 'reboot',
  usage: 'reboot <name> <node>',
  summary: 'reboot a node: it comes back from its persistent configuration',
  async run(args) {
    checkFlags(args, []);
    const [name, node] = positionals(args, 2, 2, 'the lab name and the node');
    return guarded('reboot', async () => {
      const client = await runningDaemon();
      if (!client) throw noDaemonLab(name);
      const r = await client.reboot(name, node);
      if (boolFlag(args, 'json')) printJson(r);
      else console.log(`${node} rebooted (${formatMs(r.ms)})`);
      return EXIT_OK;
    });
  },
};
