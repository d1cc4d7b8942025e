/**
 * Every lab the daemon holds, from request to teardown. A lab is `building` while its driver
 * works, then `ready` or `failed`; `deleting` while it is torn down. Builds run in the background:
 * `create` validates, reserves the name and returns; the build's progress is kept so that a client
 * connecting late (`GET /labs/:name/events`) sees every step.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ExecTarget, Lab, ProgressEvent } from '../drivers/driver.ts';
import {
  canOpenTerminal,
  type LabDriver,
  type LabSpec,
  TargetNotFoundError,
  type Terminal,
  type TerminalOptions,
} from '../drivers/lab-driver.ts';
import { getDriver, UnknownDriverError } from '../drivers/registry.ts';
import { isLanguage } from '../scenarios/format.ts';
import { UnknownHintError } from '../scenarios/hints.ts';
import { type LoadedScenario, loadScenario, ScenarioError } from '../scenarios/loader.ts';
import { ScenarioSession, SessionInputError } from '../scenarios/session.ts';
import type { FixReport, GradeReport, HintAnswer, ResetReport } from '../scenarios/types.ts';
import { pickVariant, VariantError } from '../scenarios/variants.ts';
import { resolveTarget, UnknownTargetError } from './catalogue.ts';
import { ApiError, badRequest, conflict, notFound } from './errors.ts';
import type { Logger } from './log.ts';
import { generateLabName, invalidLabName } from './names.ts';
import { type DaemonPaths, labDir } from './paths.ts';
import { isAlive, type ProcessRef, selfRef } from './proc.ts';
import type {
  CheckRequest,
  CreateLabRequest,
  ExecRequest,
  HintRequest,
  LabStatus,
  LabStreamEvent,
  SolveRequest,
} from './types.ts';

/** `<lab dir>/lab.json`: enough for gc to tell a live lab from a dead daemon's leftovers. */
export interface LabRecord {
  name: string;
  driver: string;
  environment: string;
  scenario?: string;
  variant?: string;
  createdAt: string;
  owner: ProcessRef;
}

export const LAB_RECORD = 'lab.json';
const MAX_EXEC_TIMEOUT_MS = 60 * 60_000;

interface Entry {
  status: LabStatus;
  dir: string;
  lab?: Lab;
  events: LabStreamEvent[];
  listeners: Set<(e: LabStreamEvent) => void>;
  abort: AbortController;
  build: Promise<void>;
  deleting?: Promise<void>;
  /** The scenario the lab is built for (loaded and validated at create). */
  scenario?: LoadedScenario;
  /** Its injection and grading, once the lab is ready. */
  session?: ScenarioSession;
}

export class LabManager {
  private readonly labs = new Map<string, Entry>();
  private readonly paths: DaemonPaths;
  private readonly log: Logger;

  constructor(paths: DaemonPaths, log: Logger) {
    this.paths = paths;
    this.log = log;
  }

  /** Names of the labs this daemon holds (gc leaves their directories alone). */
  names(): Set<string> {
    return new Set(this.labs.keys());
  }

  list(): LabStatus[] {
    return [...this.labs.values()].map((e) => ({ ...e.status })).sort((a, b) => a.name.localeCompare(b.name));
  }

  private entry(name: string): Entry {
    const entry = this.labs.get(name);
    if (!entry) {
      const known = [...this.labs.keys()];
      throw notFound(
        `no lab named "${name}"${known.length ? `; labs: ${known.join(', ')}` : ' (there are no labs)'}`,
      );
    }
    return entry;
  }

  get(name: string): LabStatus {
    return { ...this.entry(name).status };
  }

  /** Everything streamed so far, and a listener for what follows (until ready or failed). */
  subscribe(
    name: string,
    listener: (e: LabStreamEvent) => void,
  ): { history: LabStreamEvent[]; unsubscribe(): void } {
    const entry = this.entry(name);
    const history = [...entry.events];
    const finished = history.some((e) => e.type !== 'progress');
    if (!finished) entry.listeners.add(listener);
    return { history, unsubscribe: () => entry.listeners.delete(listener) };
  }

  private emit(entry: Entry, event: LabStreamEvent): void {
    if (entry.events.some((e) => e.type !== 'progress')) return;
    entry.events.push(event);
    for (const l of entry.listeners) {
      try {
        l(event);
      } catch (e) {
        this.log.error(`event listener of ${entry.status.name}`, e);
      }
    }
    if (event.type !== 'progress') entry.listeners.clear();
  }

  async create(body: unknown): Promise<LabStatus> {
    const req = validateCreate(body);
    let target: ReturnType<typeof resolveTarget>;
    try {
      target = resolveTarget(req);
    } catch (e) {
      if (e instanceof UnknownTargetError) throw new ApiError(400, 'UnknownTarget', e.message, e.valid);
      throw badRequest(e instanceof Error ? e.message : String(e));
    }
    let driver: LabDriver;
    try {
      driver = await getDriver(req.driver);
    } catch (e) {
      if (e instanceof UnknownDriverError) throw new ApiError(400, 'UnknownDriver', e.message, e.supported);
      throw new ApiError(412, 'DriverUnavailable', e instanceof Error ? e.message : String(e));
    }
    let scenario: LoadedScenario | undefined;
    if (target.scenario !== undefined) {
      try {
        scenario = await loadScenario(target.scenario);
      } catch (e) {
        if (e instanceof ScenarioError)
          throw new ApiError(
            400,
            'InvalidScenario',
            `scenario ${target.scenario} cannot be built:\n  ${e.problems.join('\n  ')}`,
          );
        throw e;
      }
      const drivers = scenario.spec.drivers ?? ['netns', 'kind'];
      if (!drivers.includes(driver.name))
        throw new ApiError(
          400,
          'UnsupportedDriver',
          `scenario ${scenario.id} runs on the ${drivers.join(' or ')} driver, not ${driver.name}`,
          drivers,
        );
    } else if (req.variant !== undefined)
      throw badRequest('a variant is for a scenario; environments have none');
    const available = await driver.available();
    if (!available.ok)
      throw new ApiError(
        412,
        'DriverUnavailable',
        `the ${driver.name} driver cannot build labs here: ${available.reason ?? 'unavailable'}${available.fix ? ` (fix: ${available.fix})` : ''}`,
      );

    // From here to the map insert nothing awaits: two requests for one name cannot both pass.
    const name = req.name ?? this.freshName(target.scenario ?? target.environment);
    if (this.labs.has(name))
      throw conflict(
        'AlreadyExists',
        `a lab named "${name}" already exists; pick another --name or \`labctl down ${name}\``,
      );
    let variant = req.variant;
    if (scenario) {
      try {
        variant = pickVariant(scenario.spec, req.variant, name);
      } catch (e) {
        if (e instanceof VariantError) throw new ApiError(400, 'UnknownVariant', e.message, e.valid);
        throw e;
      }
    }
    const dir = labDir(this.paths, name);
    this.claimDir(name, dir);
    const createdAt = new Date().toISOString();
    const record: LabRecord = {
      name,
      driver: driver.name,
      environment: target.environment,
      scenario: target.scenario,
      variant,
      createdAt,
      owner: selfRef(),
    };
    writeFileSync(join(dir, LAB_RECORD), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    const entry: Entry = {
      status: {
        name,
        phase: 'building',
        driver: driver.name,
        environment: target.environment,
        scenario: target.scenario,
        variant,
        noFault: !!req.noFault,
        nodes: [],
        createdAt,
      },
      dir,
      events: [],
      listeners: new Set(),
      abort: new AbortController(),
      build: Promise.resolve(),
      scenario,
    };
    this.labs.set(name, entry);
    const spec: LabSpec = {
      name,
      environment: target.environment,
      topology: target.topology,
      scenario: target.scenario,
      variant,
      noFault: !!req.noFault,
      dir,
      stateDir: this.paths.state,
      signal: entry.abort.signal,
    };
    this.log.info(
      `lab ${name}: building ${target.scenario ?? target.environment} with the ${driver.name} driver`,
    );
    entry.build = this.build(entry, driver, spec);
    return { ...entry.status };
  }

  private freshName(base: string): string {
    for (;;) {
      const name = generateLabName(base);
      if (!this.labs.has(name)) return name;
    }
  }

  /** Make the lab's directory; one left by a dead daemon is garbage and is replaced. */
  private claimDir(name: string, dir: string): void {
    try {
      mkdirSync(dir, { mode: 0o700 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner: ProcessRef | undefined;
    try {
      owner = (JSON.parse(readFileSync(join(dir, LAB_RECORD), 'utf8')) as LabRecord).owner;
    } catch {
      owner = undefined;
    }
    if (isAlive(owner))
      throw conflict('AlreadyExists', `a lab named "${name}" is held by process ${owner?.pid}`);
    this.log.info(`lab ${name}: replacing the directory a dead daemon left`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { mode: 0o700 });
  }

  private async build(entry: Entry, driver: LabDriver, spec: LabSpec): Promise<void> {
    const started = performance.now();
    const status = entry.status;
    const progress = (e: ProgressEvent) => {
      this.emit(entry, { type: 'progress', data: { ...e, at: Math.round(performance.now() - started) } });
    };
    try {
      const lab = await driver.create(spec, progress);
      if (entry.abort.signal.aborted) {
        await lab.destroy();
        throw new Error('the lab was deleted while it was building');
      }
      if (entry.scenario) entry.session = await this.injectOrDestroy(entry, lab, spec, progress);
      entry.lab = lab;
      status.phase = 'ready';
      status.nodes = lab.nodes();
      status.kubeconfig = lab.kubeconfigPath;
      status.apiserver = apiserverOf(lab.kubeconfigPath);
      status.buildMs = Math.round(performance.now() - started);
      status.readyAt = new Date().toISOString();
      this.log.info(`lab ${spec.name}: ready in ${status.buildMs} ms`);
      this.emit(entry, { type: 'ready', data: { ...status } });
    } catch (e) {
      const message = entry.abort.signal.aborted
        ? 'the lab was deleted while it was building'
        : e instanceof Error
          ? e.message
          : String(e);
      if (status.phase !== 'deleting') status.phase = 'failed';
      status.error = message;
      this.log.error(`lab ${spec.name}: build failed`, e);
      // The driver has undone its work; what the daemon made for the lab goes too.
      rmSync(entry.dir, { recursive: true, force: true });
      this.emit(entry, { type: 'failed', data: { error: message, status: { ...status } } });
    }
  }

  /**
   * Run the scenario's setup and injection on a freshly built lab. A failure destroys the lab
   * (nothing of a half-injected lab is left) and fails the build with the scenario's reason.
   */
  private async injectOrDestroy(
    entry: Entry,
    lab: Lab,
    spec: LabSpec,
    progress: (e: ProgressEvent) => void,
  ): Promise<ScenarioSession> {
    const scenario = entry.scenario!;
    const total = spec.noFault ? 2 : 3;
    let done = 0;
    try {
      const session = await ScenarioSession.start({
        lab,
        scenario,
        dir: entry.dir,
        variant: spec.variant,
        seed: spec.name,
        noFault: spec.noFault,
        onStep: (e) => {
          if (e.state === 'done') done++;
          progress({ step: e.step, title: e.title, done, total, state: e.state });
        },
        log: (m) => this.log.info(`lab ${spec.name}: ${m}`),
      });
      if (entry.abort.signal.aborted) throw new Error('the lab was deleted while it was building');
      return session;
    } catch (e) {
      try {
        await lab.destroy();
      } catch (destroyError) {
        this.log.error(`lab ${spec.name}: teardown after a failed injection`, destroyError);
      }
      const why = e instanceof Error ? e.message : String(e);
      throw new Error(`scenario ${scenario.id}: ${spec.noFault ? 'setup' : 'injection'} failed: ${why}`);
    }
  }

  /** The scenario session of a ready lab, or an error that says why there is none. */
  private session(name: string): ScenarioSession {
    const entry = this.entry(name);
    this.readyLab(name);
    if (!entry.session)
      throw new ApiError(
        400,
        'NoScenario',
        `lab ${name} was built from environment ${entry.status.environment}, not from a scenario: it has no checks, hints or solutions`,
      );
    return entry.session;
  }

  async check(name: string, body: unknown): Promise<GradeReport> {
    const req = validateCheck(body);
    return this.session(name).grade({ lang: req.lang, skipPersistence: req.skipPersistence });
  }

  async hint(name: string, body: unknown): Promise<HintAnswer> {
    const req = validateHint(body);
    try {
      return await this.session(name).hint(req);
    } catch (e) {
      if (e instanceof UnknownHintError) throw badRequest(e.message);
      throw e;
    }
  }

  async solve(name: string, body: unknown): Promise<FixReport> {
    const req = validateSolve(body);
    const session = this.session(name);
    try {
      const r = await session.solve(req);
      this.log.info(`lab ${name}: applied ${r.kind} ${r.id} in ${r.ms} ms`);
      return r;
    } catch (e) {
      if (e instanceof SessionInputError) throw new ApiError(400, 'UnknownSolution', e.message, e.valid);
      throw new ApiError(500, 'SolveFailed', `lab ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async reset(name: string): Promise<ResetReport> {
    const session = this.session(name);
    try {
      const r = await session.reset();
      this.log.info(`lab ${name}: reset in ${r.ms} ms`);
      return r;
    } catch (e) {
      throw new ApiError(
        500,
        'ResetFailed',
        `lab ${name}: reset failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  /** Tear a lab down (waiting for a build in progress to stop) and forget it. */
  delete(name: string): Promise<void> {
    const entry = this.entry(name);
    entry.deleting ??= (async () => {
      entry.status.phase = 'deleting';
      entry.abort.abort();
      await entry.build;
      try {
        await entry.lab?.destroy();
      } catch (e) {
        entry.status.phase = 'failed';
        entry.status.error = `teardown failed: ${e instanceof Error ? e.message : String(e)}`;
        entry.deleting = undefined;
        this.log.error(`lab ${name}: teardown failed`, e);
        throw new ApiError(500, 'TeardownFailed', `lab ${name}: ${entry.status.error}`);
      }
      rmSync(entry.dir, { recursive: true, force: true });
      this.labs.delete(name);
      this.log.info(`lab ${name}: deleted`);
    })();
    return entry.deleting;
  }

  async deleteAll(): Promise<{ deleted: string[]; errors: string[] }> {
    const names = [...this.labs.keys()];
    const results = await Promise.allSettled(names.map((n) => this.delete(n)));
    const deleted: string[] = [];
    const errors: string[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') deleted.push(names[i]);
      else errors.push(r.reason instanceof Error ? r.reason.message : String(r.reason));
    });
    return { deleted, errors };
  }

  private readyLab(name: string): Lab {
    const entry = this.entry(name);
    if (entry.status.phase !== 'ready' || !entry.lab)
      throw conflict(
        'NotReady',
        `lab ${name} is ${entry.status.phase}${entry.status.error ? `: ${entry.status.error}` : ''}`,
      );
    return entry.lab;
  }

  private checkNode(lab: Lab, node: string): void {
    const nodes = lab.nodes().map((n) => n.name);
    if (!nodes.includes(node))
      throw notFound(`lab ${lab.name} has no node "${node}"; nodes: ${nodes.join(', ')}`);
  }

  async exec(name: string, body: unknown) {
    const lab = this.readyLab(name);
    const req = validateExec(body);
    const target: ExecTarget =
      req.node !== undefined ? { node: req.node } : { pod: req.pod!, container: req.container };
    if ('node' in target) this.checkNode(lab, target.node);
    return translateTargetErrors(() =>
      lab.exec(target, req.argv, { input: req.input, timeoutMs: req.timeoutMs }),
    );
  }

  async reboot(name: string, node: string): Promise<{ node: string; ms: number }> {
    const lab = this.readyLab(name);
    this.checkNode(lab, node);
    const started = performance.now();
    await translateTargetErrors(() => lab.reboot(node));
    this.log.info(`lab ${name}: rebooted ${node}`);
    return { node, ms: Math.round(performance.now() - started) };
  }

  async terminal(name: string, target: ExecTarget, opts: TerminalOptions): Promise<Terminal> {
    const lab = this.readyLab(name);
    if (!canOpenTerminal(lab))
      throw new ApiError(501, 'NotSupported', `the ${lab.driver} driver has no interactive shell`);
    if ('node' in target) this.checkNode(lab, target.node);
    return translateTargetErrors(() => lab.openTerminal(target, opts));
  }

  /** Default shell target: the first control-plane node. */
  defaultNode(name: string): string {
    const nodes = this.readyLab(name).nodes();
    return (nodes.find((n) => n.role === 'control-plane') ?? nodes[0]).name;
  }

  async shutdown(timeoutMs = 20_000): Promise<void> {
    const all = this.deleteAll().then((r) => {
      for (const e of r.errors) this.log.error(`shutdown: ${e}`);
    });
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}

async function translateTargetErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof TargetNotFoundError) throw notFound(e.message);
    throw e;
  }
}

function apiserverOf(kubeconfig: string): string | undefined {
  try {
    const doc = parseYaml(readFileSync(kubeconfig, 'utf8')) as {
      clusters?: { cluster?: { server?: string } }[];
    };
    return doc.clusters?.[0]?.cluster?.server;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`${key} must be a string`);
  return v;
}

function validateCreate(body: unknown): CreateLabRequest {
  if (!isObject(body)) throw badRequest('the body must be a JSON object');
  const scenario = optionalString(body, 'scenario');
  const environment = optionalString(body, 'environment');
  const name = optionalString(body, 'name');
  const driver = optionalString(body, 'driver');
  const variant = optionalString(body, 'variant');
  if ((scenario === undefined) === (environment === undefined))
    throw badRequest('name exactly one of scenario and environment');
  if (!driver) throw badRequest('driver is required');
  if (body.noFault !== undefined && typeof body.noFault !== 'boolean')
    throw badRequest('noFault must be a boolean');
  if (name !== undefined) {
    const invalid = invalidLabName(name);
    if (invalid) throw badRequest(invalid);
  }
  return { scenario, environment, name, driver, variant, noFault: body.noFault as boolean | undefined };
}

function validateExec(body: unknown): ExecRequest {
  if (!isObject(body)) throw badRequest('the body must be a JSON object');
  const { argv, node, pod, container, input, timeoutMs } = body;
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string'))
    throw badRequest('argv must be a non-empty array of strings');
  if ((node === undefined) === (pod === undefined)) throw badRequest('name exactly one of node and pod');
  if (node !== undefined && typeof node !== 'string') throw badRequest('node must be a string');
  if (
    pod !== undefined &&
    !(
      isObject(pod) &&
      typeof pod.namespace === 'string' &&
      typeof pod.name === 'string' &&
      pod.namespace &&
      pod.name
    )
  )
    throw badRequest('pod must be {namespace, name}');
  if (container !== undefined && typeof container !== 'string')
    throw badRequest('container must be a string');
  if (input !== undefined && typeof input !== 'string') throw badRequest('input must be a string');
  if (
    timeoutMs !== undefined &&
    !(
      typeof timeoutMs === 'number' &&
      Number.isFinite(timeoutMs) &&
      timeoutMs > 0 &&
      timeoutMs <= MAX_EXEC_TIMEOUT_MS
    )
  )
    throw badRequest(`timeoutMs must be a number of milliseconds up to ${MAX_EXEC_TIMEOUT_MS}`);
  return {
    argv: argv as string[],
    node: node as string | undefined,
    pod: pod as ExecRequest['pod'],
    container: container as string | undefined,
    input: input as string | undefined,
    timeoutMs: timeoutMs as number | undefined,
  };
}

function optionalLang(body: Record<string, unknown>): CheckRequest['lang'] {
  const lang = optionalString(body, 'lang');
  if (lang !== undefined && !isLanguage(lang)) throw badRequest(`lang must be en or zh-CN, not "${lang}"`);
  return lang;
}

function optionalBool(body: Record<string, unknown>, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badRequest(`${key} must be a boolean`);
  return v;
}

function validateCheck(body: unknown): CheckRequest {
  if (!isObject(body)) throw badRequest('the body must be a JSON object');
  return { lang: optionalLang(body), skipPersistence: optionalBool(body, 'skipPersistence') };
}

function validateHint(body: unknown): HintRequest {
  if (!isObject(body)) throw badRequest('the body must be a JSON object');
  return { id: optionalString(body, 'id'), lang: optionalLang(body), peek: optionalBool(body, 'peek') };
}

function validateSolve(body: unknown): SolveRequest {
  if (!isObject(body)) throw badRequest('the body must be a JSON object');
  const solution = optionalString(body, 'solution');
  const wrongFix = optionalString(body, 'wrongFix');
  if (solution !== undefined && wrongFix !== undefined)
    throw badRequest('name a solution or a wrong fix, not both');
  return { solution, wrongFix };
}
