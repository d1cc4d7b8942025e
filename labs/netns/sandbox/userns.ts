/**
 * Rootless mode: one holder process (`nsutil hold`) owns a user, mount and network namespace;
 * the lab's namespaces are bound on a tmpfs at /run/netns inside that mount namespace, visible to
 * nobody else. When every process of the user namespace is gone, the kernel frees all of it. The
 * holder dies with its parent (PR_SET_PDEATHSIG), so a crashed daemon leaves at most the lab
 * processes it started, which gcSandboxes() finds by user namespace.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { NetnsBrokerOptions } from '../../native/broker.ts';
import { ensureNsutil, nsutilEnv } from '../../native/build.ts';
import { SandboxBase } from './base.ts';
import { cleanupUserns, holderTag } from './cleanup.ts';
import { nsId, processStartTime, selfRef } from './proc.ts';
import { PREFIX_RE, removeRecord, type SandboxRecord, writeRecord } from './registry.ts';
import type { SandboxCreateOptions } from './root.ts';

const READY_TIMEOUT_MS = 5000;

export class UsernsSandbox extends SandboxBase {
  readonly mode = 'userns' as const;
  protected readonly netnsDir = '/run/netns';
  /** The process that holds the namespaces. */
  readonly holderPid: number;
  /** Identity (dev:ino) of the sandbox's user namespace. */
  readonly usernsId: string;
  #holderExit: string | undefined;
  readonly #holderExited: Promise<void>;

  private constructor(
    prefix: string,
    stateDir: string,
    nsutil: string,
    holder: ChildProcess,
    usernsId: string,
  ) {
    super(prefix, stateDir, nsutil);
    this.holderPid = holder.pid!;
    this.usernsId = usernsId;
    this.#holderExited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        this.#holderExit = signal ? `killed by ${signal}` : `exited with code ${code}`;
        resolve();
      };
      if (holder.exitCode !== null || holder.signalCode !== null) done(holder.exitCode, holder.signalCode);
      else holder.once('exit', done);
    });
  }

  static async create(opts: SandboxCreateOptions & { prefix: string }): Promise<UsernsSandbox> {
    const { prefix, stateDir } = opts;
    if (!PREFIX_RE.test(prefix)) throw new Error(`invalid sandbox prefix '${prefix}' (want svcl-<a-z0-9>-)`);
    const nsutil = opts.nsutilPath ?? (await ensureNsutil());
    const rec: SandboxRecord = {
      version: 1,
      prefix,
      mode: 'userns',
      owner: selfRef(),
      createdAt: new Date().toISOString(),
    };
    writeRecord(stateDir, rec);
    let holder: ChildProcess | undefined;
    try {
      holder = spawn(nsutil, ['hold', '--tag', holderTag(prefix)], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: nsutilEnv(),
      });
      await waitReady(holder);
      const pid = holder.pid!;
      const userns = nsId(`/proc/${pid}/ns/user`);
      const start = processStartTime(pid);
      if (!userns || !start) throw new Error(`sandbox holder ${pid} vanished right after starting`);
      writeRecord(stateDir, { ...rec, holder: { pid, start, userns } });
      // The holder must not keep this process alive; it dies with it anyway.
      holder.unref();
      (holder.stderr as unknown as { unref?: () => void } | null)?.unref?.();
      return new UsernsSandbox(prefix, stateDir, nsutil, holder, userns);
    } catch (err) {
      holder?.kill('SIGKILL');
      removeRecord(stateDir, prefix);
      throw err;
    }
  }

  #assertHolder(): void {
    if (this.#holderExit !== undefined) {
      throw new Error(`sandbox ${this.prefix}: its holder process ${this.holderPid} ${this.#holderExit}`);
    }
  }

  protected enterArgs(): string[] {
    this.#assertHolder();
    return ['--userns', `/proc/${this.holderPid}/ns/user`, '--mountns', `/proc/${this.holderPid}/ns/mnt`];
  }

  protected ownNetArgs(): string[] {
    return ['--net', `/proc/${this.holderPid}/ns/net`];
  }

  protected extraEnv(): Record<string, string> {
    // iptables-legacy's lock; the holder made this file in its private /run.
    return { XTABLES_LOCKFILE: '/run/xtables.lock' };
  }

  protected brokerOptions(): NetnsBrokerOptions {
    this.#assertHolder();
    return { usernsPath: `/proc/${this.holderPid}/ns/user`, mountnsPath: `/proc/${this.holderPid}/ns/mnt` };
  }

  /** Valid from this process's own mount namespace too (through the holder's root). */
  netnsPath(name: string): string {
    return `/proc/${this.holderPid}/root/run/netns/${this.fullName(name)}`;
  }

  protected async teardown(): Promise<void> {
    const res = await cleanupUserns(this.prefix, this.usernsId);
    const exited = await Promise.race([
      this.#holderExited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 3000).unref()),
    ]);
    if (res.survivors.length > 0 || !exited) {
      throw new Error(
        `sandbox ${this.prefix}: teardown incomplete (processes left: ${res.survivors.join(', ') || 'none'}${
          exited ? '' : `; holder ${this.holderPid} still running`
        })`,
      );
    }
    removeRecord(this.stateDir, this.prefix);
  }
}

function waitReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(`not ready after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(
        new Error(`cannot create a rootless sandbox: holder ${why}${err.trim() ? `: ${err.trim()}` : ''}`),
      );
    };
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      err = (err + d).slice(-4000);
    });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (/^ready \d+\n/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('error', (e) => fail(`failed to start (${e.message})`));
    // 'close' so stderr has been read when we report
    child.on('close', (code, signal) => fail(signal ? `killed by ${signal}` : `exited with code ${code}`));
  });
}
