/**
 * What the schema cannot see: references inside scenario.yaml (a check's hint, a wrong fix's
 * checks, variants, constraints), the environment and its node names, and the files the
 * scenario names. Each problem is an Issue with the path of the field at fault.
 */
import { ENVIRONMENTS, environment } from '../environments/index.ts';
import type { CheckSpec, ScenarioSpec } from './format.ts';
import type { Issue } from './schema.ts';

function defined(ids: string[]): string {
  return ids.length ? `defined: ${ids.join(', ')}` : 'none is defined';
}

function duplicates(list: { id: string }[], path: string, issues: Issue[]): void {
  const seen = new Map<string, number>();
  list.forEach((x, i) => {
    const first = seen.get(x.id);
    if (first !== undefined)
      issues.push({ path: `${path}[${i}].id`, message: `"${x.id}" repeats ${path}[${first}].id` });
    else seen.set(x.id, i);
  });
}

/** Node names a scenario may name, or undefined when the environment is unknown. */
export function environmentNodes(
  spec: Pick<ScenarioSpec, 'environment' | 'environmentOptions'>,
): string[] | undefined {
  if (!ENVIRONMENTS.some((e) => e.name === spec.environment)) return undefined;
  return environment(spec.environment, spec.environmentOptions).nodes.map((n) => n.name);
}

/** Whether a check applies to a variant (checks without `variants` apply to all). */
export function applies(item: { variants?: string[] }, variant: string | undefined): boolean {
  return !item.variants || variant === undefined || item.variants.includes(variant);
}

export function crossCheck(spec: ScenarioSpec, folder: string, exists: (rel: string) => boolean): Issue[] {
  const issues: Issue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });

  if (spec.id !== folder) add('id', `"${spec.id}" differs from the folder name "${folder}"`);

  let nodes: string[] | undefined;
  try {
    nodes = environmentNodes(spec);
    if (!nodes)
      add(
        'environment',
        `"${spec.environment}" is not an environment (known: ${ENVIRONMENTS.map((e) => e.name).join(', ')})`,
      );
  } catch (e) {
    add('environmentOptions', `the environment refused them: ${e instanceof Error ? e.message : String(e)}`);
  }
  const where = (path: string, on: string) => {
    if (on === 'control-plane' || on === 'all-nodes' || !nodes) return;
    if (!nodes.includes(on))
      add(
        path,
        `"${on}" is not a node of ${spec.environment} (nodes: ${nodes.join(', ')}; or control-plane, all-nodes)`,
      );
  };

  const variantIds = (spec.variants ?? []).map((v) => v.id);
  const hintIds = spec.hints.map((h) => h.id);
  const checkIds = spec.checks.map((c) => c.id);
  const byId = new Map<string, CheckSpec>(spec.checks.map((c) => [c.id, c]));
  for (const [list, path] of [
    [spec.checks, 'checks'],
    [spec.hints, 'hints'],
    [spec.solutions, 'solutions'],
    [spec.wrongFixes ?? [], 'wrongFixes'],
    [spec.variants ?? [], 'variants'],
    [spec.constraints ?? [], 'constraints'],
  ] as const)
    duplicates(list as { id: string }[], path, issues);

  const variantRefs = (path: string, refs: string[] | undefined) => {
    refs?.forEach((v, j) => {
      if (!variantIds.includes(v))
        add(`${path}.variants[${j}]`, `variant "${v}" is not defined (${defined(variantIds)})`);
    });
  };

  spec.checks.forEach((c, i) => {
    const path = `checks[${i}]`;
    if (!hintIds.includes(c.hint))
      add(`${path}.hint`, `hint "${c.hint}" is not defined (${defined(hintIds)})`);
    variantRefs(path, c.variants);
    if (c.kind === 'persistence') {
      if (!c.disturb)
        add(
          `${path}.disturb`,
          'is missing (a persistence check says what it does to the lab: restart, reboot, recreate or rollout)',
        );
      c.disturb?.forEach((d, j) => {
        if ('reboot' in d && Array.isArray(d.reboot))
          d.reboot.forEach((n, k) => where(`${path}.disturb[${j}].reboot[${k}]`, n));
        if ('restart' in d && d.node) where(`${path}.disturb[${j}].node`, d.node);
      });
      c.recheck?.forEach((r, j) => {
        const target = byId.get(r);
        if (!target) add(`${path}.recheck[${j}]`, `check "${r}" is not defined (${defined(checkIds)})`);
        else if (target.kind === 'persistence')
          add(
            `${path}.recheck[${j}]`,
            `"${r}" is a persistence check (recheck outcome or constraint checks)`,
          );
        else if (c.variants && target.variants && c.variants.some((v) => !target.variants!.includes(v)))
          add(`${path}.recheck[${j}]`, `"${r}" does not apply to every variant this check applies to`);
      });
    } else {
      if (c.disturb)
        add(`${path}.disturb`, `only persistence checks disturb the lab (this one is ${c.kind})`);
      if (c.recheck) add(`${path}.recheck`, `only persistence checks recheck (this one is ${c.kind})`);
    }
  });

  spec.constraints?.forEach((k, i) => {
    const c = byId.get(k.check);
    if (!c) add(`constraints[${i}].check`, `check "${k.check}" is not defined (${defined(checkIds)})`);
    else if (c.kind !== 'constraint')
      add(
        `constraints[${i}].check`,
        `"${k.check}" is ${c.kind === 'outcome' ? 'an' : 'a'} ${c.kind} check (expected a constraint check)`,
      );
  });

  const fixes = (
    list: { run: string; on?: string; variants?: string[] }[],
    path: string,
    folderName: string,
  ) => {
    list.forEach((f, i) => {
      const p = `${path}[${i}]`;
      if (!f.run.startsWith(`${folderName}/`)) add(`${p}.run`, `"${f.run}" is not in ${folderName}/`);
      if (!/\.(sh|ts)$/.test(f.run)) add(`${p}.run`, `"${f.run}" is neither a .sh nor a .ts file`);
      else if (!exists(f.run)) add(`${p}.run`, `${f.run} does not exist`);
      if (f.on !== undefined) {
        if (f.run.endsWith('.ts'))
          add(`${p}.on`, 'is for .sh files (a .ts fix chooses its own targets through the Lab)');
        else where(`${p}.on`, f.on);
      }
      variantRefs(p, f.variants);
    });
  };
  fixes(spec.solutions, 'solutions', 'solutions');
  fixes(spec.wrongFixes ?? [], 'wrongFixes', 'wrong-fixes');

  spec.wrongFixes?.forEach((w, i) => {
    w.caughtBy.forEach((id, j) => {
      const c = byId.get(id);
      if (!c) add(`wrongFixes[${i}].caughtBy[${j}]`, `check "${id}" is not defined (${defined(checkIds)})`);
      else if (c.variants && (!w.variants || w.variants.some((v) => !c.variants!.includes(v))))
        add(
          `wrongFixes[${i}].caughtBy[${j}]`,
          `check "${id}" does not run in every variant this wrong fix applies to`,
        );
    });
  });

  for (const v of variantIds) {
    if (!spec.solutions.some((s) => applies(s, v)))
      add('solutions', `no solution applies to variant "${v}" (every variant needs one)`);
  }
  if (variantIds.length === 0) {
    for (const [i, c] of spec.checks.entries())
      if (c.variants) add(`checks[${i}].variants`, 'the scenario has no variants');
  }

  spec.files?.forEach((f, i) => {
    where(`files[${i}].node`, f.node);
    if (!exists(f.src)) add(`files[${i}].src`, `${f.src} does not exist`);
  });

  for (const required of ['story.en.md', 'story.zh-CN.md', 'inject.ts', 'checks.ts'])
    if (!exists(required)) add('', `${required} is missing from the scenario folder`);
  return issues;
}
