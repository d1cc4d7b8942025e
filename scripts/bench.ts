/**
 * npm run bench: the quality bars of DESIGN.md, measured on this machine.
 *
 *   lab up      build to ready (nodes Ready, workloads running, kubectl answering), median of runs
 *   kubectl     one `kubectl get nodes` round trip against a ready lab, median
 *   down        teardown, median
 *   memory      per extra lab with N labs side by side: (PSS of this process and every process it
 *               started, with N labs) - (the same with none), divided by N
 *
 * Prints a table and, with --json, a JSON document. Options: --driver netns|process (default: netns
 * when this build has it), --runs 5, --labs 20, --environment virtualbox-3node.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Lab } from '../labs/drivers/driver.ts';
import { getDriver, isDriverInstalled, loadBuiltinDrivers } from '../labs/drivers/registry.ts';
import { environment } from '../labs/environments/index.ts';

const run = promisify(execFile);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

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

function treeMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return processTree(process.pid).reduce((sum, pid) => sum + pssKiB(pid), 0) / 1024;
}

async function main(): Promise<void> {
  await loadBuiltinDrivers();
  const driverName = arg('driver', isDriverInstalled('netns') ? 'netns' : 'process');
  const runs = Number(arg('runs', '5'));
  const labsSideBySide = Number(arg('labs', '20'));
  const envName = arg('environment', 'virtualbox-3node');
  const driver = await getDriver(driverName);
  const availability = await driver.available();
  if (!availability.ok) {
    console.error(
      `bench: the ${driverName} driver cannot run here: ${availability.reason}${availability.fix ? `\nfix: ${availability.fix}` : ''}`,
    );
    process.exit(2);
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'svcl-bench-'));
  let serial = 0;
  const create = async (): Promise<{ lab: Lab; ms: number }> => {
    const name = `bench${serial++}`;
    const dir = join(stateDir, 'labs', name);
    mkdirSync(dir, { recursive: true });
    const t0 = performance.now();
    const lab = await driver.create(
      {
        name,
        environment: envName,
        topology: environment(envName),
        noFault: true,
        dir,
        stateDir,
        signal: new AbortController().signal,
      },
      () => {},
    );
    return { lab, ms: performance.now() - t0 };
  };

  const up: number[] = [];
  const down: number[] = [];
  const kubectl: number[] = [];
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
      const t1 = performance.now();
      await lab.destroy();
      down.push(performance.now() - t1);
    }

    const before = treeMiB();
    const many: Lab[] = [];
    const t0 = performance.now();
    for (let i = 0; i < labsSideBySide; i++) many.push((await create()).lab);
    const manyMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 1000));
    const after = treeMiB();
    for (const lab of many) await lab.destroy();

    const result = {
      driver: driverName,
      environment: envName,
      cores: cpus().length,
      upMedianMs: Math.round(median(up)),
      upRunsMs: up.map(Math.round),
      kubectlRoundTripMedianMs: Math.round(median(kubectl)),
      downMedianMs: Math.round(median(down)),
      labsSideBySide,
      sideBySideBuildMs: Math.round(manyMs),
      memoryPerLabMiB: Number(((after - before) / labsSideBySide).toFixed(1)),
      resetMedianMs: null as number | null,
    };
    const rows: [string, string, string][] = [
      ['lab up (median)', `${result.upMedianMs} ms`, '<= 1500 ms'],
      ['kubectl round trip (median)', `${result.kubectlRoundTripMedianMs} ms`, ''],
      ['down (median)', `${result.downMedianMs} ms`, '<= 500 ms'],
      [`memory per lab (${labsSideBySide} side by side)`, `${result.memoryPerLabMiB} MiB`, '<= 40 MiB'],
      [`${labsSideBySide} labs built one after another`, `${result.sideBySideBuildMs} ms`, ''],
      ['reset', 'needs the scenario engine', ''],
    ];
    console.log(`svc-labs bench: driver ${driverName}, ${envName}, ${result.cores} cores, ${runs} runs`);
    for (const [what, value, bar] of rows) console.log(`  ${what.padEnd(38)} ${value.padStart(12)}  ${bar}`);
    if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
