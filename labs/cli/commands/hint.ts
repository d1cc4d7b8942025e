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
import { language } from './lang.ts';
import type { Command } from './types.ts';

export const hint: Command = {
  name: 'hint',
  usage: 'hint <name> [<hint-id>] [--all] [--json] [--lang en|zh-CN]',
  summary: 'reveal the next hint (or the one a failing check points to); --all shows those revealed',
  help: [
    'Hints come in order, each a little closer to the answer; what was revealed is kept with the lab.',
    'A failing check names the hint that helps with it: `labctl hint <lab> h3` reveals that one.',
  ].join('\n'),
  valueFlags: new Set(['lang']),
  async run(args) {
    checkFlags(args, ['lang', 'all']);
    const [name, id] = positionals(args, 1, 2, 'the lab name');
    const lang = language(args);
    const all = boolFlag(args, 'all');
    return guarded('hint', async () => {
      const client = await runningDaemon();
      if (!client) throw noDaemonLab(name);
      const r = await client.hint(name, { id, lang, peek: all && id === undefined });
      if (boolFlag(args, 'json')) {
        printJson(r);
        return EXIT_OK;
      }
      if (all) {
        if (r.revealed.length === 0)
          console.log(`No hint revealed yet (${r.total} available): labctl hint ${name}`);
        for (const h of r.revealed) console.log(`Hint ${h.number} of ${r.total} (${h.id}):\n${h.text}\n`);
        return EXIT_OK;
      }
      if (r.hint) {
        console.log(`Hint ${r.hint.number} of ${r.total} (${r.hint.id}):\n${r.hint.text}`);
        const left = r.total - r.revealed.length;
        if (left > 0) console.log(`\n(${left} more: labctl hint ${name})`);
      } else
        console.log(`All ${r.total} hints are revealed; \`labctl hint ${name} --all\` shows them again.`);
      return EXIT_OK;
    });
  },
};
