/**
 * A lab of the netns driver: nodes are network namespaces of one sandbox, with their own files and
 * hostname, kubelets whose pods are namespaces on cni0, and the cluster's components (flannel,
 * kube-proxy, CoreDNS, the apiservers) as agents behind real pods. Everything a learner does on a
 * node - `ip`, `iptables-save`, `curl`, `kubectl` on the control plane - runs in that node's
 * namespace and sees its real kernel state.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import type { ControlPlane } from '../../controlplane/controlplane.ts';
import type { NetnsLab } from '../../netns/build/builder.ts';
import type { NativeSandbox } from '../../netns/sandbox/types.ts';
import type { ImageCatalog } from '../../runtime/images/catalog.ts';
import type { NodeSpec, Topology } from '../../topology/types.ts';
import { topologyNodes } from '../cluster.ts';
import type { Component, ExecOptions, ExecTarget, LabNodeInfo, RunResult } from '../driver.ts';
import {
  type InteractiveLab,
  TargetNotFoundError,
  type Terminal,
  type TerminalOptions,
} from '../lab-driver.ts';
import { execThroughKubelet } from '../pod-exec.ts';
import { runOnHost } from '../process/host-exec.ts';
import type { LabAgents, NodeAgentContext } from './agents/types.ts';
import type { ChangeHub } from './changes.ts';
import type { StaticPod } from './manifests.ts';
import { clearVolatileFiles, isNodePrivate, NODE_PATHS, nodeView } from './node-files.ts';
import { type RunningNode, startNode, stopNode } from './nodes.ts';
import { all, daemonPodsReady, nodesReady, podReady, waitUntil } from './ready.ts';
import type { NetnsEnvironmentSettings } from './settings.ts';
import { createMirrorPods, keepMirrorPods } from './static-pods.ts';
import { nodeTerminal, podTerminal } from './terminal.ts';

const DEFAULT_TIMEOUT_MS = 5 * 60_000;
const SETTLE_TIMEOUT_MS = 60_000;

/** Which pods a component is, as an operator would select them. */
const COMPONENT_PODS: Record<
  Exclude<Component, 'kubelet'>,
  { namespace: string; labels: Record<string, string>; perNode: boolean }
> = {
  flannel: { namespace: 'kube-flannel', labels: { app: 'flannel' }, perNode: true },
  'kube-proxy': { namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' }, perNode: true },
  coredns: { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, perNode: false },
};

export interface NetnsDriverLabInit {
  name: string;
  environment: string;
  dir: string;
  topology: Topology;
  settings: NetnsEnvironmentSettings;
  sandbox: NativeSandbox;
  network: NetnsLab;
  cp: ControlPlane;
  catalog: ImageCatalog;
  agents: LabAgents;
  contexts: Map<string, NodeAgentContext>;
  nodes: Map<string, RunningNode>;
  staticPods: Map<string, StaticPod[]>;
  hub: ChangeHub;
  kubeconfigPath: string;
  /** Milliseconds per build step. */
  timings: Record<string, number>;
}

export class NetnsDriverLab implements InteractiveLab {
  readonly name: string;
  readonly driver = 'netns' as const;
  readonly environment: string;
  readonly kubeconfigPath: string;
  readonly topology: Topology;
  readonly settings: NetnsEnvironmentSettings;
  readonly sandbox: NativeSandbox;
  readonly network: NetnsLab;
  readonly cp: ControlPlane;
  readonly agents: LabAgents;
  readonly timings: Record<string, number>;
  readonly #dir: string;
  readonly #catalog: ImageCatalog;
  readonly #contexts: Map<string, NodeAgentContext>;
  readonly #nodes: Map<string, RunningNode>;
  readonly #staticPods: Map<string, StaticPod[]>;
  readonly #hub: ChangeHub;
  readonly #unkeep: () => void;
  /** Reboots and kubelet restarts in flight, per node: one at a time. */
  readonly #nodeOps = new Map<string, Promise<unknown>>();
  #destroyed?: Promise<void>;

  constructor(init: NetnsDriverLabInit) {
    this.name = init.name;
    this.environment = init.environment;
    this.kubeconfigPath = init.kubeconfigPath;
    this.topology = init.topology;
    this.settings = init.settings;
    this.sandbox = init.sandbox;
    this.network = init.network;
    this.cp = init.cp;
    this.agents = init.agents;
    this.timings = init.timings;
    this.#dir = init.dir;
    this.#catalog = init.catalog;
    this.#contexts = init.contexts;
    this.#nodes = init.nodes;
    this.#staticPods = init.staticPods;
    this.#hub = init.hub;
    this.#unkeep = keepMirrorPods(
      this.cp,
      this.#hub,
      this.#staticPods,
      (n) => this.#nodes.has(n) && !this.#destroyed,
    );
  }

  nodes(): LabNodeInfo[] {
    return topologyNodes(this.topology);
  }

  #node(name: string): NodeSpec {
    const node = this.topology.nodes.find((n) => n.name === name);
    if (!node)
      throw new TargetNotFoundError(
        `lab ${this.name} has no node ${name}; nodes: ${this.topology.nodes.map((n) => n.name).join(', ')}`,
      );
    return node;
  }

  #assertLive(): void {
    if (this.#destroyed) throw new Error(`lab ${this.name} has been destroyed`);
  }

  /** Sandbox-local namespace of a node (for tools that run their own commands). */
  nodeNetns(node: string): string {
    return this.network.netns(this.#node(node).name);
  }

  /** The kubelet of a node, while it runs. */
  kubelet(node: string) {
    return this.#nodes.get(this.#node(node).name)?.kubelet;
  }

  // ---------- commands ----------

  async exec(target: ExecTarget, argv: string[], opts: ExecOptions = {}): Promise<RunResult> {
    this.#assertLive();
    if (argv.length === 0) throw new Error('exec needs a command');
    if ('node' in target) {
      const netns = this.nodeNetns(target.node);
      const started = performance.now();
      const r = await this.sandbox.run(argv, {
        netns,
        input: opts.input,
        timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        env: opts.env,
        allowFailure: true,
      });
      return { ...r, ms: Math.round(performance.now() - started) };
    }
    return this.#execInPod(target, argv, opts);
  }

  #podKubelet(target: Extract<ExecTarget, { pod: unknown }>) {
    const { namespace, name } = target.pod;
    const pod = this.cp.store.tryGet(this.cp.kind('', 'pods'), namespace, name);
    if (!pod) throw new TargetNotFoundError(`pod ${namespace}/${name} not found in lab ${this.name}`);
    const containers = ((pod.spec?.containers ?? []) as { name: string }[]).map((c) => c.name);
    const container = target.container ?? containers[0];
    if (!container || !containers.includes(container))
      throw new TargetNotFoundError(
        `pod ${namespace}/${name} has no container ${container ?? ''}; containers: ${containers.join(', ')}`,
      );
    const nodeName = pod.spec?.nodeName as string | undefined;
    const kubelet = nodeName ? this.#nodes.get(nodeName)?.kubelet : undefined;
    if (!kubelet) throw new Error(`pod ${namespace}/${name} is not running on any node (not scheduled yet?)`);
    return { kubelet, container, ref: { namespace, name } };
  }

  async #execInPod(
    target: Extract<ExecTarget, { pod: unknown }>,
    argv: string[],
    opts: ExecOptions,
  ): Promise<RunResult> {
    const { kubelet, container, ref } = this.#podKubelet(target);
    return execThroughKubelet(kubelet, ref, container, argv, opts);
  }

  /** The real kubectl with the lab's kubeconfig (its own discovery cache per lab). */
  kubectl(args: string[], opts: ExecOptions = {}): Promise<RunResult> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    env.KUBECONFIG = this.kubeconfigPath;
    env.KUBECACHEDIR = join(this.#dir, 'kube-cache');
    return runOnHost(['kubectl', ...args], { ...opts, cwd: this.#dir, baseEnv: env });
  }

  async openTerminal(target: ExecTarget, opts: TerminalOptions): Promise<Terminal> {
    this.#assertLive();
    if ('node' in target) return nodeTerminal(this.sandbox, this.nodeNetns(target.node), opts);
    const { kubelet, container, ref } = this.#podKubelet(target);
    return podTerminal(kubelet, ref, container, opts);
  }

  // ---------- node files ----------

  /** The node file's host path, or undefined when the node sees the host's file at that path. */
  #privatePath(node: string, path: string): string | undefined {
    const clean = normalize(path);
    if (!clean.startsWith('/') || clean.split('/').includes('..'))
      throw new Error(`node file paths are absolute and stay inside the node: ${path}`);
    return isNodePrivate(clean) ? join(this.network.nodeRoot(this.#node(node).name), clean) : undefined;
  }

  async readNodeFile(node: string, path: string): Promise<string> {
    const file = this.#privatePath(node, path);
    if (!file) {
      const r = await this.sandbox.run(['cat', '--', path], {
        netns: this.nodeNetns(node),
        allowFailure: true,
      });
      if (r.code !== 0)
        throw new TargetNotFoundError(`${node}: ${path}: ${r.stderr.trim() || 'cannot read'}`);
      return r.stdout;
    }
    try {
      return await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new TargetNotFoundError(`${node}: ${path}: no such file`);
      throw e;
    }
  }

  async writeNodeFile(node: string, path: string, content: string): Promise<void> {
    const file = this.#privatePath(node, path);
    if (!file)
      throw new Error(
        `${path} on ${node} is the host's file; a node's own files are ${NODE_PATHS.join(', ')}`,
      );
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  }

  // ---------- operator actions ----------

  /** Delete the component's pods (on `node` only, if given) and wait for their replacements. */
  async restart(component: Component, node?: string): Promise<void> {
    this.#assertLive();
    if (node) this.#node(node);
    if (component === 'kubelet') {
      const names = node ? [node] : [...this.#nodes.keys()];
      await Promise.all(names.map((n) => this.#serialNode(n, () => this.#restartKubelet(n, false))));
      return;
    }
    const sel = COMPONENT_PODS[component];
    const podsDef = this.cp.kind('', 'pods');
    const matches = (p: { metadata: { namespace?: string; labels?: Record<string, string> } }) =>
      p.metadata.namespace === sel.namespace &&
      Object.entries(sel.labels).every(([k, v]) => p.metadata.labels?.[k] === v);
    const victims = [...this.cp.store.peek(podsDef)].filter(
      (p) => matches(p) && (!node || p.spec?.nodeName === node) && !p.metadata.deletionTimestamp,
    );
    if (victims.length === 0) return;
    const old = new Set(victims.map((p) => p.metadata.uid));
    const nodes = [...new Set(victims.map((p) => p.spec?.nodeName as string))];
    for (const p of victims) {
      try {
        this.cp.store.delete(podsDef, p.metadata.namespace, p.metadata.name!, {});
      } catch {
        // already gone
      }
    }
    await waitUntil(
      this.#hub,
      () => {
        const fresh = [...this.cp.store.peek(podsDef)].filter(
          (p) => matches(p) && !old.has(p.metadata.uid) && podReady(p),
        );
        if (sel.perNode) {
          const covered = new Set(fresh.map((p) => p.spec?.nodeName));
          const missing = nodes.filter((n) => !covered.has(n));
          if (missing.length) return `new ${component} pods not ready on ${missing.join(', ')}`;
          if (component === 'flannel') {
            const booting = nodes.filter((n) => this.agents.flannel.get(n)?.state !== 'running');
            if (booting.length) return `flanneld not running on ${booting.join(', ')}`;
          }
          return undefined;
        }
        return fresh.length >= victims.length
          ? undefined
          : `${fresh.length}/${victims.length} new ${component} pods ready`;
      },
      { what: `restart of ${component}`, timeoutMs: SETTLE_TIMEOUT_MS },
    );
  }

  /** A reboot: kubelet and pods stop, the network is rebuilt from the node's files, all comes back. */
  reboot(node: string): Promise<void> {
    this.#assertLive();
    const spec = this.#node(node);
    return this.#serialNode(spec.name, () => this.#restartKubelet(spec.name, true));
  }

  #serialNode<T>(node: string, work: () => Promise<T>): Promise<T> {
    const prev = this.#nodeOps.get(node) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(work);
    this.#nodeOps.set(node, next);
    return next;
  }

  async #restartKubelet(node: string, reboot: boolean): Promise<void> {
    const running = this.#nodes.get(node);
    const ctx = this.#contexts.get(node)!;
    const podsDef = this.cp.kind('', 'pods');
    const before = new Set<string>();
    for (const p of this.cp.store.peek(podsDef)) {
      if (p.spec?.nodeName !== node) continue;
      for (const s of (p.status?.containerStatuses ?? []) as { containerID?: string }[])
        if (s.containerID) before.add(s.containerID);
    }
    if (running) {
      this.#nodes.delete(node);
      await stopNode(this.cp, node, running);
    }
    if (reboot) {
      await clearVolatileFiles(ctx.nodeRoot);
      await this.network.rebuildNodeNetwork(node);
    }
    this.sandbox.setView(ctx.nodeNetns, nodeView(ctx.nodeRoot, this.#node(node)));
    const started = await startNode(ctx, this.settings, this.#catalog);
    this.#nodes.set(node, started);
    const staticPods = this.#staticPods.get(node);
    if (staticPods) createMirrorPods(this.cp, node, staticPods);
    // Back when the node is Ready and every pod bound to it runs new containers, ready.
    await waitUntil(
      this.#hub,
      all(nodesReady(this.cp, [node]), () => {
        const stale: string[] = [];
        for (const p of this.cp.store.peek(podsDef)) {
          if (p.spec?.nodeName !== node || p.metadata.deletionTimestamp) continue;
          const phase = p.status?.phase;
          if (phase === 'Succeeded' || phase === 'Failed') continue;
          const statuses = (p.status?.containerStatuses ?? []) as { containerID?: string }[];
          const fresh =
            statuses.length > 0 && statuses.every((s) => s.containerID && !before.has(s.containerID));
          if (!fresh || !podReady(p)) stale.push(`${p.metadata.namespace}/${p.metadata.name}`);
        }
        return stale.length ? `pods not back: ${stale.join(', ')}` : undefined;
      }),
      { what: `${reboot ? 'reboot' : 'kubelet restart'} of ${node}`, timeoutMs: SETTLE_TIMEOUT_MS },
    );
  }

  /** Make kube-proxy on every node catch up with the current Services now (after a change). */
  syncKubeProxies(force = false): Promise<void> {
    return this.agents.syncKubeProxies(force);
  }

  /** Wait until the named DaemonSet-style component is ready on every node. */
  waitComponent(component: Exclude<Component, 'kubelet'>, timeoutMs = SETTLE_TIMEOUT_MS): Promise<void> {
    const sel = COMPONENT_PODS[component];
    return waitUntil(
      this.#hub,
      daemonPodsReady(this.cp, sel.namespace, sel.labels, [...this.#nodes.keys()]),
      {
        what: component,
        timeoutMs,
      },
    );
  }

  // ---------- teardown ----------

  destroy(): Promise<void> {
    this.#destroyed ??= (async () => {
      this.#unkeep();
      const errors: string[] = [];
      const stops = [...this.#nodes].map(([name, n]) => stopNode(this.cp, name, n));
      for (const r of await Promise.allSettled(stops))
        if (r.status === 'rejected') errors.push(String((r.reason as Error)?.message ?? r.reason));
      this.#nodes.clear();
      this.#hub.close();
      await this.cp.stop();
      try {
        await this.sandbox.destroy();
      } catch (e) {
        errors.push((e as Error).message);
      }
      if (errors.length) throw new Error(`lab ${this.name}: teardown incomplete: ${errors.join('; ')}`);
    })();
    return this.#destroyed;
  }
}
