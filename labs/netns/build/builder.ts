/**
 * Turns a validated Topology into real kernel networking inside a Sandbox, and back.
 *
 * Order, chosen so that everything after the cables runs in parallel:
 * 1. namespaces (and, meanwhile, the nodes' persistent files);
 * 2. every cable in one `ip -batch` in the sandbox's context, each veth created directly in its two
 *    namespaces, node NICs with their hardware MAC and a fixed ifindex;
 * 3. per namespace, concurrently: switches enslave ports (br_netfilter off), routers and hosts get
 *    addresses, routes and NAT, and each node boots from its netplan and sysctl.d files exactly as
 *    `rebuildNodeNetwork` does later - so a reboot reproduces the build, minus live-only changes.
 */
import { writeFile } from 'node:fs/promises';
import type { NodeSpec, Topology } from '../../topology/types.ts';
import { assertValidTopology } from '../../topology/validate.ts';
import type { RunOptions, RunResult, Sandbox } from '../sandbox.ts';
import { type EntityKind, netnsName } from './names.ts';
import { type NetworkConfig, renderNetworkConfig } from './netplan.ts';
import {
  nodeFilePath,
  nodeRoot,
  readPersistentConfig,
  readSysctlFiles,
  writeNodeFiles,
} from './node-files.ts';
import {
  EMPTY_IPTABLES,
  LIVE_STATE_QUERY,
  parseLiveState,
  planNodeBringUp,
  planNodeReset,
} from './node-network.ts';
import {
  type ConfigPlan,
  endpoints,
  interfaceLines,
  planCables,
  planHost,
  planRouter,
  planSwitchPorts,
  planTopology,
} from './plan.ts';
import { planNodeSysctls, type SysctlPlan } from './sysctl-conf.ts';

export interface BuildProgress {
  /** Stable id: `netns`, `files`, `cables`, `switch:<name>`, `router:<name>`, `host:<name>`, `node:<name>`. */
  step: string;
  /** For people: `Creating node ubuntu02`. */
  title: string;
  state: 'started' | 'done' | 'failed';
  /** Steps finished so far (including this one when state is done). */
  done: number;
  total: number;
  /** Since the build started. */
  elapsedMs: number;
}

export type ProgressListener = (event: BuildProgress) => void;

export interface BuildOptions {
  /** Directory for node-private files (`<labDir>/nodes/<node>/etc/...`); created if missing. */
  labDir: string;
  onProgress?: ProgressListener;
}

export interface RebuildReport {
  node: string;
  /** What a real node would log at boot: unknown netplan entries, routes the kernel refused, ... */
  warnings: string[];
  durationMs: number;
}

export interface NetnsLab {
  readonly topology: Topology;
  readonly sandbox: Sandbox;
  readonly labDir: string;
  /** Milliseconds per build step, and `total`. */
  readonly timings: Readonly<Record<string, number>>;
  /** Warnings from the nodes' first boot. */
  readonly warnings: readonly string[];
  /** Sandbox-local namespace name of a node, router, host or switch (segment name). */
  netns(name: string): string;
  /** `<labDir>/nodes/<node>`: the node's private file tree. */
  nodeRoot(node: string): string;
  /** Host path of a file inside a node. */
  nodeFile(node: string, pathInNode: string): string;
  /** The node's netplan path inside the node (`/etc/netplan/50-cloud-init.yaml`). */
  persistentConfigPath(node: string): string;
  readPersistentConfig(node: string): Promise<NetworkConfig>;
  /** Replace the node's netplan file (text is written as is; a config is rendered). Takes effect at reboot. */
  writePersistentConfig(node: string, config: NetworkConfig | string): Promise<void>;
  /** Reboot the node's network: flush all live state, then bring it up from its persistent files. */
  rebuildNodeNetwork(node: string): Promise<RebuildReport>;
  /** Delete every namespace the build created. Idempotent. */
  teardown(): Promise<void>;
}

/** A command inside a namespace failed; says where and what the kernel answered. */
export class BuildError extends Error {
  readonly step: string;
  constructor(step: string, message: string, options?: { cause?: unknown }) {
    super(`${step}: ${message}`, options);
    this.name = 'BuildError';
    this.step = step;
  }
}

export async function buildLab(
  topology: Topology,
  sandbox: Sandbox,
  options: BuildOptions,
): Promise<NetnsLab> {
  assertValidTopology(topology);
  const lab = new Lab(topology, sandbox, options.labDir);
  await lab.build(options.onProgress);
  return lab;
}

class Lab implements NetnsLab {
  readonly topology: Topology;
  readonly sandbox: Sandbox;
  readonly labDir: string;
  readonly timings: Record<string, number> = {};
  readonly warnings: string[] = [];
  private readonly kinds = new Map<string, EntityKind>();
  private created: string[] = [];
  private tornDown = false;

  constructor(topology: Topology, sandbox: Sandbox, labDir: string) {
    this.topology = structuredClone(topology);
    this.sandbox = sandbox;
    this.labDir = labDir;
    for (const s of topology.segments) this.kinds.set(s.name, 'segment');
    for (const r of topology.routers) this.kinds.set(r.name, 'router');
    for (const h of topology.hosts) this.kinds.set(h.name, 'host');
    for (const n of topology.nodes) this.kinds.set(n.name, 'node');
  }

  netns(name: string): string {
    const kind = this.kinds.get(name);
    if (!kind) throw new Error(`${name} is not part of topology ${this.topology.name}`);
    return netnsName(kind, name);
  }

  nodeRoot(node: string): string {
    return nodeRoot(this.labDir, this.node(node).name);
  }

  nodeFile(node: string, pathInNode: string): string {
    return nodeFilePath(this.labDir, this.node(node).name, pathInNode);
  }

  persistentConfigPath(node: string): string {
    return this.node(node).persistent.netplan;
  }

  readPersistentConfig(node: string): Promise<NetworkConfig> {
    return readPersistentConfig(this.labDir, this.node(node).name);
  }

  async writePersistentConfig(node: string, config: NetworkConfig | string): Promise<void> {
    const spec = this.node(node);
    const text = typeof config === 'string' ? config : renderNetworkConfig(config);
    await writeFile(nodeFilePath(this.labDir, spec.name, spec.persistent.netplan), text, { mode: 0o600 });
  }

  private node(name: string): NodeSpec {
    const node = this.topology.nodes.find((n) => n.name === name);
    if (!node)
      throw new Error(
        `${name} is not a node of ${this.topology.name} (nodes: ${this.topology.nodes.map((n) => n.name).join(', ')})`,
      );
    return node;
  }

  async build(onProgress?: ProgressListener): Promise<void> {
    const t = this.topology;
    const started = performance.now();
    const plan = planTopology(t, (n) => this.sandbox.netnsPath(n));
    const total = 3 + plan.switches.length + plan.machines.length + t.nodes.length;
    let done = 0;
    const step = async <T>(id: string, title: string, work: () => Promise<T>): Promise<T> => {
      const emit = (state: BuildProgress['state']) =>
        onProgress?.({
          step: id,
          title,
          state,
          done,
          total,
          elapsedMs: Math.round(performance.now() - started),
        });
      const t0 = performance.now();
      emit('started');
      try {
        const result = await work();
        done++;
        this.timings[id] = Math.round(performance.now() - t0);
        emit('done');
        return result;
      } catch (err) {
        emit('failed');
        throw new BuildError(id, (err as Error).message, { cause: err });
      }
    };

    try {
      // allSettled: a failure must not start the cleanup while other namespaces are still being made.
      await settled([
        step('netns', 'Creating network namespaces', () =>
          settled(
            plan.namespaces.map(async (ns) => {
              await this.sandbox.addNetns(ns.netns);
              this.created.push(ns.netns);
            }),
          ),
        ),
        step('files', 'Writing node configuration files', () =>
          settled(t.nodes.map((n) => writeNodeFiles(this.labDir, n))),
        ),
      ]);
      await step('cables', 'Cabling NICs to switches and gateways', () => this.sandbox.ipBatch(plan.cables));
      await settled([
        ...plan.switches.map((s) =>
          step(`switch:${s.name}`, `Starting switch ${s.name}`, () => this.configure(s)),
        ),
        ...plan.machines.map((m) =>
          step(`${m.kind}:${m.name}`, `Starting ${m.kind} ${m.name}`, () => this.configure(m)),
        ),
        ...t.nodes.map((n) =>
          step(`node:${n.name}`, `Creating node ${n.name}`, async () => {
            const warnings = await this.boot(n, true);
            this.warnings.push(...warnings.map((w) => `${n.name}: ${w}`));
          }),
        ),
      ]);
    } catch (err) {
      await this.teardown().catch(() => {});
      throw err;
    }
    this.timings.total = Math.round(performance.now() - started);
  }

  private async configure(p: ConfigPlan): Promise<void> {
    await Promise.all([
      this.sandbox.ipBatch(p.lines, p.netns),
      this.sysctl(p.netns, { assignments: p.sysctls, optional: new Set(), warnings: [] }, true),
      p.iptables ? this.run(['iptables-restore'], p.netns, p.iptables) : undefined,
    ]);
  }

  /** Bring a node up from its persistent files. `strict`: kernel refusals are errors (first boot). */
  private async boot(node: NodeSpec, strict: boolean, config?: NetworkConfig): Promise<string[]> {
    const netns = netnsName('node', node.name);
    const [netplan, sysctlFiles] = await Promise.all([
      config ?? readPersistentConfig(this.labDir, node.name),
      readSysctlFiles(this.labDir, node.name),
    ]);
    const bringUp = planNodeBringUp(this.topology, node, netplan);
    const warnings = [...bringUp.warnings];
    warnings.push(...(await this.ipForce(bringUp.lines, netns, strict)));
    const sysctls = planNodeSysctls(sysctlFiles, bringUp.interfaceNames);
    warnings.push(...sysctls.warnings);
    warnings.push(...(await this.sysctl(netns, sysctls, strict)));
    return warnings;
  }

  async rebuildNodeNetwork(name: string): Promise<RebuildReport> {
    const node = this.node(name);
    // Parse first: a broken file is reported as such and the running node is left alone.
    const config = await readPersistentConfig(this.labDir, node.name);
    try {
      return await this.reboot(node, config);
    } catch (err) {
      throw new BuildError(`reboot:${node.name}`, (err as Error).message, { cause: err });
    }
  }

  private async reboot(node: NodeSpec, config: NetworkConfig): Promise<RebuildReport> {
    const t0 = performance.now();
    const netns = netnsName('node', node.name);
    const live = parseLiveState(
      (await this.run(['ip', '-j', '-batch', '-'], netns, `${LIVE_STATE_QUERY.join('\n')}\n`)).stdout,
    );
    const reset = planNodeReset(node, live);
    const warnings = await this.ipForce(reset.lines, netns, false);
    if (reset.missing.length > 0)
      warnings.push(
        ...(await this.recable(
          node,
          reset.missing.map((h) => h.name),
        )),
      );
    await Promise.all([
      this.run(['iptables-restore'], netns, EMPTY_IPTABLES),
      // Old connections do not survive a reboot either; a host without conntrack-tools just skips this.
      this.sandbox.run(['conntrack', '-F'], plumbing({ netns, allowFailure: true })).catch(() => undefined),
    ]);
    warnings.push(...(await this.boot(node, false, config)));
    return { node: node.name, warnings, durationMs: Math.round(performance.now() - t0) };
  }

  /** Recreate hardware NICs a learner deleted, and configure the far end of their cables. */
  private async recable(node: NodeSpec, nics: string[]): Promise<string[]> {
    const t = this.topology;
    const only = new Set(nics.map((n) => `${node.name}/${n}`));
    await this.sandbox.ipBatch(planCables(t, (n) => this.sandbox.netnsPath(n), only));
    const warnings: string[] = [];
    for (const nicName of nics) {
      const nic = node.nics.find((n) => n.name === nicName)!;
      const segment = t.segments.find((s) => s.name === nic.segment)!;
      if (segment.kind === 'switch') {
        await this.sandbox.ipBatch(
          planSwitchPorts(t, segment.name, only),
          netnsName('segment', segment.name),
        );
        continue;
      }
      const far = endpoints(t).find(
        (e) => e.segment === segment.name && !(e.owner === node.name && e.iface === nicName),
      );
      if (!far) continue;
      if (far.kind === 'node') {
        warnings.push(
          `${far.owner}'s ${far.iface} was re-created unconfigured; reboot ${far.owner} to configure it`,
        );
        continue;
      }
      const machine = [...t.routers, ...t.hosts].find((m) => m.name === far.owner)!;
      const iface = machine.interfaces.find((i) => i.name === far.iface)!;
      const full =
        far.kind === 'router' ? planRouter(machine as Topology['routers'][number]) : planHost(machine);
      const routes = full.lines.filter((l) => l.startsWith('route add'));
      const farNetns = netnsName(far.kind, far.owner);
      await this.ipForce([...interfaceLines(iface), ...routes], farNetns, false);
      await this.sysctl(
        farNetns,
        { assignments: [[`net.ipv4.conf.${iface.name}.rp_filter`, '0']], optional: new Set(), warnings: [] },
        false,
      );
    }
    return warnings;
  }

  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    const names = [...this.created];
    const results = await Promise.allSettled(names.map((n) => this.sandbox.deleteNetns(n)));
    this.created = [];
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) {
      throw new Error(
        `teardown of ${this.topology.name}: ${failed.map((f) => (f.reason as Error).message).join('; ')}`,
      );
    }
  }

  private async run(argv: string[], netns: string, input?: string): Promise<RunResult> {
    const result = await this.sandbox.run(
      argv,
      plumbing({ netns, allowFailure: true, ...(input !== undefined ? { input } : {}) }),
    );
    if (result.code !== 0) {
      throw new Error(
        `${argv[0]} in ${netns} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`,
      );
    }
    return result;
  }

  /**
   * `ip -force -batch`: every line is tried, as networkd tries every route it was given. Failures
   * come back as messages naming the line; in strict mode they are an error.
   */
  private async ipForce(lines: string[], netns: string, strict: boolean): Promise<string[]> {
    if (lines.length === 0) return [];
    const result = await this.sandbox.run(
      ['ip', '-force', '-batch', '-'],
      plumbing({ netns, input: `${lines.join('\n')}\n`, allowFailure: true }),
    );
    if (result.code === 0) return [];
    const failures = explainBatchErrors(result.stderr, lines);
    if (strict) throw new Error(`in ${netns}: ${failures.join('; ')}`);
    return failures;
  }

  private async sysctl(netns: string, plan: SysctlPlan, strict: boolean): Promise<string[]> {
    if (plan.assignments.length === 0) return [];
    const argv = ['sysctl', '-q', '-w', ...plan.assignments.map(([k, v]) => `${k}=${v}`)];
    const result = await this.sandbox.run(argv, plumbing({ netns, allowFailure: true }));
    if (result.code === 0 && result.stderr.trim() === '') return [];
    const problems = explainSysctlErrors(result.stderr).filter((p) => !p.key || !plan.optional.has(p.key));
    const messages = problems.map((p) => p.message);
    if (strict && messages.length > 0) throw new Error(`in ${netns}: ${messages.join('; ')}`);
    return messages;
  }
}

/**
 * Options for the builder's own commands (ip, sysctl, iptables-restore, conntrack). Sandboxes that
 * know `bare` then only enter the network namespace and skip the node's view (private /sys,
 * hostname, bind mounts), which these commands do not need.
 */
function plumbing(opts: RunOptions): RunOptions {
  const bare: RunOptions & { bare: boolean } = { ...opts, bare: true };
  return bare;
}

/** Wait for every promise, then fail with the first error (if any). */
async function settled(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Pair `ip -batch` error output with the failing lines (`Command failed -:12`). */
export function explainBatchErrors(stderr: string, lines: string[]): string[] {
  const out: string[] = [];
  let pending: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const failed = /^Command failed -:(\d+)$/.exec(line);
    if (failed) {
      const n = Number(failed[1]);
      out.push(`\`ip ${lines[n - 1] ?? '?'}\`: ${pending.join(' ') || 'failed'}`);
      pending = [];
    } else {
      pending.push(line);
    }
  }
  if (pending.length > 0) out.push(pending.join(' '));
  return out;
}

export function explainSysctlErrors(stderr: string): { key?: string; message: string }[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((line) => {
      const path = /\/proc\/sys\/([^:\s]+)/.exec(line)?.[1];
      const key = path?.replaceAll('/', '.');
      let message = line;
      if (key?.startsWith('net.bridge.') && /No such file/.test(line))
        message = `${key}: br_netfilter is not loaded on the host (run \`modprobe br_netfilter\`)`;
      return key ? { key, message } : { message };
    });
}
