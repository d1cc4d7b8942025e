/**
 * What the scenario engine will do once a driver has built the environment, for dry runs
 * (`labctl up <scenario> --dry-run`): the files it places on nodes, the grader's probe pods, the
 * workloads and fault as inject.ts describes them, and what reset will return to. Setup and
 * injection are code that looks at the live lab, so the plan quotes their description instead of
 * pretending to know their commands; the probe DaemonSet, which the engine owns, is printed whole.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { text } from './format.ts';
import { readScenarioSpec, scenarioDir } from './loader.ts';
import { PROBE_IMAGE, probeManifests } from './prepare.ts';

export interface ScenarioPlanInput {
  scenario: string;
  variant?: string;
  noFault: boolean;
}

/** The first block comment of inject.ts, as prose. */
function injectDescription(dir: string): string[] {
  let source = '';
  try {
    source = readFileSync(join(dir, 'inject.ts'), 'utf8');
  } catch {
    return ['(inject.ts is missing)'];
  }
  const m = /\/\*\*([\s\S]*?)\*\//.exec(source);
  if (!m) return ['(inject.ts has no description)'];
  return m[1]
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, '').trimEnd())
    .filter((l, i, all) => l || (i > 0 && i < all.length - 1));
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The scenario part of a dry-run plan, as shell comments plus the manifests it ships. */
export function scenarioPlan(input: ScenarioPlanInput): string {
  const dir = scenarioDir(input.scenario);
  const spec = readScenarioSpec(dir);
  const out: string[] = [];
  const say = (line = '') => out.push(line ? `# ${line}` : '#');
  out.push(`# ---- then the scenario engine (labs/scenarios): ${spec.id} - ${text(spec.title, 'en')}`);
  say('It works through kubectl and commands on the nodes only, the same on every driver:');
  let n = 1;
  for (const f of spec.files ?? [])
    say(`${n++}. place ${f.src} at ${f.node}:${f.path} (the learner edits it there)`);
  if (spec.probes)
    say(`${n++}. apply the grader's probe DaemonSet (lab-probes/probe, ${PROBE_IMAGE}, one pod per node)`);
  say(`${n++}. setup, then wait for the lab to settle; scenarios/${spec.id}/inject.ts says:`);
  for (const l of injectDescription(dir)) say(`     ${l}`);
  if (input.noFault) say(`${n++}. no injection (--no-fault): the lab stays healthy`);
  else
    say(
      `${n++}. inject the fault${input.variant ? ` (variant ${input.variant})` : spec.variants ? ' (variant chosen at build)' : ''}, then settle`,
    );
  say(
    `${n++}. record the baseline reset returns to: API objects, node files, each node's live network state`,
  );
  say(`checks: ${spec.checks.map((c) => c.id).join(', ')}`);
  say(`solutions: ${spec.solutions.map((s) => s.id).join(', ')}`);
  const files = listFiles(join(dir, 'files'));
  if (files.length)
    say(`manifests and files the scenario uses (scenarios/${spec.id}/files): ${files.join(', ')}`);
  if (spec.probes) {
    // As comments: the plan stays a script bash accepts.
    const yaml = probeManifests()
      .map((m) => toYaml(m))
      .join('---\n')
      .trimEnd();
    out.push('#', '# the probe DaemonSet:', ...yaml.split('\n').map((l) => `#   ${l}`));
  }
  return `${out.join('\n')}\n`;
}
