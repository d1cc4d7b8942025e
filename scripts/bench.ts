/**
 * npm run bench: the quality bars of DESIGN.md, measured on this machine.
 *
 *   lab up      build to ready (nodes Ready, workloads running, kubectl answering), median of runs
 *   kubectl     one `kubectl get nodes` round trip against a ready lab, median
 *   down        teardown, median
 *   scenario    one lab of --scenario built and injected (driver.create + ScenarioSession.start)
 *   reset       ScenarioSession.reset(), median of runs, twice per run: right after an injection
 *               (nothing changed) and after the scenario's first reference solution was applied
 *   grade       a full ScenarioSession.grade() (its report's quickMs, without persistence checks,
 *               and ms, in all), medians: on the injected lab (failing) and after the solution
 *               (passing)
 *   memory      per extra lab with N labs side by side: (PSS of this process and every process it
 *               started, with N labs) - (the same with none), divided by N; and the drop of the
 *               machine's MemAvailable divided by N (kernel memory too; noisy on a busy machine)
 *
 * Prints a table; with --json, the table goes to stderr and a JSON document to stdout. Options:
 * --driver netns|process (default: netns when this build has it), --runs 5, --labs 50,
 * --environment virtualbox-3node, --scenario flannel-wrong-iface (--scenario none skips the
 * scenario rows), --variant V. Exits 1 when something did not go as it should (a lab of the side by
 * side ones did not build, the injected lab passed its grade, the solved one failed it), saying so.
 * Every lab is destroyed and the temporary state directory removed, also on failure or Ctrl-C.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Lab } from '../labs/drivers/driver.ts';
import { getDriver, isDriverInstalled, loadBuiltinDrivers } from '../labs/drivers/registry.ts';
import { environment } from '../labs/environments/index.ts';
import { loadScenario } from '../labs/scenarios/loader.ts';
import { ScenarioSession } from '../labs/scenarios/session.ts';
import type { GradeReport, ResetReport } from '../labs/scenarios/types.ts';

const run = promisify(execFile);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function count(name: string, fallback: number, min: number): number {
  const raw = arg(name, String(fallback));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    console.error(`bench: --${name} takes a whole number >= ${min}, not "${raw}"`);
    process.exit(2);
  }
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const medianMs = (xs: number[]) => (xs.length ? Math.round(median(xs)) : null);

/** Proportional set size of a process in KiB (shared pages split between their users). */
function pssKiB(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** This process and all its descendants. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid)!.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** MemAvailable of the whole machine: also counts what PSS does not (namespaces, sockets, tmpfs). */
function availableMiB(): number {
  return Number(/^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024;
}

function treeMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return processTree(process.pid).reduce((sum, pid) => sum + pssKiB(pid), 0) / 1024;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const steps = (r: { steps: { step: string; ms: number }[] } | undefined) =>
  r ? r.steps.map((s) => `${s.step} ${s.ms} ms`).join(', ') : 'none';

async function main(): Promise<number> {
  await loadBuiltinDrivers();
  const driverName = arg('driver', isDriverInstalled('netns') ? 'netns' : 'process');
  const runs = count('runs', 5, 1);
  const labsSideBySide = count('labs', 50, 0);
  const envName = arg('environment', 'virtualbox-3node');
  const scenarioId = arg('scenario', 'flannel-wrong-iface');
  const variantArg = arg('variant', '') || undefined;
  const json = process.argv.includes('--json');
  const driver = await getDriver(driverName);
  const availability = await driver.available();
  if (!availability.ok) {
    console.error(
      `bench: the ${driverName} driver cannot run here: ${availability.reason}${availability.fix ? `\nfix: ${availability.fix}` : ''}`,
    );
    return 2;
  }
  let scenario = scenarioId === 'none' ? undefined : await loadScenario(scenarioId);
  const scenarioDrivers: string[] = scenario?.spec.drivers ?? ['netns', 'kind'];
  if (scenario && !scenarioDrivers.includes(driverName)) {
    console.error(
      `bench: scenario ${scenario.id} runs on the ${scenarioDrivers.join(' or ')} driver, not ${driverName}: no reset or grade rows`,
    );
    scenario = undefined;
  }

  const stateDir = mkdtempSync(join(tmpdir(), 'svcl-bench-'));
  // Every lab that exists, so that a failure or Ctrl-C destroys what is left; an abort stops the
  // builds under way (the driver undoes them).
  const live = new Set<Lab>();
  const building = new Set<Promise<unknown>>();
  const abort = new AbortController();
  // What the bench is waiting for, to say so should it stop with nothing left to wait on.
  let phase = 'starting';
  const destroy = async (lab: Lab): Promise<number> => {
    phase = `lab ${lab.name} to be destroyed`;
    const t0 = performance.now();
    try {
      await lab.destroy();
    } finally {
      live.delete(lab);
    }
    return performance.now() - t0;
  };
  let cleaning: Promise<void> | undefined;
  const cleanUp = () => {
    cleaning ??= (async () => {
      abort.abort();
      // A build under way undoes itself when aborted, or finishes into `live`.
      await Promise.allSettled([...building]);
      for (const lab of [...live]) {
        try {
          await destroy(lab);
        } catch (e) {
          console.error(`bench: could not destroy lab ${lab.name}: ${message(e)}`);
        }
      }
      rmSync(stateDir, { recursive: true, force: true });
    })();
    return cleaning;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\nbench: ${signal}, destroying ${live.size + building.size} lab(s)`);
    void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A driver's background work can fail on its own (a Ctrl-C from a terminal also reaches the
  // lab's processes): say so, and clean up rather than crash and leave the labs behind.
  process.on('unhandledRejection', (e) => {
    console.error(`bench: ${message(e)}`);
    if (!cleaning) void cleanUp().finally(() => process.exit(1));
  });

  // Node exits when nothing is left that could settle what main() awaits: say what, and clean up.
  process.on('beforeExit', () => {
    if (cleaning) return;
    console.error(`bench: stopped while waiting for ${phase}: nothing was left running that could finish it`);
    void cleanUp().finally(() => process.exit(1));
  });

  let serial = 0;
  const create = async (
    opts: { scenario?: string; variant?: string; environment?: string } = {},
  ): Promise<{ lab: Lab; dir: string; ms: number }> => {
    const name = `bench${serial++}`;
    phase = `lab ${name} to build`;
    const dir = join(stateDir, 'labs', name);
    mkdirSync(dir, { recursive: true });
    const env = opts.environment ?? envName;
    const t0 = performance.now();
    const build = driver
      .create(
        {
          name,
          environment: env,
          topology: environment(
            env,
            scenario && opts.scenario ? scenario.spec.environmentOptions : undefined,
          ),
          ...(opts.scenario ? { scenario: opts.scenario, variant: opts.variant } : {}),
          noFault: !opts.scenario,
          dir,
          stateDir,
          signal: abort.signal,
        },
        () => {},
      )
      .then((lab) => {
        live.add(lab);
        return lab;
      });
    building.add(build);
    try {
      const lab = await build;
      return { lab, dir, ms: performance.now() - t0 };
    } finally {
      building.delete(build);
    }
  };

  const up: number[] = [];
  const down: number[] = [];
  const kubectl: number[] = [];
  const problems: string[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const { lab, ms } = await create();
      up.push(ms);
      for (let k = 0; k < 3; k++) {
        const t0 = performance.now();
        await run('kubectl', ['--kubeconfig', lab.kubeconfigPath, 'get', 'nodes'], {
          env: { ...process.env, KUBECACHEDIR: join(stateDir, 'kubecache') },
        });
        kubectl.push(performance.now() - t0);
      }
      down.push(await destroy(lab));
    }

    // One scenario lab: reset and grade, `runs` times round the learner's loop.
    const sc = {
      upMs: null as number | null,
      buildMs: null as number | null,
      startSteps: [] as { step: string; ms: number }[],
      variant: undefined as string | undefined,
      solution: undefined as string | undefined,
      resetInjected: [] as ResetReport[],
      resetSolved: [] as ResetReport[],
      gradeInjected: [] as GradeReport[],
      gradeSolved: [] as GradeReport[],
    };
    if (scenario) {
      const t0 = performance.now();
      const {
        lab,
        dir,
        ms: buildMs,
      } = await create({
        scenario: scenario.id,
        variant: variantArg,
        environment: scenario.spec.environment,
      });
      sc.buildMs = Math.round(buildMs);
      const began = new Map<string, number>();
      let starting = true;
      phase = `scenario ${scenario.id} to be injected`;
      const session = await ScenarioSession.start({
        lab,
        scenario,
        dir,
        variant: variantArg,
        onStep: (e) => {
          if (!starting) return;
          if (e.state === 'running') began.set(e.step, performance.now());
          else if (e.state === 'done')
            sc.startSteps.push({
              step: e.step.replace(/^scenario:/, ''),
              ms: Math.round(performance.now() - (began.get(e.step) ?? performance.now())),
            });
        },
      });
      starting = false;
      sc.upMs = Math.round(performance.now() - t0);
      sc.variant = session.variant;
      for (let i = 0; i < runs; i++) {
        // The lab is as injected (by start, or by the reset that ended the previous round).
        phase = `reset ${i + 1} after injection`;
        sc.resetInjected.push(await session.reset());
        phase = `grade ${i + 1} of the injected lab`;
        const failing = await session.grade();
        sc.gradeInjected.push(failing);
        if (failing.passed) problems.push(`run ${i + 1}: the injected lab passed its grade`);
        phase = `solution ${i + 1}`;
        const fix = await session.solve();
        sc.solution = fix.id;
        phase = `grade ${i + 1} of the solved lab`;
        const passing = await session.grade();
        sc.gradeSolved.push(passing);
        if (!passing.passed)
          problems.push(
            `run ${i + 1}: after solution ${fix.id}, failing checks: ${passing.checks
              .filter((c) => !c.passed && !c.skipped)
              .map((c) => c.id)
              .join(', ')}`,
          );
        phase = `reset ${i + 1} after the solution`;
        sc.resetSolved.push(await session.reset());
      }
      await destroy(lab);
    }

    const before = treeMiB();
    const availableBefore = availableMiB();
    const many: Lab[] = [];
    let sideBySideError: string | undefined;
    const t0 = performance.now();
    for (let i = 0; i < labsSideBySide; i++) {
      try {
        many.push((await create()).lab);
      } catch (e) {
        sideBySideError = `lab ${i + 1} of ${labsSideBySide} failed to build: ${message(e)}`;
        break;
      }
    }
    const manyMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 1000));
    const after = treeMiB();
    const availableAfter = availableMiB();
    for (const lab of many) await destroy(lab);
    if (sideBySideError) problems.push(sideBySideError);

    const grades = (rs: GradeReport[]) => ({
      medianMs: medianMs(rs.map((r) => r.ms)),
      quickMedianMs: medianMs(rs.map((r) => r.quickMs)),
      runsMs: rs.map((r) => r.ms),
      quickRunsMs: rs.map((r) => r.quickMs),
      passed: rs.map((r) => r.passed),
    });
    const result = {
      driver: driverName,
      environment: envName,
      cores: cpus().length,
      runs,
      upMedianMs: Math.round(median(up)),
      upRunsMs: up.map(Math.round),
      kubectlRoundTripMedianMs: Math.round(median(kubectl)),
      downMedianMs: Math.round(median(down)),
      labsSideBySide,
      labsSideBySideBuilt: many.length,
      sideBySideBuildMs: Math.round(manyMs),
      memoryPerLabMiB: many.length ? Number(((after - before) / many.length).toFixed(1)) : null,
      systemMemoryPerLabMiB: many.length
        ? Number(((availableBefore - availableAfter) / many.length).toFixed(1))
        : null,
      scenario: scenario?.id ?? null,
      variant: sc.variant ?? null,
      solution: sc.solution ?? null,
      scenarioUpMs: sc.upMs,
      scenarioBuildMs: sc.buildMs,
      scenarioStartSteps: sc.startSteps,
      /** Reset after the solution: the one a learner does after trying a fix. */
      resetMedianMs: medianMs(sc.resetSolved.map((r) => r.ms)),
      resetAfterInjectionMedianMs: medianMs(sc.resetInjected.map((r) => r.ms)),
      resetAfterInjectionRunsMs: sc.resetInjected.map((r) => r.ms),
      resetAfterInjectionRunsSteps: sc.resetInjected.map((r) => r.steps),
      resetAfterSolutionMedianMs: medianMs(sc.resetSolved.map((r) => r.ms)),
      resetAfterSolutionRunsMs: sc.resetSolved.map((r) => r.ms),
      resetAfterSolutionRunsSteps: sc.resetSolved.map((r) => r.steps),
      gradeInjected: grades(sc.gradeInjected),
      gradeSolved: grades(sc.gradeSolved),
      problems,
    };

    const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);
    const rows: [string, string, string][] = [
      ['lab up (median)', ms(result.upMedianMs), '<= 1500 ms'],
      ['kubectl round trip (median)', ms(result.kubectlRoundTripMedianMs), ''],
      ['down (median)', ms(result.downMedianMs), '<= 500 ms'],
      [
        `memory per lab (${many.length} side by side)`,
        result.memoryPerLabMiB === null ? '-' : `${result.memoryPerLabMiB} MiB`,
        '<= 40 MiB',
      ],
      [
        '  machine-wide (MemAvailable drop)',
        result.systemMemoryPerLabMiB === null ? '-' : `${result.systemMemoryPerLabMiB} MiB`,
        'tens of MiB',
      ],
      [`${many.length} labs built one after another`, ms(result.sideBySideBuildMs), ''],
    ];
    if (scenario) {
      const g = (x: ReturnType<typeof grades>) => `${ms(x.quickMedianMs)} / ${ms(x.medianMs)}`;
      rows.push(
        ['scenario lab up + inject (1 run)', ms(result.scenarioUpMs), '<= 1500 ms'],
        ['reset after injection (median)', ms(result.resetAfterInjectionMedianMs), '< 1000 ms'],
        ['reset after solution (median)', ms(result.resetAfterSolutionMedianMs), '< 1000 ms'],
        ['grade injected, quick / full (median)', g(result.gradeInjected), 'about 1000 ms'],
        ['grade solved, quick / full (median)', g(result.gradeSolved), 'about 1000 ms'],
      );
    }
    const out = json ? process.stderr : process.stdout;
    const line = (s: string) => out.write(`${s}\n`);
    line(
      `svc-labs bench: driver ${driverName}, ${envName}, ${result.cores} cores, ${runs} runs${
        scenario
          ? `, scenario ${scenario.id}${sc.variant ? ` (${sc.variant})` : ''}, solution ${sc.solution}`
          : ''
      }`,
    );
    for (const [what, value, bar] of rows) line(`  ${what.padEnd(40)} ${value.padStart(17)}  ${bar}`);
    if (scenario) {
      line(
        `  scenario lab up: build ${sc.buildMs} ms, then ${sc.startSteps.map((x) => `${x.step} ${x.ms} ms`).join(', ')}`,
      );
      line(`  last reset after injection: ${steps(sc.resetInjected.at(-1))}`);
      line(`  last reset after solution:  ${steps(sc.resetSolved.at(-1))}`);
    }
    for (const p of problems) line(`  problem: ${p}`);
    if (json) console.log(JSON.stringify(result, null, 2));
    return problems.length ? 1 : 0;
  } finally {
    await cleanUp();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`bench: ${message(e)}`);
    process.exit(1);
  },
);
