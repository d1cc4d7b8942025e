/**
 * What scenario modules (inject.ts, checks.ts, solutions/*.ts, wrong-fixes/*.ts) are written
 * against, and what the engine answers with. A scenario sees the lab only through `Lab`
 * (labs/drivers/driver.ts) and the helpers of its context, so it runs unchanged on every driver.
 */
import type { ExecOptions, ExecTarget, Lab, LabNodeInfo, RunResult } from '../drivers/driver.ts';
import type { CheckKind, Language, Localized } from './format.ts';
import type { Probes } from './probes.ts';

/** One thing a check (or a solution, or a disturbance) ran, and what came back. */
export interface Evidence {
  /** The command as a person would type it (`curl -sS -m 1 http://10.244.1.3/`). */
  ran: string;
  /** Where: a node name, `pod default/hostnames-6f7c9-abcde`, `kubectl` (from the host), `lab`. */
  target: string;
  exitCode: number;
  /** What came back, trimmed to the lines that matter. */
  output: string;
  ms: number;
}

export interface Verdict {
  passed: boolean;
  /** Why it failed: what was tried, what happened. */
  why?: Localized;
}

/** Text given in both languages, or one string meant for both (commands, addresses). */
export type Text = Localized | string;

/** Everything inject.ts, checks.ts and fix modules can use. Commands record evidence in a check. */
export interface ScenarioContext {
  readonly lab: Lab;
  readonly scenarioId: string;
  /** The folder of the scenario (absolute). */
  readonly dir: string;
  readonly variant: string | undefined;
  /** What injection recorded for later checks (a ClusterIP, the pods it broke). Writable in inject. */
  readonly facts: Record<string, unknown>;
  readonly nodes: readonly LabNodeInfo[];
  /** The first control-plane node's name. */
  controlPlane(): string;
  /** A node's IPv4 address on a NIC (`address('ubuntu02', 'enp0s3')` -> `192.168.56.12`). */
  address(node: string, nic: string): string;
  exec(target: ExecTarget, argv: string[], opts?: ExecOptions): Promise<RunResult>;
  /** `sh -c script` on a node; never throws on a non-zero exit. */
  sh(node: string, script: string, opts?: ExecOptions): Promise<RunResult>;
  /** As sh, but a non-zero exit throws a CommandError carrying the output. */
  shOk(node: string, script: string, opts?: ExecOptions): Promise<string>;
  /** The real kubectl against the lab, from the host. */
  kubectl(args: string[], opts?: ExecOptions): Promise<RunResult>;
  kubectlOk(args: string[], opts?: ExecOptions): Promise<string>;
  /** `kubectl get <args> -o json`, parsed; undefined when the object does not exist. */
  getJson<T = any>(args: string[]): Promise<T | undefined>;
  /** `kubectl apply -f -` of YAML text or objects. */
  apply(manifest: string | object | object[]): Promise<void>;
  /** A file of the scenario folder, as text. */
  file(relPath: string): string;
  readNodeFile(node: string, path: string): Promise<string>;
  writeNodeFile(node: string, path: string, content: string): Promise<void>;
  /** Poll `fn` until it returns something other than undefined/false; throws after the timeout. */
  waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, opts?: WaitOptions): Promise<T>;
  /**
   * Wait until the lab is quiet: nodes Ready, every Deployment and DaemonSet rolled out with its
   * pods running (and Ready, unless `ready: false`), terminating pods ignored.
   */
  settle(opts?: SettleOptions): Promise<void>;
  /** A progress line (shown while a lab builds or resets). */
  log(message: string): void;
  /** Add evidence by hand (what a check looked at that no command of the context ran). */
  record(e: Evidence): void;
  readonly probe: Probes;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

export interface SettleOptions extends WaitOptions {
  /** Require pods to be Ready (default true); false accepts Running pods that fail readiness. */
  ready?: boolean;
}

export interface CheckContext extends ScenarioContext {
  /** What this check ran so far (commands append to it). */
  readonly evidence: Evidence[];
  pass(): Verdict;
  fail(why: Text): Verdict;
}

export type CheckFn = (ctx: CheckContext) => Promise<Verdict>;
export type ChecksModule = Record<string, CheckFn>;

export interface InjectModule {
  /** The healthy baseline the scenario needs (workloads, files); runs also with --no-fault. */
  setup?(ctx: ScenarioContext): Promise<void>;
  /** Break the lab as the seed describes. Must be idempotent: reset runs it again. */
  inject(ctx: ScenarioContext): Promise<void>;
}

export type FixFn = (ctx: ScenarioContext) => Promise<void>;

export interface CheckResult {
  id: string;
  kind: CheckKind;
  title: string;
  passed: boolean;
  /** Not run (a persistence check waits for the other checks to pass). */
  skipped?: boolean;
  why?: string;
  evidence: Evidence[];
  /** The hint that helps: `labctl hint <lab> <id>`. */
  hint: { id: string; number: number };
  ms: number;
}

export interface GradeReport {
  lab: string;
  scenario: string;
  variant?: string;
  lang: Language;
  passed: boolean;
  checks: CheckResult[];
  /** Wall time of the whole grade, and of the part before persistence checks. */
  ms: number;
  quickMs: number;
  at: string;
}

export interface HintAnswer {
  hint?: { id: string; number: number; text: string };
  /** Every hint revealed so far, in order. */
  revealed: { id: string; number: number; text: string }[];
  total: number;
  /** Set when every hint was already revealed. */
  exhausted: boolean;
}

export interface FixReport {
  lab: string;
  scenario: string;
  kind: 'solution' | 'wrong-fix';
  id: string;
  title: string;
  steps: Evidence[];
  ms: number;
}

export interface ResetReport {
  lab: string;
  scenario: string;
  variant?: string;
  steps: { step: string; ms: number }[];
  /** API objects deleted, put back or recreated. */
  objects?: string[];
  /** Nodes whose live state differed, and what reset did about it. */
  nodes?: {
    node: string;
    differed: string[];
    action: 'repaired in place' | 'flannel rebuilt' | 'rebooted';
    left?: string[];
  }[];
  ms: number;
}
