import { readFileSync } from 'node:fs';
import { boolFlag, flag, UsageError } from '../args.ts';
import { checkFlags, guarded, noDaemonLab, positionals, printJson, runningDaemon } from './lab-common.ts';
import { parseTarget } from './target.ts';
import type { Command } from './types.ts';

export const exec: Command = {
  name: 'exec',
  usage: 'exec <name> <node>|pod/<ns>/<pod> -- <cmd...>',
  summary: "run a command on a node or in a pod; labctl exits with the command's exit code",
  help: [
    "Runs the command to completion and prints its output; the exit code is the command's own.",
    "--stdin passes labctl's standard input to the command; --json prints {code, stdout, stderr, ms}.",
    '--container C picks a container of the pod; --timeout S ends the command after S seconds (exit 124).',
  ].join('\n'),
  valueFlags: new Set(['container', 'timeout']),
  async run(args) {
    checkFlags(args, ['container', 'stdin', 'timeout']);
    const [name, where] = positionals(args, 2, 2, 'the lab name and a node or pod/<ns>/<pod>');
    if (args.rest.length === 0)
      throw new UsageError('put the command after --, e.g. labctl exec lab1 ubuntu02 -- ip route');
    const target = parseTarget(where);
    const container = flag(args, 'container');
    if (container && 'node' in target) throw new UsageError('--container is for pods');
    const timeout = flag(args, 'timeout');
    const timeoutMs = timeout === undefined ? undefined : Number(timeout) * 1000;
    if (timeoutMs !== undefined && !(timeoutMs > 0))
      throw new UsageError('--timeout takes seconds, e.g. --timeout 30');
    const input = boolFlag(args, 'stdin') ? readFileSync(0, 'utf8') : undefined;
    return guarded('exec', async () => {
      const client = await runningDaemon();
      if (!client) throw noDaemonLab(name);
      const r = await client.exec(name, { ...target, container, argv: args.rest, input, timeoutMs });
      if (boolFlag(args, 'json')) printJson(r);
      else {
        process.stdout.write(r.stdout);
        process.stderr.write(r.stderr);
      }
      return Math.min(Math.max(r.code, 0), 255);
    });
  },
};
