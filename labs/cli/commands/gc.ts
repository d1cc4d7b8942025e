import { DaemonApiError } from '../../daemon/client.ts';
import { collectGarbage, readDaemonInfo } from '../../daemon/gc.ts';
import { daemonPaths } from '../../daemon/paths.ts';
import { isAlive } from '../../daemon/proc.ts';
import type { StateGcReport } from '../../daemon/types.ts';
import { boolFlag } from '../args.ts';
import {
  checkFlags,
  EXIT_FAILED,
  EXIT_OK,
  guarded,
  positionals,
  printJson,
  runningDaemon,
} from './lab-common.ts';
import type { Command } from './types.ts';

export const gc: Command = {
  name: 'gc',
  usage: 'gc [--json]',
  summary: 'remove what crashed labs and crashed daemons left behind (works without a daemon)',
  async run(args) {
    checkFlags(args, []);
    positionals(args, 0, 0, '');
    return guarded('gc', async () => {
      const paths = daemonPaths();
      const client = await runningDaemon();
      let report: StateGcReport;
      if (client) {
        // The daemon knows which labs are alive; it collects the rest.
        report = await client.gc();
      } else {
        const info = readDaemonInfo(paths);
        if (info && isAlive({ pid: info.pid, start: info.pidStart }))
          throw new DaemonApiError(409, {
            error: `the lab daemon (pid ${info.pid}) is running but does not answer; stop it (kill ${info.pid}) and run labctl gc again`,
            reason: 'DaemonHung',
          });
        report = await collectGarbage(paths, { daemonFiles: true });
      }
      if (boolFlag(args, 'json')) printJson(report);
      else {
        let anything = false;
        for (const lab of report.labs) {
          console.log(`removed lab ${lab}`);
          anything = true;
        }
        for (const file of report.daemonFiles) {
          console.log(`removed ${file}`);
          anything = true;
        }
        for (const [driver, r] of Object.entries(report.drivers))
          for (const line of r.removed) {
            console.log(`${driver}: removed ${line}`);
            anything = true;
          }
        for (const [driver, r] of Object.entries(report.drivers))
          for (const e of r.errors) console.error(`labctl gc: ${driver}: ${e}`);
        for (const e of report.errors) console.error(`labctl gc: ${e}`);
        if (!anything) console.log('Nothing to collect.');
      }
      const failed =
        report.errors.length > 0 || Object.values(report.drivers).some((r) => r.errors.length > 0);
      return failed ? EXIT_FAILED : EXIT_OK;
    });
  },
};
