/** What the two sandbox modes share: namespace bookkeeping, views, running commands, the broker. */

import { NetnsBroker, type NetnsBrokerOptions } from '../../native/broker.ts';
import { nsutilEnv } from '../../native/build.ts';
import type { RunResult, SandboxMode } from '../sandbox.ts';
import { collect } from './command.ts';
import { isNamespaceFile, killMatching, nsId, processNsId, SANDBOX_ENV } from './proc.ts';
import type { CommandOptions, CommandSpec, NativeSandbox, NetnsView, SandboxRunOptions } from './types.ts';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;
const HOST_NAME_MAX = 64;
export const DEFAULT_RUN_TIMEOUT_MS = 30_000;

/** Commands see a node's environment, not the daemon's. */
const BASE_ENV: Record<string, string> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  USER: 'root',
  LOGNAME: 'root',
  LANG: 'C.UTF-8',
};

export class SandboxCommandError extends Error {
  readonly argv: string[];
  readonly netns: string | undefined;
  readonly result: RunResult;
  constructor(argv: string[], netns: string | undefined, result: RunResult, timeoutMs?: number) {
    const where = netns ? ` in ${netns}` : '';
    const why = timeoutMs ? `timed out after ${timeoutMs} ms` : `exited with code ${result.code}`;
    const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-5).join('\n');
    super(`\`${argv.join(' ')}\`${where} ${why}${detail ? `: ${detail}` : ''}`);
    this.name = 'SandboxCommandError';
    this.argv = argv;
    this.netns = netns;
    this.result = result;
  }
}

export abstract class SandboxBase implements NativeSandbox {
  abstract readonly mode: SandboxMode;
  readonly prefix: string;
  readonly stateDir: string;
  protected readonly nsutil: string;
  protected destroyed = false;
  readonly #names = new Set<string>();
  readonly #views = new Map<string, NetnsView>();
  #broker: NetnsBroker | undefined;

  protected constructor(prefix: string, stateDir: string, nsutil: string) {
    this.prefix = prefix;
    this.stateDir = stateDir;
    this.nsutil = nsutil;
  }

  /** nsutil options that enter the sandbox's user and mount namespaces (none in root mode). */
  protected abstract enterArgs(): string[];
  /** nsutil options for the sandbox's own context when no namespace is named. */
  protected abstract ownNetArgs(): string[];
  /** Where namespace files live, as seen after enterArgs(). */
  protected abstract readonly netnsDir: string;
  protected abstract extraEnv(): Record<string, string>;
  protected abstract brokerOptions(): NetnsBrokerOptions;
  /** Kill what runs inside and release every namespace, mount and file. */
  protected abstract teardown(): Promise<void>;
  abstract netnsPath(name: string): string;

  protected assertUsable(): void {
    if (this.destroyed) throw new Error(`sandbox ${this.prefix} has been destroyed`);
  }

  protected fullName(name: string): string {
    return `${this.prefix}${name}`;
  }

  netnsNames(): string[] {
    return [...this.#names];
  }

  addNetns(name: string): Promise<void> {
    return this.addNetnsMany([name]);
  }

  async addNetnsMany(names: string[]): Promise<void> {
    this.assertUsable();
    for (const name of names) {
      if (!NAME_RE.test(name)) throw new Error(`invalid namespace name '${name}'`);
      if (this.#names.has(name))
        throw new Error(`namespace ${name} already exists in sandbox ${this.prefix}`);
    }
    if (new Set(names).size !== names.length)
      throw new Error(`duplicate namespace names in ${names.join(', ')}`);
    for (const name of names) this.#names.add(name); // reserved now, so a concurrent add of the same name fails
    try {
      await this.runNsutil([
        'netns-add',
        ...this.enterArgs(),
        this.netnsDir,
        ...names.map((n) => this.fullName(n)),
      ]);
    } catch (err) {
      // nsutil stops at the first failure: keep those that were made, so destroy() still finds them
      for (const name of names) if (!isNamespaceFile(this.netnsPath(name))) this.#names.delete(name);
      throw err;
    } finally {
      for (const name of names) {
        if (this.#names.has(name) && !this.#views.has(name)) {
          this.#views.set(
            name,
            name.length <= HOST_NAME_MAX ? { hostname: name, sysfs: true } : { sysfs: true },
          );
        }
      }
    }
  }

  async deleteNetns(name: string): Promise<void> {
    this.assertUsable();
    if (!this.#names.has(name)) return;
    // Unmounted first, so nothing new can enter by name while what runs inside is killed.
    const id = nsId(this.netnsPath(name));
    await this.runNsutil(['netns-del', ...this.enterArgs(), `${this.netnsDir}/${this.fullName(name)}`]);
    this.#names.delete(name);
    this.#views.delete(name);
    if (id) {
      const { survivors } = await killMatching((pid) => processNsId(pid, 'net') === id);
      if (survivors.length)
        throw new Error(`namespace ${name}: processes survived SIGKILL: ${survivors.join(', ')}`);
    }
  }

  setView(name: string, view: NetnsView): void {
    if (!this.#names.has(name)) throw new Error(`no namespace ${name} in sandbox ${this.prefix}`);
    if (view.hostname !== undefined && (view.hostname.length === 0 || view.hostname.length > HOST_NAME_MAX)) {
      throw new Error(`invalid hostname '${view.hostname}'`);
    }
    for (const b of view.binds ?? []) {
      if (
        !b.source.startsWith('/') ||
        !b.target.startsWith('/') ||
        b.source.includes(':') ||
        b.target.includes(':')
      ) {
        throw new Error(`bind ${b.source} -> ${b.target}: paths must be absolute and free of ':'`);
      }
    }
    this.#views.set(name, { ...view, binds: view.binds?.map((b) => ({ ...b })) });
  }

  getView(name: string): NetnsView | undefined {
    const v = this.#views.get(name);
    return v && { ...v, binds: v.binds?.map((b) => ({ ...b })) };
  }

  commandFor(argv: string[], opts: CommandOptions = {}): CommandSpec {
    this.assertUsable();
    if (argv.length === 0) throw new Error('empty command');
    const args = ['exec', ...this.enterArgs()];
    if (opts.netns !== undefined) {
      if (!this.#names.has(opts.netns))
        throw new Error(`no namespace ${opts.netns} in sandbox ${this.prefix}`);
      args.push('--net', `${this.netnsDir}/${this.fullName(opts.netns)}`);
      const view = this.#views.get(opts.netns);
      if (!opts.bare && view) {
        if (view.sysfs !== false) args.push('--remount-sys');
        if (view.hostname) args.push('--hostname', view.hostname);
        for (const b of view.binds ?? []) args.push('--bind', `${b.source}:${b.target}`);
        if (view.cwd && opts.cwd === undefined) args.push('--cwd', view.cwd);
      }
    } else {
      args.push(...this.ownNetArgs());
    }
    if (opts.cwd !== undefined) args.push('--cwd', opts.cwd);
    if (opts.dieWithParent !== false) args.push('--die-with-parent');
    args.push('--', ...argv);
    return {
      file: this.nsutil,
      args,
      env: nsutilEnv({ ...BASE_ENV, ...this.extraEnv(), ...opts.env, [SANDBOX_ENV]: this.prefix }),
    };
  }

  async run(argv: string[], opts: SandboxRunOptions = {}): Promise<RunResult> {
    const spec = this.commandFor(argv, { netns: opts.netns, env: opts.env, bare: opts.bare, cwd: opts.cwd });
    const timeoutMs = opts.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    const out = await collect(spec.file, spec.args, { input: opts.input, timeoutMs, env: spec.env });
    const result: RunResult = { code: out.code, stdout: out.stdout, stderr: out.stderr };
    if (out.timedOut)
      result.stderr += `${result.stderr && !result.stderr.endsWith('\n') ? '\n' : ''}timed out after ${timeoutMs} ms\n`;
    if (result.code !== 0 && !opts.allowFailure) {
      throw new SandboxCommandError(argv, opts.netns, result, out.timedOut ? timeoutMs : undefined);
    }
    return result;
  }

  async ipBatch(lines: string[], netns?: string): Promise<void> {
    if (lines.length === 0) return;
    const res = await this.run(['ip', '-batch', '-'], {
      netns,
      bare: true,
      input: `${lines.join('\n')}\n`,
      allowFailure: true,
    });
    if (res.code !== 0) {
      // ip names the failing line as "Command failed -:N"
      const n = Number(/Command failed -:(\d+)/.exec(res.stderr)?.[1]);
      const line = Number.isInteger(n) ? `line ${n} \`${lines[n - 1]}\`: ` : '';
      throw new SandboxCommandError(['ip', '-batch', '-'], netns, {
        ...res,
        stderr: `${line}${res.stderr.trim()}`,
      });
    }
  }

  broker(): NetnsBroker {
    this.assertUsable();
    this.#broker ??= new NetnsBroker({ nsutilPath: this.nsutil, ...this.brokerOptions() });
    return this.#broker;
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const broker = this.#broker;
    this.#broker = undefined;
    await broker?.close();
    await this.teardown();
    this.#names.clear();
    this.#views.clear();
  }

  protected async runNsutil(args: string[]): Promise<void> {
    const out = await collect(this.nsutil, args, {
      timeoutMs: DEFAULT_RUN_TIMEOUT_MS,
      env: nsutilEnv(BASE_ENV),
    });
    if (out.code !== 0) {
      throw new SandboxCommandError(['nsutil', ...args], undefined, {
        code: out.code,
        stdout: out.stdout,
        stderr: out.stderr,
      });
    }
  }
}
