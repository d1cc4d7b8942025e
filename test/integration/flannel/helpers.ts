/**
 * The seed-000 cluster for flannel kernel tests: virtualbox-3node built with the netns builder in a
 * root sandbox, a Node object per VM with its pod CIDR (what the control plane would assign), and -
 * kept minimal and local to these tests - one "pod" per node: a namespace on a veth in the node's
 * cni0 bridge (10.244.x.1/24), with address .2 and its default route via .1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { FlannelAgent, type FlannelAgentOptions } from '../../../labs/agents/flannel/agent.ts';
import { MemoryNodeSource, type NodeObject } from '../../../labs/agents/flannel/nodes.ts';
import { sandboxRunner } from '../../../labs/agents/flannel/runner.ts';
import { VIRTUALBOX_NODES, virtualbox3Node } from '../../../labs/environments/index.ts';
import { buildLab, type NetnsLab } from '../../../labs/netns/build/index.ts';
import type { RootSandbox } from '../../../labs/netns/sandbox/root.ts';
import { createTestSandbox, type TestSandbox } from '../netns-build/sandbox.ts';

export const isRoot = process.getuid?.() === 0;

export const NODES = VIRTUALBOX_NODES.map((vm, i) => ({
  name: vm.name as string,
  hostOnly: vm.hostOnly as string,
  podCIDR: `10.244.${i}.0/24`,
  gateway: `10.244.${i}.1`,
  podIP: `10.244.${i}.2`,
}));

/** What kubeadm leaves on a Node before any CNI runs. */
const KUBEADM_ANNOTATIONS = {
  'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
  'node.alpha.kubernetes.io/ttl': '0',
  'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
};

export function nodeObject(name: string, podCIDR: string | undefined): NodeObject {
  return {
    metadata: { name, annotations: { ...KUBEADM_ANNOTATIONS } },
    spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
  };
}

/** The flannel addon as the lab ships it: the DaemonSet's args and the ConfigMap's two files. */
export async function flannelAddon(): Promise<{ args: string[]; netConf: string; cniConf: string }> {
  const text = await readFile(new URL('../../../labs/addons/kube-flannel.yml', import.meta.url), 'utf8');
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, any>);
  const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'kube-flannel-cfg')!;
  const ds = docs.find((d) => d.kind === 'DaemonSet' && d.metadata.name === 'kube-flannel-ds')!;
  const container = ds.spec.template.spec.containers.find((c: any) => c.name === 'kube-flannel');
  return {
    args: container.args as string[],
    netConf: cm.data['net-conf.json'],
    cniConf: cm.data['cni-conf.json'],
  };
}

export interface FlannelLab {
  box: TestSandbox;
  sandbox: RootSandbox;
  lab: NetnsLab;
  labDir: string;
  nodes: MemoryNodeSource;
  logs: Map<string, string[]>;
  agents: Map<string, FlannelAgent>;
  agent(node: string, args: string[], extra?: Partial<FlannelAgentOptions>): FlannelAgent;
  sh(netns: string, ...argv: string[]): Promise<string>;
  dispose(): Promise<void>;
}

export async function createFlannelLab(opts: { pods?: boolean } = {}): Promise<FlannelLab> {
  const labDir = await mkdtemp(join(tmpdir(), 'svcl-t-flannel-'));
  const box = await createTestSandbox();
  const sandbox = box.sandbox;
  let lab: NetnsLab | undefined;
  try {
    lab = await buildLab(virtualbox3Node(), sandbox, { labDir });
  } catch (err) {
    await box.dispose();
    await rm(labDir, { recursive: true, force: true });
    throw err;
  }
  const built = lab;
  const nodes = new MemoryNodeSource(NODES.map((n) => nodeObject(n.name, n.podCIDR)));
  const logs = new Map<string, string[]>(NODES.map((n) => [n.name, []]));
  const agents = new Map<string, FlannelAgent>();
  const { netConf } = await flannelAddon();
  const sh = async (netns: string, ...argv: string[]) => {
    const r = await sandbox.run(argv, { netns, allowFailure: true });
    if (r.code !== 0) throw new Error(`${argv.join(' ')} in ${netns} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const fl: FlannelLab = {
    box,
    sandbox,
    lab: built,
    labDir,
    nodes,
    logs,
    agents,
    sh,
    agent(node, args, extra = {}) {
      const a = new FlannelAgent({
        nodeName: node,
        runner: sandboxRunner(sandbox, built.netns(node)),
        nodeRoot: built.nodeRoot(node),
        args,
        netConf,
        nodes,
        log: (line) => logs.get(node)!.push(line),
        ...extra,
      });
      agents.set(node, a);
      return a;
    },
    async dispose() {
      await Promise.all([...agents.values()].map((a) => a.stop({ graceful: false })));
      try {
        await built.teardown();
      } finally {
        await box.dispose();
        await rm(labDir, { recursive: true, force: true });
      }
    },
  };
  if (opts.pods ?? true) {
    try {
      await Promise.all(NODES.map((n) => addPod(fl, n)));
    } catch (err) {
      await fl.dispose();
      throw err;
    }
  }
  return fl;
}

/** cni0 with the node's first pod address, one pod namespace on a veth in it. */
async function addPod(fl: FlannelLab, n: (typeof NODES)[number]): Promise<void> {
  const pod = `pod-${n.name}`;
  await fl.sandbox.addNetns(pod);
  const node = fl.lab.netns(n.name);
  const prefix = n.podCIDR.split('/')[1];
  await fl.sandbox.ipBatch(
    [
      'link add cni0 type bridge',
      `addr add ${n.gateway}/${prefix} dev cni0`,
      'link set cni0 up',
      `link add vethpod type veth peer name eth0 netns ${fl.sandbox.netnsPath(pod)}`,
      'link set vethpod master cni0',
      'link set vethpod up',
    ],
    node,
  );
  await fl.sandbox.ipBatch(
    [
      'link set lo up',
      `addr add ${n.podIP}/${prefix} dev eth0`,
      'link set eth0 up',
      `route add default via ${n.gateway}`,
    ],
    pod,
  );
}

export async function ping(
  fl: FlannelLab,
  netns: string,
  address: string,
): Promise<{ ok: boolean; output: string }> {
  const r = await fl.sandbox.run(['ping', '-n', '-c', '1', '-W', '1', address], {
    netns,
    allowFailure: true,
  });
  return { ok: r.code === 0, output: r.stdout + r.stderr };
}

export interface Capture {
  /** Stop capturing; the packets tcpdump printed. */
  stop(): Promise<string[]>;
}

/** `tcpdump [options] -i <iface> <filter>` in a namespace (args end with iface, filter), ready when listening. */
export async function capture(fl: FlannelLab, netns: string, ...args: string[]): Promise<Capture> {
  const spec = fl.sandbox.commandFor(
    ['tcpdump', '-nn', '-l', '--immediate-mode', ...args.slice(0, -2), '-i', ...args.slice(-2)],
    {
      netns,
      bare: true,
    },
  );
  const child: ChildProcess = spawn(spec.file, spec.args, {
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
      if (err.includes('listening on')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`tcpdump in ${netns} exited ${code}: ${err}`)));
  });
  return {
    stop: () =>
      new Promise((resolve) => {
        child.removeAllListeners('exit');
        // 'close', not 'exit': only then has everything tcpdump printed been read.
        child.on('close', () => resolve(out.split('\n').filter((l) => l.trim() !== '')));
        child.kill('SIGINT');
      }),
  };
}

export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 5000,
): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (await check()) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export async function fdbDestinations(fl: FlannelLab, node: string, device = 'flannel.1'): Promise<string[]> {
  const rows = JSON.parse(await fl.sh(fl.lab.netns(node), 'bridge', '-j', 'fdb', 'show', 'dev', device)) as {
    mac: string;
    dst?: string;
  }[];
  return rows.filter((r) => r.dst !== undefined).map((r) => r.dst!);
}
