/**
 * A lab of the kind driver: a kind cluster whose nodes are the topology's, reached through the
 * docker and kubectl CLIs.
 *
 * - Nodes answer to their topology name (`ubuntu02`) and to their container name
 *   (`svcl-lab-worker`, which is also the Kubernetes node name: kind names nodes itself; each
 *   carries the label `svc-labs.io/node=<topology name>`).
 * - Node commands and files: `docker exec` into the node container (privileged, as kind does).
 * - Pod commands: `kubectl exec`.
 * - Components restart as an operator would: `kubectl rollout restart` (or deleting the node's
 *   pod), `systemctl restart kubelet` in the node.
 * - Reboot: the node's persistent configuration applied again after a stop of everything a power
 *   cycle stops (reboot.ts).
 */

import { parseNetplanFiles } from '../../netns/build/netplan.ts';
import { LIVE_STATE_QUERY, parseLiveState } from '../../netns/build/node-network.ts';
import type { Topology } from '../../topology/types.ts';
import type { Component, ExecOptions, ExecTarget, LabNodeInfo, RunResult } from '../driver.ts';
import {
  type InteractiveLab,
  TargetNotFoundError,
  type Terminal,
  type TerminalOptions,
} from '../lab-driver.ts';
import { hostTerminal } from '../process/host-exec.ts';
import { removeRecord } from './gc.ts';
import { findNode, type KindLayout, type KindNode } from './layout.ts';
import { NETPLAN_DIR, SYSCTL_DIR } from './persistent.ts';
import { planTeardown } from './plan.ts';
import { hardwareFromInspect, planReboot } from './reboot.ts';
import { CommandError, Runner, runArgv } from './runner.ts';

const ROLLOUT_TIMEOUT = '5m';
const WAIT_MS = 6 * 60_000;

export interface KindLabInit {
  name: string;
  environment: string;
  topology: Topology;
  layout: KindLayout;
  kubeconfigPath: string;
  dir: string;
  stateDir: string;
  /** NIC addresses per topology node, as Docker gave them (`172.18.0.3/16`). */
  addresses: Record<string, { nic: string; address: string }[]>;
}

/** Where each component lives, for restarts. */
const COMPONENTS: Record<
  Exclude<Component, 'kubelet'>,
  { namespace: string; workload: string; selector: string }
> = {
  flannel: { namespace: 'kube-flannel', workload: 'daemonset/kube-flannel-ds', selector: 'app=flannel' },
  'kube-proxy': {
    namespace: 'kube-system',
    workload: 'daemonset/kube-proxy',
    selector: 'k8s-app=kube-proxy',
  },
  coredns: { namespace: 'kube-system', workload: 'deployment/coredns', selector: 'k8s-app=kube-dns' },
};

export class KindLab implements InteractiveLab {
  readonly name: string;
  readonly driver = 'kind' as const;
  readonly environment: string;
  readonly kubeconfigPath: string;
  readonly layout: KindLayout;
  private readonly dir: string;
  private readonly stateDir: string;
  private readonly addresses: KindLabInit['addresses'];
  /** What the last reboot of each node could not apply (a learner's broken route, say). */
  readonly rebootWarnings = new Map<string, string[]>();
  private destroyed?: Promise<void>;

  constructor(init: KindLabInit) {
    this.name = init.name;
    this.environment = init.environment;
    this.layout = init.layout;
    this.kubeconfigPath = init.kubeconfigPath;
    this.dir = init.dir;
    this.stateDir = init.stateDir;
    this.addresses = init.addresses;
  }

  nodes(): LabNodeInfo[] {
    return this.layout.nodes.map((n) => ({
      name: n.name,
      kubeName: n.container,
      role: n.role,
      addresses: this.addresses[n.name] ?? [],
    }));
  }

  private node(name: string): KindNode {
    const node = findNode(this.layout, name);
    if (!node)
      throw new TargetNotFoundError(
        `lab ${this.name} has no node ${name}; nodes: ${this.layout.nodes.map((n) => `${n.name} (${n.container})`).join(', ')}`,
      );
    return node;
  }

  private kubectlArgv(args: string[]): string[] {
    return ['kubectl', '--kubeconfig', this.kubeconfigPath, ...args];
  }

  async exec(target: ExecTarget, argv: string[], opts: ExecOptions = {}): Promise<RunResult> {
    if (argv.length === 0) throw new Error('exec needs a command');
    const env = Object.entries(opts.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    if ('node' in target) {
      const c = this.node(target.node).container;
      return runArgv(['docker', 'exec', '-i', '--privileged', ...env, c, ...argv], opts);
    }
    const { namespace, name } = target.pod;
    const r = await runArgv(
      this.kubectlArgv([
        'exec',
        '-i',
        '-n',
        namespace,
        name,
        ...(target.container ? ['-c', target.container] : []),
        '--',
        ...(opts.env ? ['env', ...Object.entries(opts.env).map(([k, v]) => `${k}=${v}`)] : []),
        ...argv,
      ]),
      { input: opts.input, timeoutMs: opts.timeoutMs },
    );
    if (r.code !== 0 && /\(NotFound\)|is not valid for pod|container not found/.test(r.stderr))
      throw new TargetNotFoundError(r.stderr.trim());
    return r;
  }

  kubectl(args: string[], opts: ExecOptions = {}): Promise<RunResult> {
    return runArgv(this.kubectlArgv(args), {
      input: opts.input,
      timeoutMs: opts.timeoutMs,
      env: { ...(process.env as Record<string, string>), KUBECONFIG: this.kubeconfigPath, ...opts.env },
    });
  }

  private static checkPath(path: string): void {
    if (!path.startsWith('/') || path.split('/').includes('..'))
      throw new Error(`node file paths are absolute and stay inside the node: ${path}`);
  }

  async readNodeFile(node: string, path: string): Promise<string> {
    KindLab.checkPath(path);
    const r = await runArgv(['docker', 'exec', this.node(node).container, 'cat', '--', path]);
    if (r.code === 0) return r.stdout;
    if (/No such file|Is a directory/.test(r.stderr))
      throw new TargetNotFoundError(`${node}: ${path}: no such file`);
    throw new Error(`${node}: reading ${path}: ${r.stderr.trim() || `exit ${r.code}`}`);
  }

  async writeNodeFile(node: string, path: string, content: string): Promise<void> {
    KindLab.checkPath(path);
    const script = 'mkdir -p -- "$(dirname -- "$1")" && cat > "$1"';
    const r = await runArgv(
      ['docker', 'exec', '-i', this.node(node).container, 'sh', '-c', script, 'sh', path],
      {
        input: content,
      },
    );
    if (r.code !== 0) throw new Error(`${node}: writing ${path}: ${r.stderr.trim() || `exit ${r.code}`}`);
  }

  private async must(argv: string[], timeoutMs?: number): Promise<RunResult> {
    return new Runner().run({ argv, ...(timeoutMs ? { timeoutMs } : {}) });
  }

  async restart(component: Component, node?: string): Promise<void> {
    const nodes = node ? [this.node(node)] : this.layout.nodes;
    if (component === 'kubelet') {
      for (const n of nodes)
        await this.must(['docker', 'exec', '--privileged', n.container, 'systemctl', 'restart', 'kubelet']);
      for (const n of nodes)
        await this.must(
          this.kubectlArgv([
            'wait',
            '--for=condition=Ready',
            `node/${n.container}`,
            `--timeout=${ROLLOUT_TIMEOUT}`,
          ]),
          WAIT_MS,
        );
      return;
    }
    const c = COMPONENTS[component];
    if (node) {
      await this.must(
        this.kubectlArgv([
          '-n',
          c.namespace,
          'delete',
          'pod',
          '-l',
          c.selector,
          '--field-selector',
          `spec.nodeName=${nodes[0].container}`,
          '--wait=true',
        ]),
        WAIT_MS,
      );
    } else await this.must(this.kubectlArgv(['-n', c.namespace, 'rollout', 'restart', c.workload]));
    await this.must(
      this.kubectlArgv(['-n', c.namespace, 'rollout', 'status', c.workload, `--timeout=${ROLLOUT_TIMEOUT}`]),
      WAIT_MS,
    );
  }

  /** `name\0text\0` for each file of a directory in the node (none when it does not exist). */
  private async readNodeDir(
    container: string,
    dir: string,
    suffix: string,
  ): Promise<{ name: string; text: string }[]> {
    const script = `for f in "$1"/*"$2"; do [ -f "$f" ] || continue; printf '%s\\0' "\${f##*/}"; cat "$f"; printf '\\0'; done`;
    const r = await runArgv(['docker', 'exec', container, 'sh', '-c', script, 'sh', dir, suffix]);
    if (r.code !== 0) throw new Error(`${container}: reading ${dir}: ${r.stderr.trim()}`);
    const parts = r.stdout.split('\0');
    const out: { name: string; text: string }[] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) out.push({ name: parts[i], text: parts[i + 1] });
    return out;
  }

  async reboot(node: string): Promise<void> {
    const n = this.node(node);
    const since = Date.now();
    const [netplan, sysctlFiles, live, iptables, inspect] = await Promise.all([
      this.readNodeDir(n.container, NETPLAN_DIR, '.yaml'),
      this.readNodeDir(n.container, SYSCTL_DIR, '.conf'),
      runArgv(['docker', 'exec', '-i', n.container, 'ip', '-j', '-batch', '-'], {
        input: `${LIVE_STATE_QUERY.join('\n')}\n`,
      }),
      runArgv(['docker', 'exec', '--privileged', n.container, 'iptables-save']),
      this.must(['docker', 'inspect', n.container]),
    ]);
    // The netplan parser is the netns driver's: a learner's typo fails the same way on both.
    const config = parseNetplanFiles(netplan);
    if (live.code !== 0) throw new Error(`${n.name}: reading its links and routes: ${live.stderr.trim()}`);
    const plan = planReboot({
      config,
      sysctlFiles,
      live: parseLiveState(live.stdout),
      hardware: hardwareFromInspect(JSON.parse(inspect.stdout)),
      iptablesSave: iptables.code === 0 ? iptables.stdout : '',
    });
    const r = await runArgv(['docker', 'exec', '-i', '--privileged', n.container, 'sh'], {
      input: plan.script,
      timeoutMs: WAIT_MS,
    });
    const warnings = [...plan.warnings, ...r.stderr.split('\n').filter((l) => l.trim() !== '')];
    this.rebootWarnings.set(n.name, warnings);
    await this.waitNodeBack(n, since);
  }

  /** Until the node is Ready and every pod on it runs containers started after `since`. */
  private async waitNodeBack(n: KindNode, since: number): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    let last = 'nothing answered yet';
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2000));
      const r = await this.kubectl(
        ['get', 'pods', '-A', '--field-selector', `spec.nodeName=${n.container}`, '-o', 'json'],
        {
          timeoutMs: 15_000,
        },
      );
      if (r.code !== 0) {
        last = r.stderr.trim();
        continue;
      }
      const pods = (JSON.parse(r.stdout).items ?? []) as {
        metadata: { namespace: string; name: string };
        status?: {
          phase?: string;
          containerStatuses?: { ready?: boolean; state?: { running?: { startedAt?: string } } }[];
        };
      }[];
      const waiting = pods.filter((p) => {
        if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') return false;
        const cs = p.status?.containerStatuses ?? [];
        return (
          cs.length === 0 ||
          cs.some((c) => !c.ready || Date.parse(c.state?.running?.startedAt ?? '') < since - 1000)
        );
      });
      if (waiting.length === 0) {
        const ready = await this.kubectl([
          'get',
          'node',
          n.container,
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        ]);
        if (ready.code === 0 && ready.stdout.trim() === 'True') return;
        last = `node ${n.container} not Ready`;
        continue;
      }
      last = `waiting for ${waiting.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}`;
    }
    throw new Error(`node ${n.name} did not come back within ${WAIT_MS / 1000} s: ${last}`);
  }

  async openTerminal(target: ExecTarget, opts: TerminalOptions): Promise<Terminal> {
    const env = {
      ...(process.env as Record<string, string>),
      TERM: 'xterm-256color',
      KUBECONFIG: this.kubeconfigPath,
    };
    if ('node' in target) {
      const c = this.node(target.node).container;
      const command = opts.command?.length ? opts.command : ['bash', '-l'];
      return hostTerminal(['docker', 'exec', '-it', '--privileged', c, ...command], {
        ...opts,
        cwd: this.dir,
        env,
      });
    }
    const { namespace, name } = target.pod;
    const command = opts.command?.length ? opts.command : ['sh'];
    return hostTerminal(
      this.kubectlArgv([
        'exec',
        '-it',
        '-n',
        namespace,
        name,
        ...(target.container ? ['-c', target.container] : []),
        '--',
        ...command,
      ]),
      { ...opts, cwd: this.dir, env },
    );
  }

  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      const runner = new Runner();
      const errors: string[] = [];
      for (const cmd of planTeardown(this.layout, this.kubeconfigPath)) {
        try {
          await runner.run(cmd);
        } catch (e) {
          errors.push(e instanceof CommandError ? e.message : String(e));
        }
      }
      if (errors.length > 0) throw new Error(`tearing down ${this.layout.cluster}: ${errors.join('; ')}`);
      removeRecord(this.stateDir, this.layout.cluster);
    })();
    return this.destroyed;
  }
}
