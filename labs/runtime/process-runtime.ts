/**
 * The process-only PodRuntime: every container is a real host process (its own session, so the
 * container is the set of processes in it), with no network namespace. Pod IPs come from the
 * node's podCIDR so the API looks right, but nothing listens on them; probes against a pod's ports
 * are answered from what the image says it serves. The netns dataplane replaces all of that with
 * real namespaces and sockets.
 *
 * What a container of an image runs, which tools it finds and how it reacts to its stop signal come
 * from the image catalog (labs/runtime/images). Stop signals follow PID-1 rules: a container whose
 * init does not handle SIGTERM ignores it and is killed after the grace period, as in a real pod.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, isAbsolute } from 'node:path';
import pty from '@lydell/node-pty';
import { hostAddress, intToIp, ipToInt, parseCidr } from '../kube/ipnet.ts';
import {
  builtinCatalog,
  findBusybox,
  hostWhich,
  type ImageCatalog,
  type ImageDefinition,
  type ProgramContext,
  type ResolvedImage,
  resolveTool,
  toolboxPath,
  UnknownImage,
  type VirtualListener,
} from './images/index.ts';
import { InvalidReference } from './images/reference.ts';
import type {
  ContainerConfig,
  ContainerExit,
  ContainerHandle,
  ExecOptions,
  ExecProcess,
  OutputSink,
  PodRuntime,
  ProbeAction,
  ProbeResult,
  PulledImage,
  PullResult,
  Sandbox,
  SandboxConfig,
  TerminalSize,
} from './pod-runtime.ts';
import { RuntimeError } from './pod-runtime.ts';
import {
  forgetContainer,
  initWouldReceive,
  recordContainer,
  signalNumber,
  signalSession,
} from './process-tree.ts';

export interface ProcessRuntimeOptions {
  nodeName: string;
  /** The node's InternalIP: hostNetwork pods get it. */
  nodeIP: string;
  /** The node's pod subnet (flannel's /24): pod IPs come from it, .1 is the bridge. */
  podCIDR: string;
  catalog?: ImageCatalog;
  /** Milliseconds a pull takes. Default: a fast registry (size-proportional; quick when cached). */
  pullTime?: (image: PulledImage, cached: boolean) => number;
  /** Deliver stop signals only when the init handles them, as a PID namespace's init (default true). */
  pid1Signals?: boolean;
  /** User-Agent of HTTP probes, as the kubelet sends it. */
  probeUserAgent?: string;
  /**
   * Where a container's (or exec's) processes run. Default: on the host as they are. A dataplane
   * wraps the command so that it enters the pod's namespaces (labs/netns/pods).
   */
  launcher?: (sandboxId: string, command: LaunchCommand) => LaunchCommand;
}

/** A host command about to start for a container or an exec. */
export interface LaunchCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

export const SANDBOX_IMAGE = 'registry.k8s.io/pause:3.10';
const CONTAINERD_VERSION = 'containerd://1.7.24';
/** The kubelet reads at most this much of an exec probe's output. */
const MAX_PROBE_OUTPUT = 10 * 1024;

function newId(): string {
  return randomBytes(32).toString('hex');
}

function defaultPullTime(image: PulledImage, cached: boolean): number {
  if (cached) return 120 + Math.floor(Math.random() * 150);
  return 250 + Math.floor(image.sizeBytes / 200_000) + Math.floor(Math.random() * 150);
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface ProcSandbox {
  id: string;
  ip: string;
  config: SandboxConfig;
  containers: Set<ProcContainer>;
  /** Offset in the pod CIDR, to give back. */
  offset?: number;
}

/** The host side of a started process: pipes or a pty. */
interface HostProcess {
  pid: number;
  write(chunk: Buffer): void;
  end(): void;
  resize(size: TerminalSize): void;
  /** Exit code (128 + n for a signal) once the process and its session's pipes are done. */
  done: Promise<{ code: number; signal?: string }>;
}

const setpriv = hostWhich('setpriv');

/** Children die with us even on SIGKILL: the init of each container gets a parent-death signal. */
function withParentDeath(file: string, args: string[]): { file: string; args: string[] } {
  return setpriv ? { file: setpriv, args: ['--pdeathsig', 'KILL', '--', file, ...args] } : { file, args };
}

function startHostProcess(
  file: string,
  args: string[],
  opts: { env: Record<string, string>; cwd: string; tty: boolean; stdin: boolean; size?: TerminalSize },
  output: OutputSink,
): Promise<HostProcess> {
  const wrapped = withParentDeath(file, args);
  if (opts.tty) {
    const term = pty.spawn(wrapped.file, wrapped.args, {
      name: 'xterm',
      cols: opts.size?.cols ?? 80,
      rows: opts.size?.rows ?? 24,
      cwd: opts.cwd,
      env: opts.env,
      encoding: null,
    });
    const done = new Promise<{ code: number; signal?: string }>((resolve) => {
      term.onExit(({ exitCode, signal }) => {
        signalSession(term.pid, 'SIGKILL');
        resolve(signal ? { code: 128 + signal, signal: signalFromNumber(signal) } : { code: exitCode });
      });
    });
    term.onData((d) => output('stdout', Buffer.isBuffer(d) ? d : Buffer.from(d)));
    return Promise.resolve({
      pid: term.pid,
      write: (chunk) => term.write(chunk as unknown as string),
      end: () => term.write('\x04'),
      resize: (size) => {
        try {
          term.resize(Math.max(1, size.cols), Math.max(1, size.rows));
        } catch {
          /* exited */
        }
      },
      done,
    });
  }
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(wrapped.file, wrapped.args, {
        cwd: opts.cwd,
        env: opts.env,
        detached: true,
        stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      reject(e);
      return;
    }
    child.stdin?.on('error', () => {});
    child.stdout!.on('data', (d: Buffer) => output('stdout', d));
    child.stderr!.on('data', (d: Buffer) => output('stderr', d));
    const done = new Promise<{ code: number; signal?: string }>((res) => {
      let result: { code: number; signal?: string } | undefined;
      const finish = () => {
        if (result) res(result);
      };
      child.on('exit', (code, signal) => {
        // The init is gone: as in a PID namespace, everything else in the container dies with it.
        signalSession(child.pid!, 'SIGKILL');
        result = signal ? { code: 128 + signalNumber(signal), signal } : { code: code ?? 0 };
        setTimeout(finish, 2000).unref();
      });
      child.on('close', () => setImmediate(finish));
    });
    child.once('error', reject);
    child.once('spawn', () =>
      resolve({
        pid: child.pid!,
        write: (chunk) => {
          if (child.stdin && !child.stdin.destroyed) child.stdin.write(chunk);
        },
        end: () => child.stdin?.end(),
        resize: () => {},
        done,
      }),
    );
  });
}

function signalFromNumber(n: number): string | undefined {
  for (const sig of [
    'SIGHUP',
    'SIGINT',
    'SIGQUIT',
    'SIGKILL',
    'SIGTERM',
    'SIGUSR1',
    'SIGUSR2',
    'SIGWINCH',
    'SIGPIPE',
    'SIGABRT',
  ] as const) {
    if (signalNumber(sig) === n) return sig;
  }
  return undefined;
}

class ProcContainer implements ContainerHandle {
  readonly id: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly tty: boolean;
  readonly exited: Promise<ContainerExit>;
  readonly name: string;
  readonly sandbox: ProcSandbox;
  readonly image: ImageDefinition;
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly listeners: VirtualListener[];
  readonly output: OutputSink;
  readonly execs = new Set<ExecProcess>();
  private readonly proc: HostProcess;
  private readonly stdinEnabled: boolean;
  private readonly pid1Signals: boolean;
  running = true;

  constructor(init: {
    id: string;
    name: string;
    sandbox: ProcSandbox;
    image: ImageDefinition;
    env: Record<string, string>;
    cwd: string;
    listeners: VirtualListener[];
    output: OutputSink;
    proc: HostProcess;
    tty: boolean;
    stdin: boolean;
    pid1Signals: boolean;
  }) {
    this.id = init.id;
    this.name = init.name;
    this.sandbox = init.sandbox;
    this.image = init.image;
    this.env = init.env;
    this.cwd = init.cwd;
    this.listeners = init.listeners;
    this.output = init.output;
    this.proc = init.proc;
    this.pid = init.proc.pid;
    this.tty = init.tty;
    this.stdinEnabled = init.stdin;
    this.pid1Signals = init.pid1Signals;
    this.startedAt = Date.now();
    this.exited = init.proc.done.then(({ code, signal }) => {
      this.running = false;
      for (const e of this.execs) e.kill();
      forgetContainer(this.id);
      return {
        exitCode: code,
        reason: code === 0 ? 'Completed' : 'Error',
        finishedAt: Date.now(),
        signal,
      } as ContainerExit;
    });
  }

  /** Send a signal to the init, honouring PID-1 rules. */
  signal(sig: NodeJS.Signals): void {
    if (!this.running) return;
    if (this.pid1Signals && !initWouldReceive(this.pid, sig)) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      /* gone */
    }
  }

  kill(): void {
    if (this.running) signalSession(this.pid, 'SIGKILL');
  }

  async stop(gracePeriodSeconds: number): Promise<ContainerExit> {
    if (!this.running) return this.exited;
    const sig = this.image.stopSignal ?? 'SIGTERM';
    // A program installs its handlers within moments of starting; a stop that early waits for them.
    while (
      this.pid1Signals &&
      this.running &&
      !initWouldReceive(this.pid, sig) &&
      Date.now() - this.startedAt < 500
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    this.signal(sig);
    const timer = setTimeout(() => this.kill(), Math.max(0, gracePeriodSeconds) * 1000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  writeStdin(chunk: Buffer): void {
    if (this.stdinEnabled && this.running) this.proc.write(chunk);
  }

  closeStdin(): void {
    if (this.stdinEnabled && this.running) this.proc.end();
  }

  resize(size: TerminalSize): void {
    if (this.tty) this.proc.resize(size);
  }
}

/** Docker's rules: command replaces ENTRYPOINT (and drops CMD); args alone replace CMD. */
export function containerArgv(image: ImageDefinition, command?: string[], args?: string[]): string[] {
  if (command?.length) return [...command, ...(args ?? [])];
  if (args?.length) return [...image.entrypoint, ...args];
  return [...image.entrypoint, ...image.cmd];
}

function notFoundMessage(argv0: string): string {
  return isAbsolute(argv0)
    ? `exec: "${argv0}": stat ${argv0}: no such file or directory`
    : `exec: "${argv0}": executable file not found in $PATH`;
}

export class ProcessRuntime implements PodRuntime {
  readonly version = CONTAINERD_VERSION;
  private readonly opts: ProcessRuntimeOptions;
  private readonly catalog: ImageCatalog;
  private readonly images = new Map<string, PulledImage & { definition: ImageDefinition }>();
  private readonly sandboxes = new Map<string, ProcSandbox>();
  private readonly containers = new Map<string, ProcContainer>();
  private readonly usedOffsets = new Set<number>();
  private cursor = 2;
  private readonly cidr: { base: number; size: number };
  private readonly busybox: string;
  private closed = false;

  constructor(opts: ProcessRuntimeOptions) {
    this.opts = opts;
    this.catalog = opts.catalog ?? builtinCatalog();
    this.cidr = parseCidr(opts.podCIDR);
    const bb = findBusybox();
    if (!bb) throw new Error('the process runtime needs busybox on the host (apt-get install busybox)');
    this.busybox = bb;
    const sandboxImage = this.catalog.resolve(SANDBOX_IMAGE, false);
    this.remember(sandboxImage);
  }

  get nodeName(): string {
    return this.opts.nodeName;
  }

  // ---------- images ----------

  private remember(r: ResolvedImage): PulledImage {
    const image = { name: r.name, id: r.id, sizeBytes: r.definition.sizeBytes, definition: r.definition };
    this.images.set(r.name, image);
    return { name: image.name, id: image.id, sizeBytes: image.sizeBytes };
  }

  private lookup(image: string): (PulledImage & { definition: ImageDefinition }) | undefined {
    try {
      const r = this.catalog.resolve(image, true);
      return this.images.get(r.name);
    } catch {
      return undefined;
    }
  }

  imageStatus(image: string): PulledImage | undefined {
    const found = this.lookup(image);
    return found && { name: found.name, id: found.id, sizeBytes: found.sizeBytes };
  }

  async pullImage(image: string, opts: { withCommand?: boolean } = {}): Promise<PullResult> {
    let resolved: ResolvedImage;
    try {
      resolved = this.catalog.resolve(image, !!opts.withCommand);
    } catch (e) {
      if (e instanceof UnknownImage) {
        await delay(300 + Math.floor(Math.random() * 400));
        throw new RuntimeError('ImagePull', e.message);
      }
      if (e instanceof InvalidReference) {
        throw new RuntimeError('ImageInspect', `couldn't parse image name "${image}": ${e.message}`);
      }
      throw e;
    }
    const cached = this.images.has(resolved.name);
    const pulled = { name: resolved.name, id: resolved.id, sizeBytes: resolved.definition.sizeBytes };
    const ms = (this.opts.pullTime ?? defaultPullTime)(pulled, cached);
    if (ms > 0) await delay(ms);
    return { image: this.remember(resolved), pullMs: ms };
  }

  listImages(): PulledImage[] {
    return [...this.images.values()].map(({ name, id, sizeBytes }) => ({ name, id, sizeBytes }));
  }

  // ---------- sandboxes ----------

  private allocateIp(): { ip: string; offset: number } {
    const usable = this.cidr.size - 3; // network, bridge (.1), broadcast
    for (let i = 0; i < usable; i++) {
      const offset = ((this.cursor - 2 + i) % usable) + 2;
      if (!this.usedOffsets.has(offset)) {
        this.usedOffsets.add(offset);
        this.cursor = offset + 1;
        return { ip: intToIp(this.cidr.base + offset), offset };
      }
    }
    throw new RuntimeError(
      'StartError',
      `failed to allocate for range 0: no IP addresses available in range set: ${intToIp(this.cidr.base + 1)}-${intToIp(this.cidr.base + this.cidr.size - 2)}`,
    );
  }

  async createSandbox(config: SandboxConfig): Promise<Sandbox> {
    if (this.closed) throw new RuntimeError('StartError', 'runtime is shut down');
    const id = newId();
    let ip = this.opts.nodeIP;
    let offset: number | undefined;
    if (!config.hostNetwork) ({ ip, offset } = this.allocateIp());
    this.sandboxes.set(id, { id, ip, config, containers: new Set(), offset });
    return { id, ip };
  }

  /**
   * Register a sandbox whose network a dataplane set up: it chose the id and owns the address
   * (the netns runtime's CNI emulation). removeSandbox then only stops its containers.
   */
  adoptSandbox(id: string, config: SandboxConfig, ip: string): Sandbox {
    if (this.closed) throw new RuntimeError('StartError', 'runtime is shut down');
    if (this.sandboxes.has(id)) throw new Error(`sandbox ${id} already exists`);
    this.sandboxes.set(id, { id, ip, config, containers: new Set() });
    return { id, ip };
  }

  private wrap(sandboxId: string, command: LaunchCommand): LaunchCommand {
    return this.opts.launcher ? this.opts.launcher(sandboxId, command) : command;
  }

  async removeSandbox(sandboxId: string): Promise<void> {
    const sb = this.sandboxes.get(sandboxId);
    if (!sb) return;
    await Promise.all([...sb.containers].map((c) => c.stop(0)));
    this.sandboxes.delete(sandboxId);
    if (sb.offset !== undefined) this.usedOffsets.delete(sb.offset);
  }

  // ---------- containers ----------

  private programContext(sb: ProcSandbox, env: Record<string, string>, args: string[]): ProgramContext {
    return { args, env, podIP: sb.ip, hostname: sb.config.hostname, busybox: this.busybox, now: new Date() };
  }

  /** Host file and arguments for a container's argv, following image programs and its PATH. */
  private launch(
    image: ImageDefinition,
    argv: string[],
    ctx: (args: string[]) => ProgramContext,
    failure: (detail: string) => RuntimeError,
  ): { file: string; args: string[] } {
    for (let hops = 0; hops < 4; hops++) {
      if (!argv.length) throw failure('no command specified');
      const [argv0, ...rest] = argv;
      const prog = image.programs?.[argv0] ?? image.programs?.[basename(argv0)];
      if (prog) {
        const run = prog(ctx(rest));
        if ('script' in run) return { file: this.busybox, args: ['sh', '-c', run.script] };
        if ('exec' in run) return { file: run.exec, args: run.args };
        argv = run.argv;
        continue;
      }
      const file = resolveTool(image.toolbox, argv0);
      if (!file) throw failure(notFoundMessage(argv0));
      return { file, args: rest };
    }
    throw failure('too many levels of indirection');
  }

  private containerEnv(
    image: ImageDefinition,
    sb: ProcSandbox,
    config: ContainerConfig,
  ): Record<string, string> {
    const env: Record<string, string> = { PATH: toolboxPath(image.toolbox), HOSTNAME: sb.config.hostname };
    for (const [k, v] of Object.entries(image.env)) env[k] = v;
    for (const { name, value } of config.env) env[name] = value;
    if (config.tty) env.TERM ??= 'xterm';
    env.HOME ??= '/root';
    return env;
  }

  async startContainer(
    sandboxId: string,
    config: ContainerConfig,
    output: OutputSink,
  ): Promise<ContainerHandle> {
    const sb = this.sandboxes.get(sandboxId);
    if (!sb)
      throw new RuntimeError(
        'StartError',
        `failed to create containerd container: sandbox ${sandboxId} not found`,
      );
    const stored = this.images.get(config.image.name);
    if (!stored)
      throw new RuntimeError(
        'StartError',
        `failed to create containerd container: image "${config.image.name}": not found`,
      );
    const image = stored.definition;
    const env = this.containerEnv(image, sb, config);
    const argv = containerArgv(image, config.command, config.args);
    const { file, args } = this.launch(
      image,
      argv,
      (a) => this.programContext(sb, env, a),
      (detail) =>
        new RuntimeError(
          'StartError',
          `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: ${detail}: unknown`,
        ),
    );
    const dir = config.workingDir || image.workingDir;
    const cwd = dir && existsSync(dir) ? dir : '/';
    const id = newId();
    const run = this.wrap(sb.id, { file, args, env, cwd });
    const proc = await startHostProcess(
      run.file,
      run.args,
      { env: run.env, cwd: run.cwd, tty: config.tty, stdin: config.stdin },
      output,
    );
    const c = new ProcContainer({
      id,
      name: config.name,
      sandbox: sb,
      image,
      env,
      cwd,
      listeners: image.listeners?.(argv) ?? [],
      output,
      proc,
      tty: config.tty,
      stdin: config.stdin,
      pid1Signals: this.opts.pid1Signals ?? true,
    });
    if (this.closed || !this.sandboxes.has(sandboxId)) {
      // The sandbox went away while the process was starting.
      c.kill();
      throw new RuntimeError('StartError', `failed to start containerd task: sandbox ${sandboxId} is gone`);
    }
    recordContainer(id, c.pid);
    this.containers.set(id, c);
    sb.containers.add(c);
    void c.exited.then(() => {
      this.containers.delete(id);
      sb.containers.delete(c);
    });
    return c;
  }

  // ---------- exec ----------

  async exec(containerId: string, options: ExecOptions, output: OutputSink): Promise<ExecProcess> {
    const c = this.containers.get(containerId);
    if (!c?.running) throw new RuntimeError('NotFound', `container is not created or running`);
    const argv0 = options.command[0];
    const file = argv0 === undefined ? undefined : resolveTool(c.image.toolbox, argv0);
    if (!file) {
      const detail = argv0 === undefined ? 'no command specified' : notFoundMessage(argv0);
      throw new RuntimeError(
        'ExecFailed',
        `failed to exec in container: failed to start exec "${newId()}": OCI runtime exec failed: exec failed: unable to start container process: ${detail}: unknown`,
      );
    }
    const run = this.wrap(c.sandbox.id, {
      file,
      args: options.command.slice(1),
      env: { ...c.env, ...(options.tty ? { TERM: 'xterm' } : {}) },
      cwd: c.cwd,
    });
    const proc = await startHostProcess(
      run.file,
      run.args,
      { env: run.env, cwd: run.cwd, tty: options.tty, stdin: options.stdin, size: options.size },
      output,
    );
    let alive = true;
    const exec: ExecProcess = {
      writeStdin: (chunk) => proc.write(chunk),
      closeStdin: () => proc.end(),
      resize: (size) => proc.resize(size),
      kill: () => {
        if (alive) signalSession(proc.pid, 'SIGKILL');
      },
      exited: proc.done.then(({ code }) => {
        alive = false;
        c.execs.delete(exec);
        return code;
      }),
    };
    c.execs.add(exec);
    return exec;
  }

  // ---------- probes ----------

  async probe(containerId: string, action: ProbeAction, timeoutSeconds: number): Promise<ProbeResult> {
    const timeoutMs = Math.max(1, timeoutSeconds) * 1000;
    if (action.type === 'exec') return this.execProbe(containerId, action.command, timeoutMs);
    const target = this.findListener(action.host, action.port);
    const hostPort = `${action.host}:${action.port}`;
    if (action.type === 'tcpSocket') {
      if (target === 'unreachable') return { result: 'failure', output: `dial tcp ${hostPort}: i/o timeout` };
      return target
        ? { result: 'success', output: '' }
        : { result: 'failure', output: `dial tcp ${hostPort}: connect: connection refused` };
    }
    if (action.type === 'grpc') {
      return {
        result: 'failure',
        output: `failed to connect service "${hostPort}" within ${timeoutSeconds}s: context deadline exceeded`,
      };
    }
    const url = `${action.scheme.toLowerCase()}://${hostPort}${action.path.startsWith('/') ? '' : '/'}${action.path}`;
    if (target === 'unreachable') {
      return {
        result: 'failure',
        output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      };
    }
    if (!target)
      return { result: 'failure', output: `Get "${url}": dial tcp ${hostPort}: connect: connection refused` };
    const { container, listener } = target;
    if (!listener.http) return { result: 'failure', output: `Get "${url}": EOF` };
    if (action.scheme === 'HTTPS')
      return { result: 'failure', output: `Get "${url}": http: server gave HTTP response to HTTPS client` };
    const ua = action.headers.find((h) => h.name.toLowerCase() === 'user-agent')?.value;
    const answer = listener.http({
      method: 'GET',
      path: action.path.split('?')[0] || '/',
      clientIP: container.sandbox.config.hostNetwork ? this.opts.nodeIP : hostAddress(this.opts.podCIDR, 1),
      clientPort: 32768 + Math.floor(Math.random() * 28000),
      userAgent: ua ?? this.opts.probeUserAgent ?? 'kube-probe/1.32',
      now: new Date(),
    });
    if (answer.log) container.output(answer.log.stream, Buffer.from(`${answer.log.line}\n`));
    if (answer.status >= 200 && answer.status < 400) return { result: 'success', output: '' };
    return { result: 'failure', output: `HTTP probe failed with statuscode: ${answer.status}` };
  }

  /** The running container serving host:port, undefined (refused) or 'unreachable' (not ours). */
  private findListener(
    host: string,
    port: number,
  ): { container: ProcContainer; listener: VirtualListener } | undefined | 'unreachable' {
    const local = host === '127.0.0.1' || host === 'localhost';
    let known = local || host === this.opts.nodeIP;
    for (const sb of this.sandboxes.values()) {
      const match = sb.ip === host || (local && sb.config.hostNetwork);
      if (!match) continue;
      known = true;
      for (const c of sb.containers) {
        if (!c.running) continue;
        const l = c.listeners.find((x) => x.port === port && x.protocol === 'TCP');
        if (l) return { container: c, listener: l };
      }
    }
    if (!known) {
      try {
        known = ipToInt(host) >= this.cidr.base && ipToInt(host) < this.cidr.base + this.cidr.size;
      } catch {
        known = false;
      }
    }
    return known ? undefined : 'unreachable';
  }

  private async execProbe(containerId: string, command: string[], timeoutMs: number): Promise<ProbeResult> {
    const chunks: Buffer[] = [];
    let size = 0;
    let proc: ExecProcess;
    try {
      proc = await this.exec(containerId, { command, tty: false, stdin: false }, (_s, chunk) => {
        if (size < MAX_PROBE_OUTPUT) chunks.push(chunk.subarray(0, MAX_PROBE_OUTPUT - size));
        size += chunk.length;
      });
    } catch (e) {
      if (e instanceof RuntimeError)
        return { result: 'unknown', output: `rpc error: code = Unknown desc = ${e.message}` };
      throw e;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
    });
    const code = await Promise.race([proc.exited, timedOut]);
    clearTimeout(timer);
    if (code === 'timeout') {
      proc.kill();
      return { result: 'failure', output: `command "${command.join(' ')}" timed out` };
    }
    const output = Buffer.concat(chunks).toString('utf8');
    return { result: code === 0 ? 'success' : 'failure', output };
  }

  // ---------- teardown ----------

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.containers.values()) c.kill();
    await Promise.all([...this.containers.values()].map((c) => c.exited));
    this.sandboxes.clear();
    this.usedOffsets.clear();
  }
}
