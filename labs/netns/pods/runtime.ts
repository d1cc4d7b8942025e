/**
 * NetnsPodRuntime: pods as real network namespaces on a lab node.
 *
 * - A sandbox is a network namespace `cni-<uuid>` cabled to the node's cni0 by the CNI emulation
 *   (cni.ts), from the node's own /etc/cni/net.d and /run/flannel/subnet.env at creation time.
 *   hostNetwork pods get no namespace: they run in the node's, with the node's address.
 * - Containers are the process runtime's (images, stdio, logs, stop signals, exit codes), started
 *   through `nsutil exec` inside the pod's namespace with the pod's hostname and its resolv.conf,
 *   hosts and hostname files bound over /etc.
 * - What an image serves is real sockets in the pod's namespace, answered by this process.
 * - HTTP and TCP probes are made from the node's namespace against the pod's address; exec probes
 *   run inside the pod.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { builtinCatalog, type ImageCatalog, type ImageDefinition } from '../../runtime/images/index.ts';
import type {
  ContainerConfig,
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
} from '../../runtime/pod-runtime.ts';
import { RuntimeError } from '../../runtime/pod-runtime.ts';
import {
  containerArgv,
  type LaunchCommand,
  ProcessRuntime,
  type ProcessRuntimeOptions,
} from '../../runtime/process-runtime.ts';
import type { NativeSandbox, NetnsView } from '../sandbox/types.ts';
import { CniNode, type CniPlan, type PodNetwork } from './cni.ts';
import { CniError } from './cni-config.ts';
import { type PodFiles, podHostname, removePodFiles, writePodFiles } from './pod-files.ts';
import { networkProbe } from './probes.ts';
import { type ServedPorts, servePorts } from './serving.ts';

export interface NetnsPodRuntimeOptions {
  sandbox: NativeSandbox;
  nodeName: string;
  /** Sandbox-local name of the node's network namespace (NetnsLab.netns(node)). */
  nodeNetns: string;
  /** The node's InternalIP: hostNetwork pods get it. */
  nodeIP: string;
  /** Host directory of the node's files (NetnsLab.nodeRoot(node)). */
  nodeRoot: string;
  /**
   * The node's podCIDR as the API has it. Pod addresses come from flannel's subnet.env; this only
   * feeds the process machinery's bookkeeping.
   */
  podCIDR: string;
  /** The node's hostname (hostNetwork pods share it). Default: nodeName. */
  nodeHostname?: string;
  catalog?: ImageCatalog;
  pullTime?: ProcessRuntimeOptions['pullTime'];
  pid1Signals?: boolean;
  /** User-Agent of HTTP probes. Default `kube-probe/1.32`. */
  probeUserAgent?: string;
}

interface PodState {
  id: string;
  config: SandboxConfig;
  ip: string;
  hostname: string;
  /** Sandbox-local namespace name; undefined for hostNetwork pods. */
  netns?: string;
  net?: PodNetwork;
  files: PodFiles;
  /** How the pod's processes see the machine (for hostNetwork pods, applied on the node's namespace). */
  view: NetnsView;
  containers: Map<string, ServedPorts>;
}

/** Environment of the sandbox's own tooling that a container also needs (the rootless iptables lock). */
const PASS_THROUGH_ENV = ['XTABLES_LOCKFILE'];

export class NetnsPodRuntime implements PodRuntime {
  readonly version: string;
  readonly nodeName: string;
  readonly #opts: NetnsPodRuntimeOptions;
  readonly #sandbox: NativeSandbox;
  readonly #catalog: ImageCatalog;
  readonly #inner: ProcessRuntime;
  readonly #cni: CniNode;
  readonly #pods = new Map<string, PodState>();
  /** Sandbox creations under way, which close() waits for. */
  readonly #creating = new Set<Promise<Sandbox>>();
  #closed = false;

  constructor(opts: NetnsPodRuntimeOptions) {
    this.#opts = opts;
    this.#sandbox = opts.sandbox;
    this.nodeName = opts.nodeName;
    this.#catalog = opts.catalog ?? builtinCatalog();
    this.#inner = new ProcessRuntime({
      nodeName: opts.nodeName,
      nodeIP: opts.nodeIP,
      podCIDR: opts.podCIDR,
      catalog: this.#catalog,
      pullTime: opts.pullTime,
      pid1Signals: opts.pid1Signals,
      probeUserAgent: opts.probeUserAgent,
      launcher: (sandboxId, command) => this.#launch(sandboxId, command),
    });
    this.version = this.#inner.version;
    this.#cni = new CniNode({ sandbox: opts.sandbox, nodeNetns: opts.nodeNetns, nodeRoot: opts.nodeRoot });
  }

  get nodeHostname(): string {
    return this.#opts.nodeHostname ?? this.#opts.nodeName;
  }

  // ---------- images: the node's image store is the process runtime's ----------

  imageStatus(image: string): PulledImage | undefined {
    return this.#inner.imageStatus(image);
  }

  pullImage(image: string, opts?: { withCommand?: boolean }): Promise<PullResult> {
    return this.#inner.pullImage(image, opts);
  }

  listImages(): PulledImage[] {
    return this.#inner.listImages();
  }

  // ---------- network status ----------

  /**
   * Whether the runtime has a pod network (a CNI configuration it can load), with the kubelet's
   * NetworkReady message when not: what a node agent feeds to Kubelet.setNetworkReady.
   */
  async networkReady(): Promise<{ ready: boolean; message?: string }> {
    const s = await this.#cni.networkStatus();
    return s.ready
      ? { ready: true }
      : { ready: false, message: `Network plugin returns error: ${s.message}` };
  }

  // ---------- sandboxes ----------

  async createSandbox(config: SandboxConfig): Promise<Sandbox> {
    if (this.#closed) throw new RuntimeError('StartError', 'runtime is shut down');
    const id = randomBytes(32).toString('hex');
    const creating = config.hostNetwork
      ? this.#createHostNetworkSandbox(id, config)
      : this.#createPodNetworkSandbox(id, config);
    this.#creating.add(creating);
    try {
      const sandbox = await creating;
      if (this.#closed) {
        // close() ran meanwhile and did not see this one
        await this.removeSandbox(sandbox.id);
        throw new RuntimeError('StartError', 'runtime is shut down');
      }
      return sandbox;
    } finally {
      this.#creating.delete(creating);
    }
  }

  async #createPodNetworkSandbox(id: string, config: SandboxConfig): Promise<Sandbox> {
    let plan: CniPlan;
    try {
      plan = await this.#cni.plan();
    } catch (e) {
      throw e instanceof CniError ? new RuntimeError('StartError', e.message) : e;
    }
    // containerd's name for a pod's namespace; the sandbox adds its prefix.
    const netns = `cni-${randomUUID()}`;
    await this.#sandbox.addNetns(netns);
    let net: PodNetwork | undefined;
    let files: PodFiles | undefined;
    try {
      net = await this.#cni.add(id, netns, plan);
      const hostname = podHostname(config.hostname);
      files = await writePodFiles({
        nodeRoot: this.#opts.nodeRoot,
        sandboxId: id,
        podUid: config.uid,
        ip: net.ip,
        hostname,
        hostNetwork: false,
        dns: config.dns,
        nodeHostname: this.nodeHostname,
      });
      const view: NetnsView = { hostname, sysfs: true, binds: files.binds };
      this.#sandbox.setView(netns, view);
      const pod: PodState = {
        id,
        config,
        ip: net.ip,
        hostname,
        netns,
        net,
        files,
        view,
        containers: new Map(),
      };
      this.#pods.set(id, pod);
      return this.#inner.adoptSandbox(id, { ...config, hostname }, net.ip);
    } catch (e) {
      this.#pods.delete(id);
      if (files) await removePodFiles(files).catch(() => {});
      if (net) await this.#cni.del(net).catch(() => {});
      await this.#sandbox.deleteNetns(netns).catch(() => {});
      throw e instanceof CniError ? new RuntimeError('StartError', e.message) : e;
    }
  }

  async #createHostNetworkSandbox(id: string, config: SandboxConfig): Promise<Sandbox> {
    const hostname = this.nodeHostname;
    const files = await writePodFiles({
      nodeRoot: this.#opts.nodeRoot,
      sandboxId: id,
      podUid: config.uid,
      ip: this.#opts.nodeIP,
      hostname,
      hostNetwork: true,
      dns: config.dns,
      nodeHostname: hostname,
    });
    const view: NetnsView = { hostname, sysfs: true, binds: files.binds };
    this.#pods.set(id, { id, config, ip: this.#opts.nodeIP, hostname, files, view, containers: new Map() });
    return this.#inner.adoptSandbox(id, { ...config, hostname }, this.#opts.nodeIP);
  }

  async removeSandbox(sandboxId: string): Promise<void> {
    const pod = this.#pods.get(sandboxId);
    // Forgotten at once, so that a second removal under way finds nothing to undo.
    this.#pods.delete(sandboxId);
    await this.#inner.removeSandbox(sandboxId);
    if (!pod) return;
    for (const served of pod.containers.values()) served.close();
    pod.containers.clear();
    const steps: Promise<unknown>[] = [removePodFiles(pod.files)];
    if (pod.net) {
      const net = pod.net;
      steps.push(this.#cni.del(net).then(() => this.#sandbox.deleteNetns(net.netns)));
    }
    await Promise.all(steps);
  }

  /** Network facts of a running pod sandbox (for tools, graders and tests). */
  podNetwork(sandboxId: string): Readonly<PodNetwork> | undefined {
    return this.#pods.get(sandboxId)?.net;
  }

  /** Sandbox-local namespace of a pod (the node's for hostNetwork pods). */
  podNetns(sandboxId: string): string | undefined {
    const pod = this.#pods.get(sandboxId);
    if (!pod) return undefined;
    return pod.netns ?? this.#opts.nodeNetns;
  }

  // ---------- containers ----------

  async startContainer(
    sandboxId: string,
    config: ContainerConfig,
    output: OutputSink,
  ): Promise<ContainerHandle> {
    const pod = this.#pods.get(sandboxId);
    const handle = await this.#inner.startContainer(sandboxId, config, output);
    if (!pod) return handle;
    const image = this.#catalog.resolve(config.image.name, true).definition;
    const argv = containerArgv(image, config.command, config.args);
    if (servesPorts(image, argv)) {
      const served = await servePorts(image, argv, {
        broker: this.#sandbox.broker(),
        netnsPath: this.#sandbox.netnsPath(pod.netns ?? this.#opts.nodeNetns),
        hostname: pod.hostname,
        output,
      });
      pod.containers.set(handle.id, served);
      void handle.exited.then(() => {
        served.close();
        pod.containers.delete(handle.id);
      });
    }
    return handle;
  }

  exec(containerId: string, options: ExecOptions, output: OutputSink): Promise<ExecProcess> {
    return this.#inner.exec(containerId, options, output);
  }

  // ---------- probes ----------

  async probe(containerId: string, action: ProbeAction, timeoutSeconds: number): Promise<ProbeResult> {
    if (action.type === 'exec') return this.#inner.probe(containerId, action, timeoutSeconds);
    return networkProbe(
      {
        broker: this.#sandbox.broker(),
        netnsPath: this.#sandbox.netnsPath(this.#opts.nodeNetns),
        userAgent: this.#opts.probeUserAgent ?? 'kube-probe/1.32',
      },
      action,
      timeoutSeconds,
    );
  }

  // ---------- processes inside the pod ----------

  /** The process runtime's host command, entering the pod's namespaces through nsutil exec. */
  #launch(sandboxId: string, command: LaunchCommand): LaunchCommand {
    const pod = this.#pods.get(sandboxId);
    if (!pod) throw new RuntimeError('StartError', `sandbox ${sandboxId} has no network namespace`);
    const argv = [command.file, ...command.args];
    let spec: { file: string; args: string[]; env: Record<string, string> };
    if (pod.netns) {
      spec = this.#sandbox.commandFor(argv, { netns: pod.netns, cwd: command.cwd });
    } else {
      // The node's namespace with the pod's own view: enter bare, then add the view's options.
      const bare = this.#sandbox.commandFor(argv, {
        netns: this.#opts.nodeNetns,
        bare: true,
        cwd: command.cwd,
      });
      spec = { ...bare, args: withView(bare.args, pod.view) };
    }
    const env: Record<string, string> = {};
    for (const k of PASS_THROUGH_ENV) if (spec.env[k] !== undefined) env[k] = spec.env[k];
    return { file: spec.file, args: spec.args, env: { ...env, ...command.env }, cwd: command.cwd };
  }

  // ---------- teardown ----------

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#creating]);
    await this.#inner.close();
    await Promise.allSettled([...this.#pods.keys()].map((id) => this.removeSandbox(id)));
  }
}

/** nsutil exec options for a view, inserted before the `--` that ends them. */
function withView(args: string[], view: NetnsView): string[] {
  const opts: string[] = [];
  if (view.sysfs !== false) opts.push('--remount-sys');
  if (view.hostname) opts.push('--hostname', view.hostname);
  for (const b of view.binds ?? []) opts.push('--bind', `${b.source}:${b.target}`);
  const end = args.indexOf('--');
  return [...args.slice(0, end), ...opts, ...args.slice(end)];
}

/**
 * Whether the container runs the image's own server: an httpd image told to run `sleep` serves
 * nothing. Images without programs of their own serve whatever they declare.
 */
function servesPorts(image: ImageDefinition, argv: string[]): boolean {
  if (!image.listeners?.(argv).length) return false;
  if (!image.programs) return true;
  const argv0 = argv[0] ?? '';
  return argv0 in image.programs || basename(argv0) in image.programs;
}
