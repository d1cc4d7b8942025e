import { readFileSync } from 'node:fs';
import { DaemonApiError } from '../../daemon/client.ts';
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
import type { Command } from './types.ts';

export const kubeconfig: Command = {
  name: 'kubeconfig',
  usage: 'kubeconfig <name> [--print] [--json]',
  summary: "the path of a lab's kubeconfig (its content with --print)",
  async run(args) {
    checkFlags(args, ['print']);
    const [name] = positionals(args, 1, 1, 'the lab name');
    return guarded('kubeconfig', async () => {
      const client = await runningDaemon();
      if (!client) throw noDaemonLab(name);
      const s = await client.getLab(name);
      if (!s.kubeconfig)
        throw new DaemonApiError(409, {
          error: `lab ${name} is ${s.phase}: it has no kubeconfig yet`,
          reason: 'NotReady',
        });
      if (boolFlag(args, 'print')) process.stdout.write(readFileSync(s.kubeconfig, 'utf8'));
      else if (boolFlag(args, 'json')) printJson({ name, kubeconfig: s.kubeconfig, apiserver: s.apiserver });
      else console.log(s.kubeconfig);
      return EXIT_OK;
    });
  },
};
