import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { classify, resolveTarget, UnknownTargetError } from '../../daemon/catalogue.ts';
import { ensureDaemon, findDaemon } from '../../daemon/client.ts';
import { generateLabName, invalidLabName } from '../../daemon/names.ts';
import { daemonPaths, labDir } from '../../daemon/paths.ts';
import type { LabStatus } from '../../daemon/types.ts';
import { getDriver, isDriverInstalled, UnknownDriverError } from '../../drivers/registry.ts';
import type { Language } from '../../scenarios/format.ts';
import { scenarioDir } from '../../scenarios/loader.ts';
import { scenarioPlan } from '../../scenarios/plan.ts';
import { boolFlag, flag, type ParsedArgs, UsageError } from '../args.ts';
import { nextSteps } from '../next-steps.ts';
import {
  checkFlags,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  guarded,
  positionals,
  printJson,
} from './lab-common.ts';
import { language } from './lang.ts';
import { formatMs, ProgressView } from './progress.ts';
import type { Command } from './types.ts';

/** netns is the default (DESIGN); SVC_LABS_DRIVER changes it for a development machine. */
function defaultDriver(): string {
  return process.env.SVC_LABS_DRIVER || 'netns';
}

function summary(
  status: LabStatus,
  lang: Language,
): {
  name: string;
  kubeconfig?: string;
  apiserver?: string;
  nodes: LabStatus['nodes'];
  scenario?: string;
  story?: string;
} {
  return {
    name: status.name,
    kubeconfig: status.kubeconfig,
    apiserver: status.apiserver,
    nodes: status.nodes,
    ...(status.scenario
      ? { scenario: status.scenario, story: join(scenarioDir(status.scenario), `story.${lang}.md`) }
      : {}),
  };
}

/** `--lang X` when it picks another language than SVC_LABS_LANG or the locale would (for hint, check). */
function langToRepeat(args: ParsedArgs, lang: Language): string | undefined {
  if (flag(args, 'lang') === undefined) return undefined;
  let byDefault: Language;
  try {
    byDefault = language({ positional: [], flags: new Map(), rest: [] });
  } catch {
    byDefault = 'en';
  }
  return lang === byDefault ? undefined : lang;
}

export const up: Command = {
  name: 'up',
  usage:
    'up <scenario|environment> [--driver netns|kind] [--name N] [--no-fault] [--dry-run] [--lang en|zh-CN]',
  summary: 'build a lab (and inject its fault); prints its name and how to use kubectl with it',
  help: [
    'An environment builds its lab without a fault (see labctl scenarios); --variant V picks a variant of a scenario.',
    'Builds the lab in the lab daemon (started on demand) and follows its progress.',
    'Once a scenario lab is ready, prints its story (in --lang) and the commands to use: hint, check, reset.',
    'With --json, prints {name, kubeconfig, apiserver, nodes} once the lab is ready (progress goes to stderr),',
    'and for a scenario lab its scenario id and the path of its story.',
    '--dry-run resolves the scenario and driver and prints the plan without building anything.',
    `The default driver is netns (SVC_LABS_DRIVER overrides it).`,
  ].join('\n'),
  valueFlags: new Set(['driver', 'name', 'variant', 'lang']),
  async run(args) {
    checkFlags(args, ['driver', 'name', 'variant', 'no-fault', 'dry-run', 'lang']);
    const [targetName] = positionals(args, 1, 1, 'the scenario or environment to build');
    const json = boolFlag(args, 'json');
    const lang = language(args);
    const driverName = flag(args, 'driver') ?? defaultDriver();
    const name = flag(args, 'name');
    if (name !== undefined) {
      const invalid = invalidLabName(name);
      if (invalid) throw new UsageError(invalid);
    }
    let target: ReturnType<typeof classify>;
    try {
      target = classify(targetName);
    } catch (e) {
      if (e instanceof UnknownTargetError) {
        console.error(`labctl up: ${e.message}\nSee \`labctl scenarios\` for the catalogue.`);
        return EXIT_USAGE;
      }
      throw e;
    }
    const request = {
      ...target,
      name,
      driver: driverName,
      noFault: boolFlag(args, 'no-fault'),
      variant: flag(args, 'variant'),
    };

    if (boolFlag(args, 'dry-run')) return dryRun(request, json);
    if (!isDriverInstalled(driverName)) {
      // The slow path (it loads every driver) only to say which ones there are.
      const message = await getDriver(driverName).then(
        () => undefined,
        (e: Error) => e.message,
      );
      if (message) {
        console.error(`labctl up: ${message}`);
        return EXIT_USAGE;
      }
    }

    const unmet = await preflight(driverName);
    if (unmet) {
      console.error(`labctl up: ${unmet}`);
      return EXIT_USAGE;
    }

    return guarded('up', async () => {
      const client = await ensureDaemon();
      const created = await client.createLab(request);
      const log = json ? process.stderr : process.stdout;
      const tty = !!(log as NodeJS.WriteStream).isTTY;
      log.write(
        `Building lab ${created.name} (${created.scenario ? `scenario ${created.scenario}, ` : ''}environment ${created.environment}, driver ${created.driver})\n`,
      );
      const view = new ProgressView(log, tty);
      const onInterrupt = () => {
        process.stderr.write(
          `\nlabctl up: stopped following; the lab keeps building in the daemon. \`labctl status ${created.name}\` or \`labctl down ${created.name}\`.\n`,
        );
        process.exit(130);
      };
      process.once('SIGINT', onInterrupt);
      const last = await client.events(created.name, (e) => {
        if (e.type === 'progress') view.event(e.data);
      });
      process.off('SIGINT', onInterrupt);
      if (last.type === 'failed') {
        console.error(`labctl up: lab ${created.name} failed: ${last.data.error}`);
        console.error(`Nothing of it is left running; \`labctl down ${created.name}\` forgets it.`);
        return EXIT_FAILED;
      }
      if (last.type !== 'ready') return EXIT_FAILED;
      const status = last.data;
      if (json) {
        printJson(summary(status, lang));
        return EXIT_OK;
      }
      console.log(`\nLab ${status.name} is ready (${formatMs(status.buildMs ?? 0)}).\n`);
      process.stdout.write(nextSteps(status, { lang, langFlag: langToRepeat(args, lang) }));
      return EXIT_OK;
    });
  },
};

/**
 * A driver's own prerequisite check, when it ships one (`labs/drivers/<name>/preflight.ts`): asked
 * before a daemon is started, so a machine without Docker gets "what to install" at once (exit 2).
 */
async function preflight(driver: string): Promise<string | undefined> {
  const file = new URL(`../../drivers/${driver}/preflight.ts`, import.meta.url);
  if (!/^[a-z][a-z0-9-]*$/.test(driver) || !existsSync(file)) return undefined;
  const mod = (await import(file.href)) as { preflight(): Promise<string | undefined> };
  return mod.preflight();
}

/** A driver that can show what it would run (the kind driver's plan). */
interface PlanningDriver {
  describePlan(req: {
    name: string;
    environment: string;
    topology: ReturnType<typeof resolveTarget>['topology'];
    scenario?: string;
    variant?: string;
    noFault: boolean;
    dir: string;
  }): Promise<{ text: string; json: Record<string, unknown> }>;
}

function canPlan(driver: object): driver is PlanningDriver {
  return typeof (driver as Partial<PlanningDriver>).describePlan === 'function';
}

async function dryRun(
  request: {
    scenario?: string;
    environment?: string;
    name?: string;
    driver: string;
    noFault: boolean;
    variant?: string;
  },
  json: boolean,
): Promise<number> {
  const resolved = resolveTarget(request);
  let availability: { ok: boolean; reason?: string; fix?: string };
  let driver: Awaited<ReturnType<typeof getDriver>>;
  try {
    driver = await getDriver(request.driver);
    availability = await driver.available();
  } catch (e) {
    if (e instanceof UnknownDriverError) {
      console.error(`labctl up: ${e.message}`);
      return EXIT_USAGE;
    }
    throw e;
  }
  const running = await findDaemon(daemonPaths());
  const taken =
    request.name && running ? (await running.listLabs()).some((l) => l.name === request.name) : false;
  const base = request.scenario ?? request.environment ?? 'lab';
  // A driver's plan names real things (cluster, networks, paths), so it needs a real lab name.
  const name = request.name ?? (canPlan(driver) ? generateLabName(base) : `${base}-<4 random>`);
  const steps = canPlan(driver)
    ? await driver.describePlan({
        name,
        environment: resolved.environment,
        topology: resolved.topology,
        scenario: resolved.scenario,
        variant: request.variant,
        noFault: request.noFault,
        dir: labDir(daemonPaths(), name),
      })
    : undefined;
  // What the scenario engine does once the driver has built the environment (every driver).
  const scenarioSteps = resolved.scenario
    ? scenarioPlan({ scenario: resolved.scenario, variant: request.variant, noFault: request.noFault })
    : undefined;
  const plan = {
    name,
    driver: request.driver,
    environment: resolved.environment,
    scenario: resolved.scenario,
    variant: request.variant,
    noFault: request.noFault,
    nodes: resolved.topology.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      addresses: n.nics.flatMap((nic) => nic.addresses.map((a) => ({ nic: nic.name, address: a }))),
    })),
    driverAvailable: availability,
    nameTaken: taken,
    ...(steps ? { plan: steps.json } : {}),
    ...(scenarioSteps ? { scenarioPlan: scenarioSteps } : {}),
  };
  if (json) printJson(plan);
  else {
    console.log(`Would build lab ${plan.name} with the ${plan.driver} driver`);
    console.log(
      `  environment: ${plan.environment}${plan.scenario ? `\n  scenario:    ${plan.scenario}` : ''}`,
    );
    if (plan.scenario)
      console.log(
        `  fault:       ${plan.noFault ? 'none (--no-fault)' : `injected${plan.variant ? ` (variant ${plan.variant})` : ''}`}`,
      );
    for (const n of plan.nodes)
      console.log(
        `  node ${n.name.padEnd(14)} ${n.role.padEnd(13)} ${n.addresses.map((a) => `${a.nic} ${a.address}`).join(', ')}`,
      );
    if (steps) {
      if (!request.name) console.log(`(a fresh lab name each run; --name ${name} gives this exact plan)`);
      console.log(`\n${steps.text}`);
    }
    if (scenarioSteps) console.log(`\n${scenarioSteps}`);
    if (!availability.ok)
      console.log(
        `The ${plan.driver} driver cannot run here: ${availability.reason}${availability.fix ? `\n  fix: ${availability.fix}` : ''}`,
      );
    if (taken) console.log(`A lab named ${request.name} already exists.`);
  }
  return availability.ok && !taken ? EXIT_OK : EXIT_USAGE;
}
