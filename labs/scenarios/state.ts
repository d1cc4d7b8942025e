/**
 * What the engine keeps about a lab built for a scenario, in the lab's directory next to the
 * daemon's lab.json: `scenario.json` (scenario, variant, facts from injection, hints revealed, recent
 * grades) and `scenario-baseline.json` (what reset puts back). Plain JSON, rewritten whole.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const STATE_FILE = 'scenario.json';
export const BASELINE_FILE = 'scenario-baseline.json';
const MAX_GRADES = 20;

export interface GradeSummary {
  at: string;
  passed: boolean;
  failing: string[];
  ms: number;
}

export interface ScenarioState {
  scenario: string;
  variant?: string;
  noFault: boolean;
  facts: Record<string, unknown>;
  hintsRevealed: string[];
  injectedAt?: string;
  /** Injection's last settle left not-ready pods alone (a broken readinessProbe): so does reset. */
  settleRunningOnly?: boolean;
  resets: number;
  grades: GradeSummary[];
}

function writeJson(path: string, value: unknown): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function saveState(dir: string, state: ScenarioState): void {
  state.grades = state.grades.slice(-MAX_GRADES);
  writeJson(join(dir, STATE_FILE), state);
}

export function loadState(dir: string): ScenarioState | undefined {
  return readJson<ScenarioState>(join(dir, STATE_FILE));
}

export function saveBaseline(dir: string, baseline: unknown): void {
  writeJson(join(dir, BASELINE_FILE), baseline);
}

export function loadBaseline<T>(dir: string): T | undefined {
  return readJson<T>(join(dir, BASELINE_FILE));
}
