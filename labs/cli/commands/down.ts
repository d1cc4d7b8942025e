import { boolFlag, UsageError } from '../args.ts';
import {
  checkFlags,
  EXIT_FAILED,
  EXIT_OK,
  guarded,
  noDaemonLab,
  printJson,
  runningDaemon,
} from './lab-common.ts';
import type { Command } from './types.ts';

export const down: Command = {
  name: 'down',
  usage: 'down <name> | down --all',
  summary: 'tear a lab down (every lab with --all), leaving nothing behind',
  async run(args) {
    checkFlags(args, ['all']);
    const all = boolFlag(args, 'all');
    const json = boolFlag(args, 'json');
    if (all && args.positional.length) throw new UsageError('give a lab name or --all, not both');
    if (!all && args.positional.length !== 1)
      throw new UsageError(args.positional.length ? 'one lab at a time (or --all)' : 'missing the lab name');
    return guarded('down', async () => {
      const client = await runningDaemon();
      if (all) {
        const result = client ? await client.deleteAll() : { deleted: [], errors: [] };
        if (json) printJson(result);
        else {
          for (const name of result.deleted) console.log(`lab ${name} deleted`);
          if (result.deleted.length === 0 && result.errors.length === 0) console.log('No labs.');
          for (const e of result.errors) console.error(`labctl down: ${e}`);
        }
        return result.errors.length ? EXIT_FAILED : EXIT_OK;
      }
      const name = args.positional[0];
      if (!client) throw noDaemonLab(name);
      await client.deleteLab(name);
      if (json) printJson({ deleted: name });
      else console.log(`lab ${name} deleted`);
      return EXIT_OK;
    });
  },
};
