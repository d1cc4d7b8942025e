/**
 * The PodRuntime of a netns node: pods are NetnsPodRuntime's (namespaces on cni0, real sockets),
 * and containers of the cluster's own images run their agent beside the image's idle placeholder:
 *
 *   flannel `install-cni-plugin`    -> nothing to copy: succeeds
 *   flannel `install-cni` (cp)      -> the ConfigMap's cni-conf.json written to /etc/cni/net.d
 *   flannel `kube-flannel`          -> FlannelAgent
 *   kube-proxy                      -> KubeProxyAgent
 *   coredns                         -> CoreDnsServer on the pod's sockets
 *   kube-apiserver                  -> the lab's API on a listener in the node
 *
 * The placeholder makes `kubectl exec` work; the agent's log lines go into the container's log;
 * an agent that exits on its own ends the container with its exit code (so the kubelet restarts
 * it, CrashLoopBackOff and all), and stopping the container stops the agent first.
 *
 * The runtime also knows when the node's pod network is up (flannel wrote subnet.env and the CNI
 * configuration loads): it tells the kubelet (node Ready) and lets pod sandboxes that waited for it
 * go ahead, instead of failing them into the kubelet's 10 s retry.
 */
import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetnsPodRuntime } from '../../netns/pods/runtime.ts';
import type { ImageCatalog } from '../../runtime/images/catalog.ts';
import {
  corednsImage,
  flannelCniPluginImage,
  flannelImage,
  kubeApiserverImage,
  kubeProxyImage,
} from '../../runtime/images/system.ts';
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
} from '../../runtime/pod-runtime.ts';
import { containerArgv } from '../../runtime/process-runtime.ts';
import { isKubeApiserver, launchApiserver } from './agents/apiserver.ts';
import { isCoreDns, launchCoreDns } from './agents/coredns.ts';
import { isFlanneld, isInstallCni, launchFlannel, runInstallCni } from './agents/flannel.ts';
import { isKubeProxy, launchKubeProxy } from './agents/kube-proxy.ts';
import type { AgentLaunch, AgentLauncher, NodeAgentContext, RunningAgent } from './agents/types.ts';
import { podOf } from './mounts.ts';

/** How long a pod sandbox waits for the node's pod network before failing as containerd would. */
const NETWORK_WAIT_MS = 5000;
const SUBNET_ENV = '/run/flannel/subnet.env';

/** A container whose main process is an agent in this process, with a placeholder beside it. */
class AgentContainer implements ContainerHandle {
  readonly id: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly tty: boolean;
  readonly exited: Promise<ContainerExit>;
  readonly #inner: ContainerHandle;
  readonly #agent: RunningAgent;
  #stopping = false;

  constructor(inner: ContainerHandle, agent: RunningAgent) {
    this.#inner = inner;
    this.#agent = agent;
    this.id = inner.id;
    this.pid = inner.pid;
    this.startedAt = inner.startedAt;
    this.tty = inner.tty;
    this.exited = this.#watch();
  }

  async #watch(): Promise<ContainerExit> {
    const first = await Promise.race([
      this.#inner.exited.then((exit) => ({ by: 'container' as const, exit })),
      this.#agent.exited.then((code) => ({ by: 'agent' as const, code })),
    ]);
    if (first.by === 'agent') {
      if (this.#stopping) return this.#inner.exited;
      // The "process" died: the container goes with it, with the agent's exit code.
      await this.#inner.stop(0);
      return {
        exitCode: first.code,
        reason: first.code === 0 ? 'Completed' : 'Error',
        finishedAt: Date.now(),
      };
    }
    // The placeholder ended (stopped, killed, the node went down): so does the agent.
    await this.#agent.stop(this.#stopping);
    return first.exit;
  }

  async stop(gracePeriodSeconds: number): Promise<ContainerExit> {
    this.#stopping = true;
    await this.#agent.stop(true);
    await this.#inner.stop(gracePeriodSeconds);
    return this.exited;
  }

  /** The node goes down: the agent is killed, not asked to clean up. */
  async kill(): Promise<void> {
    await this.#agent.stop(false);
  }

  writeStdin(chunk: Buffer): void {
    this.#inner.writeStdin(chunk);
  }

  closeStdin(): void {
    this.#inner.closeStdin();
  }

  resize(size: TerminalSize): void {
    this.#inner.resize(size);
  }
}

/**
 * A container that ran to completion at once: its work (copying a file) was done by the daemon.
 * It has no process left, so `pid` is 0 and stdin, resize and stop have nothing to act on.
 */
class FinishedContainer implements ContainerHandle {
  readonly id = randomBytes(32).toString('hex');
  readonly pid = 0;
  readonly startedAt = Date.now();
  readonly tty = false;
  readonly exited: Promise<ContainerExit>;

  constructor(exitCode: number) {
    this.exited = Promise.resolve({
      exitCode,
      reason: exitCode === 0 ? 'Completed' : 'Error',
      finishedAt: Date.now(),
    });
  }

  stop(): Promise<ContainerExit> {
    return this.exited;
  }

  writeStdin(): void {}
  closeStdin(): void {}
  resize(): void {}
}

export interface AgentPodRuntimeOptions {
  inner: NetnsPodRuntime;
  catalog: ImageCatalog;
  ctx: NodeAgentContext;
  /** The node's pod network came up (first time after the runtime started). */
  onNetworkReady?: () => void;
}

export class AgentPodRuntime implements PodRuntime {
  readonly version: string;
  readonly #inner: NetnsPodRuntime;
  readonly #catalog: ImageCatalog;
  readonly #ctx: NodeAgentContext;
  readonly #onNetworkReady: (() => void) | undefined;
  readonly #sandboxes = new Map<string, SandboxConfig>();
  readonly #agents = new Set<AgentContainer>();
  #networkReady = false;
  #networkWaiters = new Set<() => void>();
  #closed = false;

  constructor(opts: AgentPodRuntimeOptions) {
    this.#inner = opts.inner;
    this.#catalog = opts.catalog;
    this.#ctx = opts.ctx;
    this.#onNetworkReady = opts.onNetworkReady;
    this.version = opts.inner.version;
  }

  get inner(): NetnsPodRuntime {
    return this.#inner;
  }

  get networkReady(): boolean {
    return this.#networkReady;
  }

  imageStatus(image: string): PulledImage | undefined {
    return this.#inner.imageStatus(image);
  }

  pullImage(image: string, opts?: { withCommand?: boolean }): Promise<PullResult> {
    return this.#inner.pullImage(image, opts);
  }

  listImages(): PulledImage[] {
    return this.#inner.listImages();
  }

  // ---------- pod network ----------

  /** Re-check whether pods can get a network now (flannel running, CNI configuration in place). */
  async checkNetwork(): Promise<boolean> {
    if (this.#networkReady) return true;
    const [cni, subnet] = await Promise.all([
      this.#inner.networkReady(),
      access(join(this.#ctx.nodeRoot, SUBNET_ENV)).then(
        () => true,
        () => false,
      ),
    ]);
    if (!cni.ready || !subnet || this.#networkReady || this.#closed) return this.#networkReady;
    this.#networkReady = true;
    for (const wake of this.#networkWaiters) wake();
    this.#networkWaiters.clear();
    this.#onNetworkReady?.();
    return true;
  }

  #waitForNetwork(ms: number): Promise<void> {
    if (this.#networkReady) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#networkWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.#networkWaiters.add(wake);
    });
  }

  // ---------- sandboxes ----------

  async createSandbox(config: SandboxConfig): Promise<Sandbox> {
    if (!config.hostNetwork && !this.#networkReady) await this.#waitForNetwork(NETWORK_WAIT_MS);
    const sb = await this.#inner.createSandbox(config);
    this.#sandboxes.set(sb.id, config);
    return sb;
  }

  async removeSandbox(sandboxId: string): Promise<void> {
    await this.#inner.removeSandbox(sandboxId);
    this.#sandboxes.delete(sandboxId);
  }

  // ---------- containers ----------

  async startContainer(
    sandboxId: string,
    config: ContainerConfig,
    output: OutputSink,
  ): Promise<ContainerHandle> {
    const image = this.#catalog.resolve(config.image.name, true).definition;
    const argv = containerArgv(image, config.command, config.args);
    const launch = (): AgentLaunch => this.#launch(sandboxId, config, argv, output);
    if (image === flannelCniPluginImage) return this.#oneShot(sandboxId, config, output, { code: 0 });
    if (image === flannelImage && isInstallCni(argv))
      return this.#oneShot(sandboxId, config, output, await runInstallCni(launch()));
    if (image === flannelImage && isFlanneld(argv))
      return this.#withAgent(sandboxId, config, output, launch, (l) =>
        launchFlannel(l, () => void this.checkNetwork()),
      );
    if (image === kubeProxyImage && isKubeProxy(argv))
      return this.#withAgent(sandboxId, config, output, launch, launchKubeProxy);
    if (image === corednsImage && isCoreDns(argv))
      return this.#withAgent(sandboxId, config, output, launch, launchCoreDns);
    if (image === kubeApiserverImage && isKubeApiserver(argv))
      return this.#withAgent(sandboxId, config, output, launch, launchApiserver);
    return this.#inner.startContainer(sandboxId, config, output);
  }

  #launch(sandboxId: string, config: ContainerConfig, argv: string[], output: OutputSink): AgentLaunch {
    const sb = this.#sandboxes.get(sandboxId);
    return {
      ctx: this.#ctx,
      pod: sb ? podOf(this.#ctx.cp, sb) : undefined,
      container: config,
      argv,
      netns: this.#inner.podNetns(sandboxId) ?? this.#ctx.nodeNetns,
      podIP: this.#inner.podNetwork(sandboxId)?.ip ?? this.#ctx.nodeIP,
      log: (stream, line) => output(stream, Buffer.from(`${line}\n`)),
    };
  }

  /**
   * A container whose whole work was done in this process (an init container's copy): it has
   * already run to completion when it is reported started, with `stderr` as its output.
   */
  #oneShot(
    _sandboxId: string,
    _config: ContainerConfig,
    output: OutputSink,
    result: { code: number; stderr?: string },
  ): Promise<ContainerHandle> {
    if (result.stderr) output('stderr', Buffer.from(`${result.stderr}\n`));
    return Promise.resolve(new FinishedContainer(result.code));
  }

  async #withAgent(
    sandboxId: string,
    config: ContainerConfig,
    output: OutputSink,
    launch: () => AgentLaunch,
    start: AgentLauncher,
  ): Promise<ContainerHandle> {
    const inner = await this.#inner.startContainer(sandboxId, config, output);
    let agent: RunningAgent;
    try {
      agent = await start(launch());
    } catch (e) {
      const line = `${(e as Error).message}\n`;
      output('stderr', Buffer.from(line));
      agent = { exited: Promise.resolve(1), stop: async () => {} };
    }
    const handle = new AgentContainer(inner, agent);
    this.#agents.add(handle);
    void handle.exited.finally(() => this.#agents.delete(handle));
    return handle;
  }

  exec(containerId: string, options: ExecOptions, output: OutputSink): Promise<ExecProcess> {
    return this.#inner.exec(containerId, options, output);
  }

  probe(containerId: string, action: ProbeAction, timeoutSeconds: number): Promise<ProbeResult> {
    return this.#inner.probe(containerId, action, timeoutSeconds);
  }

  /** The node goes down: agents are killed where they stand, then every pod is torn down. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#networkWaiters) wake();
    this.#networkWaiters.clear();
    await Promise.allSettled([...this.#agents].map((a) => a.kill()));
    await this.#inner.close();
    this.#sandboxes.clear();
  }
}
