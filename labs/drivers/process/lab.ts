/**
 * A lab of the process driver. There are no network namespaces: a node's "host" is this machine,
 * so `exec` on a node and a node shell run on the host (with KUBECONFIG pointing at the lab and
 * SVC_LABS_NODE naming the node), and node files live under `<lab dir>/nodes/<node>/`. Pod exec
 * goes through the node's kubelet as `kubectl exec` would. Good for developing and testing
 * everything above the driver boundary; not for lessons, whose faults need the netns driver.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { ControlPlane } from '../../controlplane/controlplane.ts';
import type { Kubelet } from '../../runtime/kubelet.ts';
import type { NodeSpec, Topology } from '../../topology/types.ts';
import { topologyNodes } from '../cluster.ts';
import type { Component, ExecOptions, ExecTarget, LabNodeInfo, RunResult } from '../driver.ts';
import {
  type InteractiveLab,
  type LabSpec,
  TargetNotFoundError,
  type Terminal,
  type TerminalOptions,
} from '../lab-driver.ts';
import { execThroughKubelet } from '../pod-exec.ts';
import { hostTerminal, runOnHost } from './host-exec.ts';
import { startKubelet, stopKubelet } from './nodes.ts';

export interface ProcessLabInit {
  spec: LabSpec;
  cp: ControlPlane;
  kubelets: Map<string, Kubelet>;
  kubeconfigPath: string;
}

export class ProcessLab implements InteractiveLab {
  readonly name: string;
  readonly driver = 'process' as const;
  readonly environment: string;
  readonly kubeconfigPath: string;
  private readonly topology: Topology;
  private readonly dir: string;
  private readonly cp: ControlPlane;
  private readonly kubelets: Map<string, Kubelet>;
  private destroyed?: Promise<void>;

  constructor(init: ProcessLabInit) {
    this.name = init.spec.name;
    this.environment = init.spec.environment;
    this.topology = init.spec.topology;
    this.dir = init.spec.dir;
    this.cp = init.cp;
    this.kubelets = init.kubelets;
    this.kubeconfigPath = init.kubeconfigPath;
  }

  nodes(): LabNodeInfo[] {
    return topologyNodes(this.topology);
  }

  private node(name: string): NodeSpec {
    const node = this.topology.nodes.find((n) => n.name === name);
    if (!node)
      throw new TargetNotFoundError(
        `lab ${this.name} has no node ${name}; nodes: ${this.topology.nodes.map((n) => n.name).join(', ')}`,
      );
    return node;
  }

  private nodeDir(node: string): string {
    return join(this.dir, 'nodes', this.node(node).name);
  }

  /** What a host command sees: the lab's kubeconfig, and which "node" it stands for. */
  private hostEnv(node: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    return {
      ...env,
      KUBECONFIG: this.kubeconfigPath,
      KUBECACHEDIR: join(this.dir, 'kube-cache'),
      SVC_LABS_LAB: this.name,
      SVC_LABS_NODE: node,
    };
  }

  async exec(target: ExecTarget, argv: string[], opts: ExecOptions = {}): Promise<RunResult> {
    if (argv.length === 0) throw new Error('exec needs a command');
    if ('node' in target) {
      const cwd = this.nodeDir(target.node);
      mkdirSync(cwd, { recursive: true });
      return runOnHost(argv, { ...opts, cwd, baseEnv: this.hostEnv(target.node) });
    }
    return this.execInPod(target, argv, opts);
  }

  private podKubelet(target: Extract<ExecTarget, { pod: unknown }>): {
    kubelet: Kubelet;
    container: string;
    ref: { namespace: string; name: string };
  } {
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
    const kubelet = nodeName ? this.kubelets.get(nodeName) : undefined;
    if (!kubelet) throw new Error(`pod ${namespace}/${name} is not running on any node (not scheduled yet?)`);
    return { kubelet, container, ref: { namespace, name } };
  }

  private async execInPod(
    target: Extract<ExecTarget, { pod: unknown }>,
    argv: string[],
    opts: ExecOptions,
  ): Promise<RunResult> {
    const { kubelet, container, ref } = this.podKubelet(target);
    return execThroughKubelet(kubelet, ref, container, argv, opts);
  }

  async openTerminal(target: ExecTarget, opts: TerminalOptions): Promise<Terminal> {
    if ('node' in target) {
      const cwd = this.nodeDir(target.node);
      mkdirSync(cwd, { recursive: true });
      const env = this.hostEnv(target.node);
      env.TERM = 'xterm-256color';
      // A prompt that says which lab node this shell stands for, though it runs on the host.
      env.PS1 = `${target.node}(${this.name}):\\w\\$ `;
      const argv = opts.command?.length ? opts.command : ['/bin/bash', '--noprofile', '--norc', '-i'];
      return hostTerminal(argv, { ...opts, cwd, env });
    }
    const { kubelet, container, ref } = this.podKubelet(target);
    const listeners: ((chunk: Buffer) => void)[] = [];
    const early: Buffer[] = [];
    const proc = await kubelet.exec(
      ref,
      container,
      { command: opts.command?.length ? opts.command : ['sh'], tty: true, stdin: true, size: opts },
      (_stream, chunk) => {
        if (listeners.length === 0) early.push(chunk);
        for (const l of listeners) l(chunk);
      },
    );
    return {
      onData: (listener) => {
        listeners.push(listener);
        for (const chunk of early.splice(0)) listener(chunk);
      },
      write: (data) => proc.writeStdin(Buffer.isBuffer(data) ? data : Buffer.from(data)),
      resize: (size) => proc.resize(size),
      close: () => proc.kill(),
      exited: proc.exited,
    };
  }

  kubectl(args: string[], opts: ExecOptions = {}): Promise<RunResult> {
    const env = this.hostEnv('');
    delete env.SVC_LABS_NODE;
    return runOnHost(['kubectl', ...args], { ...opts, cwd: this.dir, baseEnv: env });
  }

  /** A node file's place on the host; the path must be absolute and stay inside the node. */
  private nodeFile(node: string, path: string): string {
    const clean = normalize(path);
    if (!clean.startsWith('/') || clean.split('/').includes('..'))
      throw new Error(`node file paths are absolute and stay inside the node: ${path}`);
    return join(this.nodeDir(node), clean);
  }

  async readNodeFile(node: string, path: string): Promise<string> {
    const file = this.nodeFile(node, path);
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new TargetNotFoundError(`${node}: ${path}: no such file`);
      throw e;
    }
  }

  async writeNodeFile(node: string, path: string, content: string): Promise<void> {
    const file = this.nodeFile(node, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }

  async restart(component: Component, node?: string): Promise<void> {
    if (component !== 'kubelet')
      throw new Error(`the process driver runs no ${component}: it has no node agents or add-ons`);
    const names = node ? [this.node(node).name] : [...this.kubelets.keys()];
    // Stopping a process-runtime kubelet stops its containers too, so this is as much as a reboot.
    await Promise.all(names.map((n) => this.reboot(n)));
  }

  async reboot(node: string): Promise<void> {
    const spec = this.node(node);
    const old = this.kubelets.get(spec.name);
    if (old) await stopKubelet(this.cp, spec.name, old);
    this.kubelets.delete(spec.name);
    this.kubelets.set(spec.name, await startKubelet(this.cp, this.topology, spec));
  }

  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      const stops = [...this.kubelets].map(([name, k]) => stopKubelet(this.cp, name, k));
      await Promise.allSettled(stops);
      this.kubelets.clear();
      await this.cp.stop();
    })();
    return this.destroyed;
  }
}
