/**
 * The grader. One order for every scenario:
 *   1. outcome and constraint checks that apply to the lab's variant, all at once, each with a
 *      short timeout (they only read the lab);
 *   2. only when all of those pass, persistence checks one after another: each disturbs the lab
 *      (restart, reboot, recreate, rollout), waits for it to settle, and runs its rechecks again.
 * A check that throws, or outlives its timeout, fails with the reason; evidence gathered until
 * then is kept.
 */
import type { Lab } from '../drivers/driver.ts';
import { LabCheckContext } from './context.ts';
import { describeDisturbance, disturb } from './disturb.ts';
import { type CheckSpec, type Language, type Localized, text } from './format.ts';
import type { LoadedScenario } from './loader.ts';
import type { CheckFn, CheckResult, GradeReport, Verdict } from './types.ts';
import { applies } from './validate.ts';

const QUICK_TIMEOUT_MS = 8000;
const PERSISTENCE_TIMEOUT_MS = 120_000;

export interface GradeOptions {
  lang?: Language;
  variant?: string;
  facts?: Record<string, unknown>;
  /** Leave persistence checks out (reported as skipped): a read-only grade for a live view. */
  skipPersistence?: boolean;
  log?: (message: string) => void;
}

const SKIPPED: Localized = {
  en: 'Not run yet: this check restarts part of the lab, so it waits until every other check passes.',
  'zh-CN': '尚未运行：此检查会重启实验环境的一部分，因此要等其他检查全部通过后才运行。',
};

const AFTER_FAILURE: Localized = {
  en: 'Not run: an earlier persistence check failed, and its disturbance already undid part of the fix.',
  'zh-CN': '未运行：前一项持久性检查已失败，它的重启已经让修复的一部分失效。',
};

class CheckTimeout extends Error {}

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout(`did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function duration(ms: number): { en: string; zh: string } {
  return ms < 1000
    ? { en: `${ms} ms`, zh: `${ms} 毫秒` }
    : { en: `${Math.round(ms / 1000)} s`, zh: `${Math.round(ms / 1000)} 秒` };
}

function crashed(e: unknown, ms: number): Localized {
  if (e instanceof CheckTimeout)
    return {
      en: `The check did not finish within ${duration(ms).en}; the lab may be overloaded or a command hung.`,
      'zh-CN': `检查未能在 ${duration(ms).zh}内完成；实验环境可能过载，或某条命令卡住了。`,
    };
  const msg = e instanceof Error ? e.message : String(e);
  return { en: `The check could not run: ${msg}`, 'zh-CN': `检查无法运行：${msg}` };
}

export class Grader {
  private readonly lab: Lab;
  private readonly scenario: LoadedScenario;
  private readonly opts: GradeOptions;
  private readonly lang: Language;

  constructor(lab: Lab, scenario: LoadedScenario, opts: GradeOptions = {}) {
    this.lab = lab;
    this.scenario = scenario;
    this.opts = opts;
    this.lang = opts.lang ?? 'en';
  }

  private context(): LabCheckContext {
    return new LabCheckContext({
      lab: this.lab,
      scenarioId: this.scenario.id,
      dir: this.scenario.dir,
      variant: this.opts.variant,
      facts: this.opts.facts ?? {},
      log: this.opts.log,
    });
  }

  private result(
    c: CheckSpec,
    verdict: Verdict,
    ctx: LabCheckContext,
    ms: number,
    skipped = false,
  ): CheckResult {
    const number = this.scenario.spec.hints.findIndex((h) => h.id === c.hint) + 1;
    return {
      id: c.id,
      kind: c.kind,
      title: text(c.title, this.lang),
      passed: verdict.passed,
      ...(skipped ? { skipped } : {}),
      ...(verdict.passed || !verdict.why ? {} : { why: text(verdict.why, this.lang) }),
      evidence: ctx.evidence,
      hint: { id: c.hint, number },
      ms: Math.round(ms),
    };
  }

  /** Run one outcome or constraint check's function in a context of its own. */
  private async runOne(c: CheckSpec, ctx: LabCheckContext): Promise<Verdict> {
    const fn = this.scenario.checks[c.id];
    const timeoutMs = c.timeoutMs ?? QUICK_TIMEOUT_MS;
    try {
      const v = await within(timeoutMs, fn(ctx));
      if (!v.passed && !v.why)
        return {
          passed: false,
          why: { en: 'The check failed without saying why.', 'zh-CN': '检查失败，但未说明原因。' },
        };
      return v;
    } catch (e) {
      return { passed: false, why: crashed(e, timeoutMs) };
    }
  }

  private async quick(c: CheckSpec): Promise<CheckResult> {
    const ctx = this.context();
    const started = performance.now();
    const v = await this.runOne(c, ctx);
    return this.result(c, v, ctx, performance.now() - started);
  }

  private async persistence(c: CheckSpec): Promise<CheckResult> {
    const ctx = this.context();
    const started = performance.now();
    const byId = new Map(this.scenario.spec.checks.map((x) => [x.id, x]));
    const timeoutMs = c.timeoutMs ?? PERSISTENCE_TIMEOUT_MS;
    const after = (c.disturb ?? []).map(describeDisturbance);
    const afterText: Localized = {
      en: after.map((a) => a.en).join(', then '),
      'zh-CN': after.map((a) => a['zh-CN']).join('，然后'),
    };
    const verdict = await (async (): Promise<Verdict> => {
      try {
        await within(
          timeoutMs,
          (async () => {
            for (const d of c.disturb ?? []) await disturb(ctx, d, timeoutMs);
          })(),
        );
      } catch (e) {
        const why = crashed(e, timeoutMs);
        return {
          passed: false,
          why: {
            en: `After ${afterText.en}, the lab did not come back: ${why.en}`,
            'zh-CN': `${afterText['zh-CN']}之后，实验环境没有恢复：${why['zh-CN']}`,
          },
        };
      }
      for (const id of c.recheck ?? []) {
        const target = byId.get(id)!;
        const sub = this.context();
        const v = await this.runOne(target, sub);
        ctx.evidence.push(...sub.evidence);
        if (!v.passed)
          return {
            passed: false,
            why: {
              en: `After ${afterText.en}, "${target.title.en}" fails again: ${v.why?.en ?? ''}`,
              'zh-CN': `${afterText['zh-CN']}之后，“${target.title['zh-CN']}”再次失败：${v.why?.['zh-CN'] ?? ''}`,
            },
          };
      }
      const own = this.scenario.checks[c.id] as CheckFn | undefined;
      if (own) return this.runOne({ ...c, timeoutMs: c.timeoutMs ?? QUICK_TIMEOUT_MS }, ctx);
      return { passed: true };
    })();
    return this.result(c, verdict, ctx, performance.now() - started);
  }

  async grade(): Promise<Omit<GradeReport, 'lab' | 'scenario' | 'variant' | 'at'>> {
    const started = performance.now();
    const applicable = this.scenario.spec.checks.filter((c) => applies(c, this.opts.variant));
    const quickChecks = applicable.filter((c) => c.kind !== 'persistence');
    const quickResults = new Map<string, CheckResult>();
    await Promise.all(
      quickChecks.map(async (c) => {
        quickResults.set(c.id, await this.quick(c));
      }),
    );
    const quickMs = Math.round(performance.now() - started);
    const allQuickPass = [...quickResults.values()].every((r) => r.passed);
    const results: CheckResult[] = [];
    let persistenceFailed = false;
    for (const c of applicable) {
      if (c.kind !== 'persistence') {
        results.push(quickResults.get(c.id)!);
        continue;
      }
      if (!allQuickPass || this.opts.skipPersistence || persistenceFailed) {
        const why = persistenceFailed ? AFTER_FAILURE : SKIPPED;
        results.push(this.result(c, { passed: false, why }, this.context(), 0, true));
        continue;
      }
      this.opts.log?.(`persistence check ${c.id}`);
      const r = await this.persistence(c);
      persistenceFailed = !r.passed;
      results.push(r);
    }
    return {
      lang: this.lang,
      passed: results.every((r) => r.passed),
      checks: results,
      ms: Math.round(performance.now() - started),
      quickMs,
    };
  }
}
