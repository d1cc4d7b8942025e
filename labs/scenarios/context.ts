/**
 * The context scenario code runs in: the Lab plus small conveniences (kubectl with JSON, sh on a
 * node, waiting, settling). In a check every command lands in the check's evidence, trimmed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import type { ExecOptions, ExecTarget, Lab, LabNodeInfo, RunResult } from '../drivers/driver.ts';
import { createProbes } from './probes.ts';
import { settle } from './settle.ts';
import type {
  CheckContext,
  Evidence,
  ScenarioContext,
  SettleOptions,
  Text,
  Verdict,
  WaitOptions,
} from './types.ts';

const DEFAULT_KUBECTL_TIMEOUT_MS = 30_000;
const MAX_OUTPUT_LINES = 14;
const MAX_OUTPUT_CHARS = 1400;

/** A command that had to succeed did not; the message carries the command and its output. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  readonly result: RunResult;
  readonly ran: string;
  readonly target: string;
  constructor(ran: string, target: string, result: RunResult) {
    const out = trimOutput(`${result.stderr}\n${result.stdout}`);
    super(`${target}: \`${ran}\` exited ${result.code}${out ? `:\n${out}` : ''}`);
    this.result = result;
    this.ran = ran;
    this.target = target;
  }
}

/** First and last lines of long output, so evidence stays readable. */
export function trimOutput(text: string, maxLines = MAX_OUTPUT_LINES, maxChars = MAX_OUTPUT_CHARS): string {
  let lines = text.replace(/\r/g, '').trim().split('\n');
  if (lines.length > maxLines) {
    const head = Math.ceil(maxLines / 2);
    const tail = maxLines - head - 1;
    lines = [
      ...lines.slice(0, head),
      `... (${lines.length - head - tail} more lines)`,
      ...lines.slice(-tail),
    ];
  }
  let out = lines.join('\n');
  if (out.length > maxChars) out = `${out.slice(0, maxChars - 20)}\n... (trimmed)`;
  return out;
}

/** argv as a shell line (quoted only where needed). */
export function shellLine(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

export function targetName(target: ExecTarget): string {
  if ('node' in target) return target.node;
  return `pod ${target.pod.namespace}/${target.pod.name}${target.container ? ` (${target.container})` : ''}`;
}

/** One line per object instead of the JSON: what was looked at. */
function describeDoc(doc: any): string {
  const name = (o: any) =>
    `${String(o.kind ?? '').toLowerCase()}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;
  if (Array.isArray(doc?.items)) return doc.items.length ? doc.items.map(name).join('\n') : '(no objects)';
  return name(doc);
}

export function localize(t: Text): { en: string; 'zh-CN': string } {
  return typeof t === 'string' ? { en: t, 'zh-CN': t } : t;
}

export interface ContextInit {
  lab: Lab;
  scenarioId: string;
  dir: string;
  variant: string | undefined;
  facts: Record<string, unknown>;
  log?: (message: string) => void;
}

export class LabContext implements ScenarioContext {
  readonly lab: Lab;
  readonly scenarioId: string;
  readonly dir: string;
  readonly variant: string | undefined;
  readonly facts: Record<string, unknown>;
  readonly nodes: readonly LabNodeInfo[];
  /** Where commands are recorded (a check's evidence), if anywhere. */
  protected readonly sink: Evidence[] | undefined;
  private readonly logFn: (message: string) => void;
  private probesCache?: ReturnType<typeof createProbes>;

  constructor(init: ContextInit, sink?: Evidence[]) {
    this.lab = init.lab;
    this.scenarioId = init.scenarioId;
    this.dir = init.dir;
    this.variant = init.variant;
    this.facts = init.facts;
    this.nodes = init.lab.nodes();
    this.sink = sink;
    this.logFn = init.log ?? (() => {});
  }

  get probe() {
    this.probesCache ??= createProbes(this, (e) => this.record(e));
    return this.probesCache;
  }

  /** Append to the evidence of the check this context belongs to. */
  record(e: Evidence): void {
    this.sink?.push({ ...e, output: trimOutput(e.output) });
  }

  controlPlane(): string {
    const cp = this.nodes.find((n) => n.role === 'control-plane') ?? this.nodes[0];
    if (!cp) throw new Error(`lab ${this.lab.name} has no nodes`);
    return cp.name;
  }

  address(node: string, nic: string): string {
    const n = this.nodes.find((x) => x.name === node);
    if (!n) throw new Error(`lab ${this.lab.name} has no node ${node}`);
    const a = n.addresses.find((x) => x.nic === nic);
    if (!a) throw new Error(`node ${node} has no address on ${nic}`);
    return a.address.split('/')[0];
  }

  /** Run without recording (probes summarise their own evidence). */
  async rawExec(target: ExecTarget, argv: string[], opts?: ExecOptions): Promise<RunResult> {
    return this.lab.exec(target, argv, opts);
  }

  async exec(target: ExecTarget, argv: string[], opts?: ExecOptions): Promise<RunResult> {
    const r = await this.lab.exec(target, argv, opts);
    this.record({
      ran: shellLine(argv),
      target: targetName(target),
      exitCode: r.code,
      output: `${r.stdout}${r.stderr}`,
      ms: r.ms,
    });
    return r;
  }

  async sh(node: string, script: string, opts?: ExecOptions): Promise<RunResult> {
    const r = await this.lab.exec({ node }, ['sh', '-c', script], opts);
    this.record({
      ran: script.trim(),
      target: node,
      exitCode: r.code,
      output: `${r.stdout}${r.stderr}`,
      ms: r.ms,
    });
    return r;
  }

  async shOk(node: string, script: string, opts?: ExecOptions): Promise<string> {
    const r = await this.sh(node, script, opts);
    if (r.code !== 0) throw new CommandError(script.trim(), node, r);
    return r.stdout;
  }

  async kubectl(args: string[], opts?: ExecOptions): Promise<RunResult> {
    const r = await this.lab.kubectl(args, { timeoutMs: DEFAULT_KUBECTL_TIMEOUT_MS, ...opts });
    this.record({
      ran: `kubectl ${shellLine(args)}`,
      target: 'kubectl',
      exitCode: r.code,
      output: `${r.stdout}${r.stderr}`,
      ms: r.ms,
    });
    return r;
  }

  async kubectlOk(args: string[], opts?: ExecOptions): Promise<string> {
    const r = await this.kubectl(args, opts);
    if (r.code !== 0) throw new CommandError(`kubectl ${shellLine(args)}`, 'kubectl', r);
    return r.stdout;
  }

  async getJson<T = any>(args: string[]): Promise<T | undefined> {
    // JSON of whole objects is not evidence anyone reads: record the command, not the document.
    const r = await this.lab.kubectl(['get', ...args, '-o', 'json'], {
      timeoutMs: DEFAULT_KUBECTL_TIMEOUT_MS,
    });
    const ran = `kubectl get ${shellLine(args)} -o json`;
    if (r.code !== 0) {
      this.record({ ran, target: 'kubectl', exitCode: r.code, output: r.stderr, ms: r.ms });
      if (/NotFound|not found/.test(r.stderr)) return undefined;
      throw new CommandError(ran, 'kubectl', r);
    }
    const doc = JSON.parse(r.stdout);
    this.record({ ran, target: 'kubectl', exitCode: 0, output: describeDoc(doc), ms: r.ms });
    return doc as T;
  }

  async apply(manifest: string | object | object[]): Promise<void> {
    const text =
      typeof manifest === 'string'
        ? manifest
        : (Array.isArray(manifest) ? manifest : [manifest]).map((m) => toYaml(m)).join('---\n');
    await this.kubectlOk(['apply', '-f', '-'], { input: text });
  }

  file(relPath: string): string {
    return readFileSync(join(this.dir, relPath), 'utf8');
  }

  readNodeFile(node: string, path: string): Promise<string> {
    return this.lab.readNodeFile(node, path);
  }

  async writeNodeFile(node: string, path: string, content: string): Promise<void> {
    await this.lab.writeNodeFile(node, path, content);
    this.record({ ran: `write ${path}`, target: node, exitCode: 0, output: '', ms: 0 });
  }

  async waitFor<T>(
    what: string,
    fn: () => Promise<T | undefined | false>,
    opts: WaitOptions = {},
  ): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const interval = opts.intervalMs ?? 150;
    const started = performance.now();
    let lastError: unknown;
    for (;;) {
      try {
        const v = await fn();
        if (v !== undefined && v !== false) return v;
      } catch (e) {
        lastError = e;
      }
      if (performance.now() - started > timeoutMs)
        throw new Error(
          `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${
            lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
          }`,
        );
      await new Promise((r) => setTimeout(r, interval));
    }
  }

  /** Whether the last settle waited for ready pods (reset settles the way injection did). */
  lastSettleReady: boolean | undefined;

  async settle(opts: SettleOptions = {}): Promise<void> {
    this.lastSettleReady = opts.ready !== false;
    const started = performance.now();
    await settle(this.lab, opts);
    this.record({
      ran: `wait for the lab to settle${opts.ready === false ? ' (pods running)' : ' (pods ready)'}`,
      target: 'lab',
      exitCode: 0,
      output: '',
      ms: Math.round(performance.now() - started),
    });
  }

  log(message: string): void {
    this.logFn(message);
  }
}

export class LabCheckContext extends LabContext implements CheckContext {
  readonly evidence: Evidence[];

  constructor(init: ContextInit) {
    const evidence: Evidence[] = [];
    super(init, evidence);
    this.evidence = evidence;
  }

  pass(): Verdict {
    return { passed: true };
  }

  fail(why: Text): Verdict {
    return { passed: false, why: localize(why) };
  }
}
