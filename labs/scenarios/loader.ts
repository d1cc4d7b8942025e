/**
 * Reading a scenario folder: scenario.yaml through the schema and the cross-checks, then its
 * modules (inject.ts, checks.ts, .ts fixes) imported and checked against what the YAML declares.
 * Every problem of a folder is reported at once, each as `<file>: <field>: <problem>`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';
import { REPO_ROOT } from '../daemon/paths.ts';
import { type Localized, type ScenarioSpec, scenarioSchema } from './format.ts';
import { type Issue, validate } from './schema.ts';
import type { ChecksModule, FixFn, InjectModule } from './types.ts';
import { crossCheck } from './validate.ts';

/** Where scenario folders are: scenarios/ of the repository, or SVC_LABS_SCENARIOS (tests, authors' drafts). */
export const SCENARIOS_ROOT = process.env.SVC_LABS_SCENARIOS || join(REPO_ROOT, 'scenarios');

export interface LoadedScenario {
  id: string;
  /** Absolute path of the folder. */
  dir: string;
  spec: ScenarioSpec;
  story: Localized;
  inject: InjectModule;
  checks: ChecksModule;
  /** `.ts` solutions and wrong fixes by their `run` path. */
  fixes: Map<string, FixFn>;
}

/** A scenario folder is not valid; `problems` lists every one, ready to print. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

function display(path: string): string {
  const rel = relative(REPO_ROOT, path);
  return rel.startsWith('..') ? path : rel;
}

function format(file: string, issues: Issue[]): string[] {
  return issues.map((i) => `${file}: ${i.path ? `${i.path}: ` : ''}${i.message}`);
}

/** Folder of a scenario given by id (under `root`) or by path. */
export function scenarioDir(idOrDir: string, root = SCENARIOS_ROOT): string {
  return idOrDir.includes('/') ? resolve(idOrDir) : join(root, idOrDir);
}

export function listScenarioIds(root = SCENARIOS_ROOT): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'scenario.yaml')))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/** scenario.yaml of a folder, validated (schema and references); no module is imported. */
export function readScenarioSpec(dir: string): ScenarioSpec {
  const file = join(dir, 'scenario.yaml');
  const shown = display(file);
  if (!existsSync(file)) {
    const root = resolve(dir, '..');
    const known = listScenarioIds(root);
    throw new ScenarioError([
      `${display(dir)}: no scenario here (no scenario.yaml)${known.length ? `; scenarios: ${known.join(', ')}` : ''}`,
    ]);
  }
  const doc = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true });
  if (doc.errors.length)
    throw new ScenarioError(doc.errors.map((e) => `${shown}: not valid YAML: ${e.message.split('\n')[0]}`));
  const parsed = validate(scenarioSchema, doc.toJS());
  if (!parsed.ok) throw new ScenarioError(format(shown, parsed.issues));
  const exists = (rel: string) => {
    try {
      return statSync(join(dir, rel)).isFile();
    } catch {
      return false;
    }
  };
  const issues = crossCheck(parsed.value, basename(dir), exists);
  if (issues.length) throw new ScenarioError(format(shown, issues));
  return parsed.value;
}

/** Import a module (once per process: a running daemon picks up edited modules when restarted). */
async function importModule(path: string): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}

/** Load a scenario: validate its YAML, read its story, import and check its modules. */
export async function loadScenario(idOrDir: string, root = SCENARIOS_ROOT): Promise<LoadedScenario> {
  const dir = scenarioDir(idOrDir, root);
  const spec = readScenarioSpec(dir);
  const problems: string[] = [];
  const shown = (rel: string) => display(join(dir, rel));

  const load = async (rel: string): Promise<Record<string, unknown> | undefined> => {
    try {
      return await importModule(join(dir, rel));
    } catch (e) {
      problems.push(
        `${shown(rel)}: does not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
      );
      return undefined;
    }
  };

  const injectMod = await load('inject.ts');
  let inject: InjectModule | undefined;
  if (injectMod) {
    if (typeof injectMod.inject !== 'function')
      problems.push(`${shown('inject.ts')}: exports no inject(ctx) function`);
    else if (injectMod.setup !== undefined && typeof injectMod.setup !== 'function')
      problems.push(`${shown('inject.ts')}: setup is not a function`);
    else inject = injectMod as unknown as InjectModule;
  }

  const checksMod = await load('checks.ts');
  let checks: ChecksModule | undefined;
  if (checksMod) {
    const table = (checksMod.default ?? checksMod.checks) as Record<string, unknown> | undefined;
    if (!table || typeof table !== 'object')
      problems.push(`${shown('checks.ts')}: has no default export mapping check ids to functions`);
    else {
      const declared = new Map(spec.checks.map((c) => [c.id, c]));
      for (const c of spec.checks) {
        if (c.kind !== 'persistence' && typeof table[c.id] !== 'function')
          problems.push(
            `${shown('checks.ts')}: check "${c.id}" (scenario.yaml checks[${spec.checks.indexOf(c)}]) is not implemented`,
          );
      }
      for (const [key, fn] of Object.entries(table)) {
        if (!declared.has(key))
          problems.push(
            `${shown('checks.ts')}: implements "${key}", which scenario.yaml does not declare (checks: ${[...declared.keys()].join(', ')})`,
          );
        else if (typeof fn !== 'function') problems.push(`${shown('checks.ts')}: "${key}" is not a function`);
      }
      checks = table as ChecksModule;
    }
  }

  const fixes = new Map<string, FixFn>();
  for (const f of [...spec.solutions, ...(spec.wrongFixes ?? [])]) {
    if (!f.run.endsWith('.ts')) continue;
    const mod = await load(f.run);
    if (!mod) continue;
    if (typeof mod.default !== 'function')
      problems.push(`${shown(f.run)}: has no default export function (ctx) => Promise<void>`);
    else fixes.set(f.run, mod.default as FixFn);
  }

  const story = {
    en: readFileSync(join(dir, 'story.en.md'), 'utf8'),
    'zh-CN': readFileSync(join(dir, 'story.zh-CN.md'), 'utf8'),
  };
  if (problems.length || !inject || !checks) throw new ScenarioError(problems);
  return { id: spec.id, dir, spec, story, inject, checks, fixes };
}
