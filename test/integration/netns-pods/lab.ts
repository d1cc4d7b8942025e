/**
 * A virtualbox-3node lab on the real kernel with one NetnsPodRuntime per node, for the netns-pods
 * suites. The tests play flannel's part themselves: they write each node's subnet.env and
 * 10-flannel.conflist (or leave them out) the way flanneld and its init container do.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { VIRTUALBOX_NODES, virtualbox3Node } from '../../../labs/environments/index.ts';
import { buildLab, type NetnsLab } from '../../../labs/netns/build/index.ts';
import { NetnsPodRuntime } from '../../../labs/netns/pods/index.ts';
import type { ContainerHandle, Sandbox, SandboxConfig } from '../../../labs/runtime/pod-runtime.ts';
import { createTestSandbox, type TestSandbox } from '../netns-build/sandbox.ts';

export const CLUSTER_DNS = '10.96.0.10';
export const IT_WORKS = '<html><body><h1>It works!</h1></body></html>\n';

export function conflist(hairpinMode: boolean): string {
  return `${JSON.stringify(
    {
      name: 'cbr0',
      cniVersion: '0.3.1',
      plugins: [
        { type: 'flannel', delegate: { hairpinMode, isDefaultGateway: true } },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

export function subnetEnv(index: number): string {
  return `FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.${index}.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n`;
}

export interface PodSpec {
  name: string;
  image: string;
  namespace?: string;
  command?: string[];
  args?: string[];
  hostNetwork?: boolean;
  tty?: boolean;
  stdin?: boolean;
}

export interface RunningPod {
  node: string;
  runtime: NetnsPodRuntime;
  sandbox: Sandbox;
  handle: ContainerHandle;
  /** Everything the container wrote so far. */
  logs(): string;
}

export class PodLab {
  readonly box: TestSandbox;
  readonly lab: NetnsLab;
  readonly labDir: string;
  readonly runtimes = new Map<string, NetnsPodRuntime>();

  private constructor(box: TestSandbox, lab: NetnsLab, labDir: string) {
    this.box = box;
    this.lab = lab;
    this.labDir = labDir;
    VIRTUALBOX_NODES.forEach((n, i) => {
      this.runtimes.set(
        n.name,
        new NetnsPodRuntime({
          sandbox: box.sandbox,
          nodeName: n.name,
          nodeNetns: lab.netns(n.name),
          nodeIP: n.hostOnly,
          nodeRoot: lab.nodeRoot(n.name),
          podCIDR: `10.244.${i}.0/24`,
          pullTime: () => 0,
        }),
      );
    });
  }

  static async create(): Promise<PodLab> {
    const labDir = await mkdtemp(join(tmpdir(), 'svcl-t-pods-'));
    const box = await createTestSandbox();
    try {
      const lab = await buildLab(virtualbox3Node(), box.sandbox, { labDir });
      return new PodLab(box, lab, labDir);
    } catch (e) {
      await box.dispose();
      await rm(labDir, { recursive: true, force: true });
      throw e;
    }
  }

  get sandbox(): TestSandbox['sandbox'] {
    return this.box.sandbox;
  }

  runtime(node: string): NetnsPodRuntime {
    const r = this.runtimes.get(node);
    if (!r) throw new Error(`no node ${node}`);
    return r;
  }

  nodeIndex(node: string): number {
    return VIRTUALBOX_NODES.findIndex((n) => n.name === node);
  }

  async writeNodeFile(node: string, path: string, text: string): Promise<void> {
    const file = this.lab.nodeFile(node, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  }

  async removeNodeFile(node: string, path: string): Promise<void> {
    await rm(this.lab.nodeFile(node, path), { force: true });
  }

  /** What kube-flannel's init container and flanneld write on a node. */
  async flannel(node: string, opts: { hairpinMode?: boolean; subnet?: boolean } = {}): Promise<void> {
    await this.writeNodeFile(node, '/etc/cni/net.d/10-flannel.conflist', conflist(opts.hairpinMode ?? true));
    if (opts.subnet !== false)
      await this.writeNodeFile(node, '/run/flannel/subnet.env', subnetEnv(this.nodeIndex(node)));
  }

  sandboxConfig(spec: PodSpec): SandboxConfig {
    const ns = spec.namespace ?? 'default';
    const hostNetwork = !!spec.hostNetwork;
    return {
      uid: crypto.randomUUID(),
      namespace: ns,
      name: spec.name,
      hostname: spec.name,
      hostNetwork,
      ports: [],
      dns: hostNetwork
        ? { nameservers: [], searches: [], options: [] }
        : {
            nameservers: [CLUSTER_DNS],
            searches: [`${ns}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'],
            options: ['ndots:5'],
          },
    };
  }

  /** RunPodSandbox, pull, CreateContainer + StartContainer: what the kubelet does for one pod. */
  async runPod(node: string, spec: PodSpec): Promise<RunningPod> {
    const runtime = this.runtime(node);
    const sandbox = await runtime.createSandbox(this.sandboxConfig(spec));
    const hasCommand = !!spec.command?.length;
    const { image } = await runtime.pullImage(spec.image, { withCommand: hasCommand });
    let out = '';
    const handle = await runtime.startContainer(
      sandbox.id,
      {
        name: spec.name,
        image,
        command: spec.command,
        args: spec.args,
        env: [],
        stdin: !!spec.stdin,
        stdinOnce: false,
        tty: !!spec.tty,
        attempt: 0,
      },
      (_stream, chunk) => {
        out += chunk.toString('utf8');
      },
    );
    return { node, runtime, sandbox, handle, logs: () => out };
  }

  /** `kubectl exec` without a tty: exit code and merged output. */
  async exec(pod: RunningPod, command: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const proc = await pod.runtime.exec(pod.handle.id, { command, tty: false, stdin: false }, (_s, chunk) => {
      out += chunk.toString('utf8');
    });
    const code = await proc.exited;
    return { code, out };
  }

  /** A command in a node's namespace (the node's shell). */
  async onNode(node: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.sandbox.run(argv, { netns: this.lab.netns(node), allowFailure: true });
  }

  async dispose(): Promise<void> {
    try {
      await Promise.allSettled([...this.runtimes.values()].map((r) => r.close()));
      await this.lab.teardown();
    } finally {
      await this.box.dispose();
      await rm(this.labDir, { recursive: true, force: true });
    }
  }
}
