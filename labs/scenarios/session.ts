/**
 * A lab built for a scenario, from injection to teardown. One order for every scenario:
 *
 *   start   files placed, probe pods, setup (the healthy lab), settle, injection (unless
 *           --no-fault), settle, baseline taken for reset; the state is written to the lab's dir
 *   grade   the grader (labs/scenarios/grader.ts)
 *   hint    the next hint, or one by id
 *   solve   a reference solution or a known wrong fix, through the Lab
 *   reset   labs/scenarios/reset.ts: what the learner changed since the baseline, undone
 *
 * Operations on one lab run one at a time (a reset must not meet a grade halfway).
 */
import type { Lab } from '../drivers/driver.ts';
import { type ContextInit, LabContext } from './context.ts';
import { runFix } from './fixes.ts';
import type { FixSpec, Language } from './format.ts';
import { text } from './format.ts';
import { Grader } from './grader.ts';
import { revealHint } from './hints.ts';
import type { LoadedScenario } from './loader.ts';
import { installProbes, placeFiles } from './prepare.ts';
import {
  type Baseline,
  captureBaseline,
  clearFlannelOverrides,
  listForReset,
  type NodeRepair,
  recreateRelabelledPods,
  restartForConfig,
  restoreNodeFiles,
  restoreNodeStates,
  restoreObjects,
} from './reset.ts';
import { loadBaseline, type ScenarioState, saveBaseline, saveState } from './state.ts';
import type { Evidence, FixReport, GradeReport, HintAnswer, ResetReport } from './types.ts';
import { applies } from './validate.ts';
import { pickVariant } from './variants.ts';

export interface StepEvent {
  step: string;
  title: string;
  state: 'running' | 'done' | 'failed';
}

export interface SessionOptions {
  lab: Lab;
  scenario: LoadedScenario;
  /** The lab's directory (state is kept there). */
  dir: string;
  /** `--variant`; a seeded choice when left out. */
  variant?: string;
  /** Seed of the variant choice (default: the lab's name). */
  seed?: string;
  noFault?: boolean;
  onStep?: (e: StepEvent) => void;
  log?: (message: string) => void;
}

/** Something asked of a session that the scenario does not have (an unknown solution id, ...). */
export class SessionInputError extends Error {
  override readonly name = 'SessionInputError';
  readonly valid: string[];
  constructor(message: string, valid: string[] = []) {
    super(message);
    this.valid = valid;
  }
}

export class ScenarioSession {
  readonly lab: Lab;
  readonly scenario: LoadedScenario;
  readonly dir: string;
  private state: ScenarioState;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly onStep: (e: StepEvent) => void;
  private readonly logFn: (message: string) => void;

  private constructor(opts: SessionOptions, state: ScenarioState) {
    this.lab = opts.lab;
    this.scenario = opts.scenario;
    this.dir = opts.dir;
    this.state = state;
    this.onStep = opts.onStep ?? (() => {});
    this.logFn = opts.log ?? (() => {});
  }

  /** Prepare and inject a freshly built lab. Throws (leaving the lab to its owner) on failure. */
  static async start(opts: SessionOptions): Promise<ScenarioSession> {
    const variant = pickVariant(opts.scenario.spec, opts.variant, opts.seed ?? opts.lab.name);
    const state: ScenarioState = {
      scenario: opts.scenario.id,
      ...(variant ? { variant } : {}),
      noFault: !!opts.noFault,
      facts: {},
      hintsRevealed: [],
      resets: 0,
      grades: [],
    };
    const session = new ScenarioSession(opts, state);
    await session.prepare();
    return session;
  }

  get variant(): string | undefined {
    return this.state.variant;
  }

  get noFault(): boolean {
    return this.state.noFault;
  }

  get facts(): Readonly<Record<string, unknown>> {
    return this.state.facts;
  }

  private context(sink?: Evidence[]): LabContext {
    const init: ContextInit = {
      lab: this.lab,
      scenarioId: this.scenario.id,
      dir: this.scenario.dir,
      variant: this.state.variant,
      facts: this.state.facts,
      log: this.logFn,
    };
    return new LabContext(init, sink);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => {});
    return next;
  }

  private async step<T>(step: string, title: string, work: () => Promise<T>): Promise<T> {
    this.onStep({ step, title, state: 'running' });
    try {
      const v = await work();
      this.onStep({ step, title, state: 'done' });
      return v;
    } catch (e) {
      this.onStep({ step, title, state: 'failed' });
      throw e;
    }
  }

  private save(): void {
    saveState(this.dir, this.state);
  }

  private async injectAgain(ctx: LabContext): Promise<void> {
    if (this.state.noFault) return;
    await this.scenario.inject.inject(ctx);
    this.state.injectedAt = new Date().toISOString();
    this.state.settleRunningOnly = ctx.lastSettleReady === false;
  }

  private async prepare(): Promise<void> {
    const ctx = this.context();
    const spec = this.scenario.spec;
    const title = text(spec.title, 'en');
    await this.step('scenario:setup', `Scenario ${spec.id}: workloads and files`, async () => {
      await placeFiles(ctx, this.scenario);
      if (spec.probes) await installProbes(ctx);
      await this.scenario.inject.setup?.(ctx);
      await ctx.settle({ timeoutMs: 90_000 });
    });
    if (!this.state.noFault)
      await this.step(
        'scenario:inject',
        `Injecting the fault: ${title}${this.state.variant ? ` (variant ${this.state.variant})` : ''}`,
        () => this.injectAgain(ctx),
      );
    // What reset returns to: the lab as the learner first sees it.
    const baseline = await this.step('scenario:baseline', 'Recording the starting state for reset', () =>
      captureBaseline(ctx, spec),
    );
    saveBaseline(this.dir, baseline);
    this.save();
  }

  grade(opts: { lang?: Language; skipPersistence?: boolean } = {}): Promise<GradeReport> {
    return this.serial(async () => {
      const grader = new Grader(this.lab, this.scenario, {
        lang: opts.lang,
        variant: this.state.variant,
        facts: this.state.facts,
        skipPersistence: opts.skipPersistence,
        log: this.logFn,
      });
      const r = await grader.grade();
      const report: GradeReport = {
        lab: this.lab.name,
        scenario: this.scenario.id,
        ...(this.state.variant ? { variant: this.state.variant } : {}),
        ...r,
        at: new Date().toISOString(),
      };
      this.state.grades.push({
        at: report.at,
        passed: report.passed,
        failing: report.checks.filter((c) => !c.passed).map((c) => c.id),
        ms: report.ms,
      });
      this.save();
      return report;
    });
  }

  hint(opts: { id?: string; lang?: Language; peek?: boolean } = {}): Promise<HintAnswer> {
    return this.serial(async () => {
      const { answer, revealed } = revealHint(this.scenario.spec, this.state.hintsRevealed, opts);
      this.state.hintsRevealed = revealed;
      this.save();
      return answer;
    });
  }

  private findFix(kind: 'solution' | 'wrong-fix', id: string | undefined): FixSpec {
    const list: FixSpec[] =
      kind === 'solution' ? this.scenario.spec.solutions : (this.scenario.spec.wrongFixes ?? []);
    const usable = list.filter((f) => applies(f, this.state.variant));
    const what = kind === 'solution' ? 'solution' : 'wrong fix';
    const where = `scenario ${this.scenario.id}${this.state.variant ? ` (variant ${this.state.variant})` : ''}`;
    if (id === undefined) {
      const first = usable[0];
      if (!first) throw new SessionInputError(`${where} has no ${what}`);
      return first;
    }
    const found = usable.find((f) => f.id === id);
    if (!found) {
      const other = list.find((f) => f.id === id);
      throw new SessionInputError(
        other
          ? `the ${what} "${id}" is for variant(s) ${other.variants?.join(', ')}; this lab is ${this.state.variant}`
          : `${where} has no ${what} "${id}" (${usable.map((f) => f.id).join(', ') || 'none'})`,
        usable.map((f) => f.id),
      );
    }
    return found;
  }

  /** Apply a reference solution (the first one for the variant when `id` is left out). */
  solve(opts: { solution?: string; wrongFix?: string } = {}): Promise<FixReport> {
    return this.serial(async () => {
      const kind = opts.wrongFix !== undefined ? 'wrong-fix' : 'solution';
      const fix = this.findFix(kind, kind === 'wrong-fix' ? opts.wrongFix : opts.solution);
      const steps: Evidence[] = [];
      const ctx = this.context(steps);
      const started = performance.now();
      await runFix(ctx, this.scenario, fix);
      return {
        lab: this.lab.name,
        scenario: this.scenario.id,
        kind,
        id: fix.id,
        title: text(fix.title, 'en'),
        steps,
        ms: Math.round(performance.now() - started),
      };
    });
  }

  reset(): Promise<ResetReport> {
    return this.serial(async () => {
      const baseline = loadBaseline<Baseline>(this.dir);
      if (!baseline) throw new Error(`lab ${this.lab.name} has no recorded baseline to reset to`);
      const ctx = this.context();
      const steps: { step: string; ms: number }[] = [];
      const timed = async (step: string, work: () => Promise<unknown>) => {
        const t = performance.now();
        await this.step(`reset:${step}`, step, work);
        steps.push({ step, ms: Math.round(performance.now() - t) });
      };
      const started = performance.now();
      const ready = !this.state.settleRunningOnly;
      let objects: string[] = [];
      let nodes: NodeRepair[] = [];
      let rebootEvery = false;
      await timed('api objects', async () => {
        const listed = await listForReset(ctx);
        const restored = await restoreObjects(ctx, this.scenario.spec, baseline, listed);
        objects = [
          ...restored.report,
          ...(await recreateRelabelledPods(ctx, baseline.namespaces, listed)),
          ...(await clearFlannelOverrides(ctx, listed)),
        ];
        rebootEvery = (await restartForConfig(ctx, restored.putBack)).rebootAll;
        if (objects.length) await ctx.settle({ timeoutMs: 90_000, ready });
      });
      await timed('node files', async () => {
        await restoreNodeFiles(ctx, baseline);
        await placeFiles(ctx, this.scenario);
      });
      await timed('node state', async () => {
        const all = new Set(rebootEvery ? ctx.nodes.map((n) => n.name) : []);
        nodes = await restoreNodeStates(ctx, baseline.nodeState, all, ready);
      });
      this.state.resets++;
      this.save();
      return {
        lab: this.lab.name,
        scenario: this.scenario.id,
        ...(this.state.variant ? { variant: this.state.variant } : {}),
        steps,
        objects,
        nodes,
        ms: Math.round(performance.now() - started),
      };
    });
  }
}
