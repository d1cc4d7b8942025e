import { boolFlag } from '../args.ts';
import {
  age,
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

export const status: Command = {
  name: 'status',
  usage: 'status <name> [--json]',
  summary: "a lab's phase, nodes, kubeconfig and apiserver",
  async run(args) {
    checkFlags(args, []);
    const [name] = positionals(args, 1, 1, 'the lab name');
    return guarded('status', async () => {
      const client = await runningDaemon();
      if (!client) throw noDaemonLab(name);
      const s = await client.getLab(name);
      if (boolFlag(args, 'json')) {
        printJson(s);
        return EXIT_OK;
      }
      const lines: [string, string | undefined][] = [
        ['Name', s.name],
        ['Phase', s.phase],
        ['Driver', s.driver],
        ['Environment', s.environment],
        [
          'Scenario',
          s.scenario
            ? `${s.scenario}${s.variant ? ` (variant ${s.variant})` : ''}${s.noFault ? ', no fault' : ''}`
            : undefined,
        ],
        ['Created', `${s.createdAt} (${age(s.createdAt)} ago)`],
        ['Built in', s.buildMs !== undefined ? formatMs(s.buildMs) : undefined],
        ['API server', s.apiserver],
        ['Kubeconfig', s.kubeconfig],
        ['Error', s.error],
      ];
      for (const [k, v] of lines) if (v !== undefined) console.log(`${`${k}:`.padEnd(13)}${v}`);
      if (s.nodes.length) {
        console.log('Nodes:');
        for (const n of s.nodes)
          console.log(
            `  ${n.name.padEnd(14)} ${n.role.padEnd(13)} ${n.addresses.map((a) => `${a.nic} ${a.address}`).join(', ')}`,
          );
      }
      return EXIT_OK;
    });
  },
};
