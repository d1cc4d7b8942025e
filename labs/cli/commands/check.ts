import type { CheckResult, Evidence, GradeReport } from '../../scenarios/types.ts';
import { boolFlag } from '../args.ts';
import {
  checkFlags,
  EXIT_FAILED,
  EXIT_OK,
  guarded,
  noDaemonLab,
  positionals,
  printJson,
  runningDaemon,
} from './lab-common.ts';
import { language } from './lang.ts';
import { formatMs } from './progress.ts';
import type { Command } from './types.ts';

/** Evidence entries printed per failing check without --verbose. */
const SHOWN = 6;

function indent(text: string, pad: string): string {
  return text
    .split('\n')
    .map((l) => `${pad}${l}`)
    .join('\n');
}

function evidenceLines(e: Evidence): string {
  const head = `$ ${e.ran.split('\n').join('\n  ')}    [${e.target}, exit ${e.exitCode}, ${formatMs(e.ms)}]`;
  return e.output ? `${head}\n${indent(e.output, '  ')}` : head;
}

function mark(c: CheckResult): string {
  return c.passed ? 'PASS' : c.skipped ? 'SKIP' : 'FAIL';
}

export function printReport(r: GradeReport, lab: string, verbose: boolean): void {
  console.log(`Lab ${lab}: scenario ${r.scenario}${r.variant ? ` (variant ${r.variant})` : ''}\n`);
  for (const c of r.checks) {
    console.log(`${mark(c)}  ${c.title}  (${c.id}, ${c.kind})`);
    if (!c.passed && c.why) console.log(indent(c.why, '      '));
    if ((!c.passed && !c.skipped) || verbose) {
      // What went wrong first; a few of what worked for contrast; all of it with --verbose.
      const shown = verbose
        ? c.evidence
        : [
            ...c.evidence.filter((e) => e.exitCode !== 0),
            ...c.evidence.filter((e) => e.exitCode === 0),
          ].slice(0, SHOWN);
      for (const e of shown) console.log(indent(evidenceLines(e), '        '));
      if (shown.length < c.evidence.length)
        console.log(`        (${c.evidence.length - shown.length} more; --verbose shows them)`);
      if (!c.passed) console.log(`      hint ${c.hint.number}: labctl hint ${lab} ${c.hint.id}`);
    }
  }
  const passed = r.checks.filter((c) => c.passed).length;
  console.log(
    `\n${passed}/${r.checks.length} checks pass (graded in ${formatMs(r.ms)}${r.quickMs !== r.ms ? `; ${formatMs(r.quickMs)} before the persistence checks` : ''}).`,
  );
  if (r.passed) console.log('Every check passes: the fault is fixed, and the fix holds.');
}

export const check: Command = {
  name: 'check',
  usage: 'check <name> [--json] [--lang en|zh-CN] [--quick] [--verbose]',
  summary: "grade the lab's fix: each check with pass/fail, evidence and a hint; exit 0 only if all pass",
  help: [
    "Runs the scenario's checks: outcomes seen from every node and pod, its constraints, and - once",
    'those pass - persistence checks that restart flannel, recreate pods or reboot nodes and look again.',
    '--quick leaves the persistence checks out (they are reported as not run, so the exit code is 1).',
    '--verbose shows the evidence of passing checks too; --json prints the whole report.',
    'Exit 0 only when every check passes, 1 otherwise.',
  ].join('\n'),
  valueFlags: new Set(['lang']),
  async run(args) {
    checkFlags(args, ['lang', 'quick', 'verbose']);
    const [name] = positionals(args, 1, 1, 'the lab name');
    const lang = language(args);
    return guarded('check', async () => {
      const client = await runningDaemon();
      if (!client) throw noDaemonLab(name);
      const r = await client.check(name, { lang, skipPersistence: boolFlag(args, 'quick') });
      if (boolFlag(args, 'json')) printJson(r);
      else printReport(r, name, boolFlag(args, 'verbose'));
      return r.passed ? EXIT_OK : EXIT_FAILED;
    });
  },
};
