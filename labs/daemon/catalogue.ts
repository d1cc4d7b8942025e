/**
 * What can be built: the environments (labs/environments) and the scenarios (a folder under
 * scenarios/ with a scenario.yaml). Only names, titles and a scenario's environment are read here;
 * loading scenarios (injection, checks, hints) is the scenario engine's job.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ENVIRONMENTS, environment } from '../environments/index.ts';
import type { Topology } from '../topology/types.ts';
import { REPO_ROOT } from './paths.ts';

export const SCENARIOS_DIR = process.env.SVC_LABS_SCENARIOS || join(REPO_ROOT, 'scenarios');

export interface EnvironmentEntry {
  name: string;
  title: string;
  seeds: string[];
}

export interface ScenarioEntry {
  name: string;
  title: string;
  /** The environment the scenario builds on, when its scenario.yaml names one. */
  environment?: string;
  /** Options of that environment (scenario.yaml environmentOptions). */
  environmentOptions?: Record<string, unknown>;
  /** Variant ids, when the scenario has several (`labctl up --variant`). */
  variants?: string[];
}

export interface Catalogue {
  environments: EnvironmentEntry[];
  scenarios: ScenarioEntry[];
}

export function listEnvironments(): EnvironmentEntry[] {
  return ENVIRONMENTS.map((e) => ({ name: e.name, title: e.title, seeds: [...e.seeds] }));
}

export function listScenarios(dir = SCENARIOS_DIR): ScenarioEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
  const out: ScenarioEntry[] = [];
  for (const name of names) {
    const file = join(dir, name, 'scenario.yaml');
    if (!existsSync(file)) continue;
    let doc: Record<string, unknown> = {};
    try {
      const parsed = parseYaml(readFileSync(file, 'utf8'));
      if (parsed && typeof parsed === 'object') doc = parsed as Record<string, unknown>;
    } catch {
      // A scenario whose yaml does not parse is still listed; building it says what is wrong.
    }
    // Titles are plain text or given per language ({en, zh-CN}); the catalogue shows English.
    const title = doc.title as unknown;
    const english =
      typeof title === 'string'
        ? title
        : title && typeof title === 'object' && typeof (title as { en?: unknown }).en === 'string'
          ? (title as { en: string }).en
          : name;
    const options = doc.environmentOptions;
    const variants = Array.isArray(doc.variants)
      ? doc.variants.map((v) => (v && typeof v === 'object' ? (v as { id?: unknown }).id : undefined))
      : [];
    out.push({
      name,
      title: english,
      environment: typeof doc.environment === 'string' ? doc.environment : undefined,
      ...(options && typeof options === 'object' && !Array.isArray(options)
        ? { environmentOptions: options as Record<string, unknown> }
        : {}),
      ...(variants.length && variants.every((v) => typeof v === 'string')
        ? { variants: variants as string[] }
        : {}),
    });
  }
  return out;
}

export function catalogue(): Catalogue {
  return { environments: listEnvironments(), scenarios: listScenarios() };
}

export class UnknownTargetError extends Error {
  override readonly name = 'UnknownTargetError';
  readonly valid: string[];
  constructor(message: string, valid: string[]) {
    super(message);
    this.valid = valid;
  }
}

export interface ResolvedTarget {
  environment: string;
  topology: Topology;
  scenario?: string;
}

/** A scenario or environment name, as `labctl up` takes it: scenarios first, then environments. */
export function classify(name: string): { scenario: string } | { environment: string } {
  if (listScenarios().some((s) => s.name === name)) return { scenario: name };
  if (ENVIRONMENTS.some((e) => e.name === name)) return { environment: name };
  throw unknownTarget(name);
}

function unknownTarget(name: string): UnknownTargetError {
  const valid = [...listScenarios().map((s) => s.name), ...ENVIRONMENTS.map((e) => e.name)];
  return new UnknownTargetError(
    `unknown scenario or environment "${name}"; valid: ${valid.join(', ')}`,
    valid,
  );
}

export function resolveTarget(req: { scenario?: string; environment?: string }): ResolvedTarget {
  if (req.scenario !== undefined) {
    const entry = listScenarios().find((s) => s.name === req.scenario);
    if (!entry) throw unknownTarget(req.scenario);
    if (!entry.environment)
      throw new Error(`scenario ${entry.name} does not name its environment (scenario.yaml: environment:)`);
    return {
      scenario: entry.name,
      environment: entry.environment,
      topology: buildTopology(entry.environment, entry.environmentOptions),
    };
  }
  if (req.environment !== undefined) {
    if (!ENVIRONMENTS.some((e) => e.name === req.environment)) throw unknownTarget(req.environment);
    return { environment: req.environment, topology: buildTopology(req.environment) };
  }
  throw new Error('name a scenario or an environment');
}

function buildTopology(name: string, options?: Record<string, unknown>): Topology {
  if (!ENVIRONMENTS.some((e) => e.name === name))
    throw new UnknownTargetError(
      `unknown environment "${name}"; valid: ${ENVIRONMENTS.map((e) => e.name).join(', ')}`,
      ENVIRONMENTS.map((e) => e.name),
    );
  return environment(name, options);
}
