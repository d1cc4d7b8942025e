/**
 * The scenario engine: format and loader, grader, hints, fixes, reset, sessions. Scenario
 * modules import what they need from here (`defineChecks`, `t`, the types).
 */
import type { ChecksModule, FixFn, InjectModule, Text } from './types.ts';

/** checks.ts: `export default defineChecks({ 'check-id': async (ctx) => ctx.pass() })`. */
export function defineChecks<T extends ChecksModule>(checks: T): T {
  return checks;
}

export function defineInjection(mod: InjectModule): InjectModule {
  return mod;
}

export function defineFix(fn: FixFn): FixFn {
  return fn;
}

/** Text for both languages: `t('Connection refused', '连接被拒绝')`. */
export function t(en: string, zh: string): Text {
  return { en, 'zh-CN': zh };
}

export { CommandError, LabCheckContext, LabContext, trimOutput } from './context.ts';
export { describeDisturbance } from './disturb.ts';
export type { CheckSpec, Disturbance, Language, Localized, ScenarioSpec } from './format.ts';
export { isLanguage, LANGUAGES } from './format.ts';
export { type GradeOptions, Grader } from './grader.ts';
export { revealHint, UnknownHintError } from './hints.ts';
export {
  type LoadedScenario,
  listScenarioIds,
  loadScenario,
  readScenarioSpec,
  SCENARIOS_ROOT,
  ScenarioError,
} from './loader.ts';
export { type PodInfo, PROBE_NAMESPACE, type Probes } from './probes.ts';
export { ScenarioSession, SessionInputError, type SessionOptions, type StepEvent } from './session.ts';
export type * from './types.ts';
export { pickVariant, VariantError } from './variants.ts';
