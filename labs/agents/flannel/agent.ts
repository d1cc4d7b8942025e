/**
 * flanneld (v0.26, --kube-subnet-mgr, vxlan backend) for one lab node: it does to the node's
 * kernel what the real daemon does and logs what the real daemon logs, in the same order.
 *
 * start() runs flanneld's main(): parse the container args, read net-conf.json, sync the Node
 * informer, choose the external interface, create or re-create flannel.<VNI>, acquire the lease
 * (patching this node's annotations), give the device its /32, set up the iptables rules, write
 * /run/flannel/subnet.env, then run the backend: every managed peer Node becomes a neighbour, an
 * fdb entry and an onlink route, added, changed and removed as Nodes change (within milliseconds
 * of the NodeSource's change signal). A fatal error ends the run with exit code 1, as the process
 * would exit, and start() rejects with FlannelExitError - the kubelet shows CrashLoopBackOff.
 *
 * While running, every --iptables-resync seconds (5) the rules are checked and a group with a
 * missing rule is rebuilt ("Some iptables rules are missing; deleting and recreating rules").
 *
 * stop() is SIGTERM: the iptables rules are deleted (their chains stay) and the process exits 0;
 * flannel.1, its neighbours, fdb entries and routes stay in the kernel, as a real node keeps them.
 * stop({ graceful: false }) is SIGKILL: nothing is cleaned up, exit code 137.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { formatCidr, parseCidr } from '../../kube/ipnet.ts';
import { nodePath, readEnvFile, renderSubnetEnv, writeAtomic } from './files.ts';
import { type FlanneldOptions, formatCliFlags, parseFlanneldArgs } from './flags.ts';
import { goLeaseAttrs, goLeaseEvent, goStringMap, type LeaseText } from './gofmt.ts';
import { type ExternalInterface, type LogEntry, selectExternalInterface } from './iface.ts';
import {
  bootstrapRestore,
  forwardGroup,
  groupIntact,
  masqGroup,
  parseSave,
  type RuleGroup,
  teardownRestore,
} from './iptables.ts';
import { klogLine, nowMicros, type Severity } from './klog.ts';
import { type LinkInfo, readKernelState, routesTo } from './linkstate.ts';
import { type NetConf, parseNetConf, type VxlanBackendConfig, vxlanBackendConfig } from './netconf.ts';
import {
  type AnnotationNames,
  annotationNames,
  annotationsOf,
  isManaged,
  leaseAnnotationsChanged,
  type NodeObject,
  type NodeSource,
  nodeToLease,
  podCIDRsOf,
} from './nodes.ts';
import { type NodeCommandRunner, runBatch } from './runner.ts';
import {
  type DeviceSpec,
  ENCAP_OVERHEAD,
  type PeerOp,
  peerAddOps,
  peerRemoveOps,
  planAddress,
  planDevice,
  randomMac,
  subnetInNetwork,
} from './vxlan.ts';

/**
 * klog file:line of each message in flanneld v0.26.0. Taken from real v0.26.0 logs where they
 * exist; the rest (marked ~) are placed from v0.26's source layout and may be off by a few lines.
 */
const SRC = {
  cliFlags: 'main.go:211',
  renewMargin: 'main.go:216', // ~
  createSubnetMgr: 'main.go:228', // ~
  createdSubnetMgr: 'main.go:231',
  signalHandlers: 'main.go:234',
  brNetfilter: 'main.go:268',
  fetchBackend: 'main.go:346', // ~
  registerNetwork: 'main.go:353', // ~
  trafficMngr: 'main.go:361', // ~
  subnetFileFailed: 'main.go:408', // ~
  wroteSubnetFile: 'main.go:410',
  runningBackend: 'main.go:414',
  completeLease: 'main.go:426', // ~
  waitingGoroutines: 'main.go:435',
  exitingCleanly: 'main.go:438', // ~
  shutdownSignal: 'main.go:450', // ~
  fetchConfigFailed: 'main.go:462', // ~
  foundConfig: 'main.go:466',
  noSubnetKey: 'main.go:519',
  noSubnetKeyV6: 'main.go:554',
  inClusterConfig: 'client_config.go:618',
  waitingSync: 'kube.go:139',
  syncSuccessful: 'kube.go:146',
  reflector: 'reflector.go:158', // ~
  turnNodeToLease: 'kube.go:318', // ~
  overridePublicIP: 'kube.go:411', // ~
  startingSubnetMgr: 'kube.go:469',
  creatingLease: 'kube.go:490',
  macAnnotations: 'kube.go:636',
  failedGetNode: 'kube.go:665', // ~
  publicIPAnnotations: 'kube.go:669',
  vxlanConfig: 'vxlan.go:141',
  macParseFailed: 'vxlan.go:153', // ~
  macSet: 'vxlan.go:155',
  incompatible: 'device.go:101', // ~
  removedAddress: 'iface.go:276', // ~
  iptablesMode: 'iptables.go:51',
  iptablesCleanup: 'iptables.go:81',
  recycle: 'iptables.go:115',
  masking: 'iptables.go:125',
  forwardPolicy: 'iptables.go:226',
  bootstrapDone: 'iptables.go:372',
  bootstrapFailed: 'iptables.go:394', // ~
  ensureFailed: 'iptables.go:406', // ~
  rulesMissing: 'iptables.go:504',
  batchElem: 'subnet.go:152',
  removedNotFound: 'watch.go:187', // ~
  watching: 'vxlan_network.go:65',
  evtsClosed: 'vxlan_network.go:79', // ~
  subnetEvent: 'vxlan_network.go:100',
  nonVxlan: 'vxlan_network.go:103', // ~
  decodeLease: 'vxlan_network.go:111', // ~
} as const;

const BR_NETFILTER = '/proc/sys/net/bridge/bridge-nf-call-iptables';
const LEASE_POLL_MS = 3000;
const LEASE_TIMEOUT_MS = 30_000;
const ETCD_RETRY_MS = 1000;

export interface FlannelAgentOptions {
  nodeName: string;
  /** Runs commands inside the node's network namespace (see sandboxRunner). */
  runner: NodeCommandRunner;
  /** Host directory of the node's private files (`<labDir>/nodes/<node>`): subnet.env goes under it. */
  nodeRoot: string;
  /** The kube-flannel container's args, e.g. ['--ip-masq', '--kube-subnet-mgr', '--iface=enp0s3']. */
  args: readonly string[];
  /** ConfigMap kube-flannel-cfg, key net-conf.json (what flanneld reads from --net-config-path). */
  netConf: string;
  nodes: NodeSource;
  /** Receives each log line of the container (no trailing newline). */
  log?: (line: string) => void;
  /** Printed by --version. */
  version?: string;
  /** Source of random bytes for new VTEP MACs. */
  randomBytes?: (n: number) => Uint8Array;
  /** Checked for br_netfilter as flanneld checks it (a host path: the module is global). */
  brNetfilterPath?: string;
}

export type AgentState = 'stopped' | 'starting' | 'waiting' | 'running' | 'exited';

export interface AgentExit {
  /** Process exit code: 0 clean, 1 fatal error, 2 bad flags, 137 killed. */
  code: number;
  /** The fatal message, or why the process ended. */
  reason: string;
}

/** The run ended before flanneld was up (a fatal error, bad flags, --version). */
export class FlannelExitError extends Error {
  readonly code: number;
  constructor(exit: AgentExit) {
    super(`flanneld exited with code ${exit.code}: ${exit.reason}`);
    this.name = 'FlannelExitError';
    this.code = exit.code;
  }
}

/** What the running agent chose and holds. */
export interface FlannelStatus {
  iface: string;
  ifaceAddr: string;
  extAddr: string;
  device: string;
  vtepMac: string;
  subnet: string;
  network: string;
  mtu: number;
}

interface PeerEvent {
  type: 'added' | 'removed';
  lease: LeaseText;
}

class Cancelled extends Error {}

/** One process lifetime: start() creates it, exit ends it. */
class Run {
  cancelled = false;
  done = false;
  exit!: AgentExit;
  resolveExit!: (e: AgentExit) => void;
  readonly exited: Promise<AgentExit>;
  boot: Promise<void> = Promise.resolve();
  unsubscribe: (() => void) | undefined;
  monitorTimer: NodeJS.Timeout | undefined;
  etcdTimer: NodeJS.Timeout | undefined;
  /** Every kernel change after boot goes through this chain, so none overlap. */
  chain: Promise<unknown> = Promise.resolve();
  nodes = new Map<string, NodeObject>();
  diffing = false;
  diffAgain = false;
  queue: PeerEvent[] = [];
  backendRunning = false;
  pumping = false;
  leases = new Map<string, LeaseText>();
  groups: RuleGroup[] = [];
  /** The start-up bootstrap, which runs alongside main() as flanneld's goroutines do. */
  iptablesBoot: Promise<unknown> = Promise.resolve();
  iptablesSetUp = false;
  status: FlannelStatus | undefined;
  vxlan: VxlanBackendConfig | undefined;
  constructor() {
    this.exited = new Promise((r) => {
      this.resolveExit = r;
    });
  }
}

export class FlannelAgent {
  readonly #o: FlannelAgentOptions;
  #args: readonly string[];
  #netConfText: string;
  #state: AgentState = 'stopped';
  #run: Run | undefined;
  #timings: Record<string, number> = {};

  constructor(options: FlannelAgentOptions) {
    this.#o = options;
    this.#args = [...options.args];
    this.#netConfText = options.netConf;
  }

  get state(): AgentState {
    return this.#state;
  }

  /** What the current run chose (undefined before the lease is acquired). */
  get status(): FlannelStatus | undefined {
    return this.#run?.status && { ...this.#run.status };
  }

  /** Resolves when the current run ends (immediately with code 0 if never started). */
  get exited(): Promise<AgentExit> {
    return this.#run?.exited ?? Promise.resolve({ code: 0, reason: 'not started' });
  }

  /** Milliseconds of the last start, per step and `total` (until the backend ran and rules were in). */
  get timings(): Readonly<Record<string, number>> {
    return this.#timings;
  }

  /**
   * Start flanneld. Resolves once the backend runs (state 'running'), or once it settles into
   * retrying (state 'waiting', e.g. without --kube-subnet-mgr there is no etcd to reach).
   * Rejects with FlannelExitError if the process exits on its own first; resolves quietly when
   * stop() ends the start-up.
   */
  async start(): Promise<void> {
    if (this.#run && !this.#run.done) return this.#run.boot;
    const run = new Run();
    this.#run = run;
    this.#state = 'starting';
    this.#timings = {};
    run.boot = this.#boot(run).catch((err) => {
      if (err instanceof Cancelled) return;
      if (!run.done) {
        // Not one of flanneld's own exits: report it the way a crashing process would.
        this.#log('E', SRC.registerNetwork, (err as Error).message);
        this.#finish(run, { code: 1, reason: (err as Error).message });
      }
      throw err instanceof FlannelExitError ? err : new FlannelExitError(run.exit);
    });
    return run.boot;
  }

  /**
   * SIGTERM (graceful, the default): log the shutdown, delete the iptables rules, exit 0.
   * SIGKILL (`graceful: false`): stop at once, leave everything, exit 137.
   */
  async stop(opts: { graceful?: boolean } = {}): Promise<AgentExit> {
    const run = this.#run;
    if (!run || run.done) return run?.exit ?? { code: 0, reason: 'not started' };
    const graceful = opts.graceful ?? true;
    run.cancelled = true;
    this.#quiet(run);
    await run.boot.catch(() => {});
    if (run.done) return run.exit;
    if (!graceful) {
      this.#finish(run, { code: 137, reason: 'killed' });
      return run.exit;
    }
    this.#info(SRC.shutdownSignal, 'shutdownHandler sent cancel signal...');
    if (run.backendRunning) this.#info(SRC.evtsClosed, 'evts chan closed');
    await Promise.all([run.chain.catch(() => {}), run.iptablesBoot]);
    if (run.iptablesSetUp) {
      this.#info(SRC.iptablesCleanup, 'iptables (ipv4): cleaning-up before exiting flannel...');
      const save = await this.#o.runner.run(['iptables-save']);
      const input = teardownRestore(run.groups, parseSave(save.stdout));
      if (input) {
        const r = await this.#o.runner.run(['iptables-restore', '-w', '5', '--noflush'], { input });
        if (r.code !== 0)
          this.#log(
            'E',
            SRC.iptablesCleanup,
            `Failed to tear down IPTables: unable to teardown iptables: ${r.stderr.trim()}`,
          );
      }
    }
    this.#info(SRC.exitingCleanly, 'Exiting cleanly...');
    this.#finish(run, { code: 0, reason: 'terminated' });
    return run.exit;
  }

  /** The pod restarted (a new container): stop, optionally take new args / net-conf.json, start. */
  async restart(
    update: { args?: readonly string[]; netConf?: string; graceful?: boolean } = {},
  ): Promise<void> {
    await this.stop({ graceful: update.graceful ?? true });
    if (update.args) this.#args = [...update.args];
    if (update.netConf !== undefined) this.#netConfText = update.netConf;
    await this.start();
  }

  /** One iptables monitor tick now; resolves to the groups that had to be rebuilt. */
  checkIptablesNow(): Promise<string[]> {
    const run = this.#run;
    if (!run || run.done || !run.iptablesSetUp) return Promise.resolve([]);
    return this.#serial(run, () => this.#ensureIptables(run));
  }

  // ---- main() -------------------------------------------------------------------------------

  async #boot(run: Run): Promise<void> {
    const t0 = performance.now();
    const mark = (step: string) => {
      this.#timings[step] = Math.round((performance.now() - t0) * 10) / 10;
    };
    const parsed = parseFlanneldArgs(this.#args);
    if (!parsed.ok) {
      for (const line of parsed.stderr) this.#raw(line);
      return this.#exit(run, parsed.exitCode, parsed.stderr[0] ?? 'usage');
    }
    const opts = parsed.options;
    if (opts.version) {
      this.#raw(this.#o.version ?? 'v0.26.1');
      return this.#exit(run, 0, 'printed version');
    }
    this.#info(SRC.cliFlags, `CLI flags config: ${formatCliFlags(opts)}`);
    if (opts.subnetLeaseRenewMargin >= 24 * 60 || opts.subnetLeaseRenewMargin <= 0)
      return this.#fatal(
        run,
        SRC.renewMargin,
        'Invalid subnet-lease-renew-margin option, out of acceptable range',
      );
    if (!opts.kubeSubnetMgr) return this.#etcd(run, opts);

    const names = annotationNames(opts.kubeAnnotationPrefix);
    if (opts.kubeApiUrl === '' && opts.kubeConfigFile === '')
      this.#log(
        'W',
        SRC.inClusterConfig,
        'Neither --kubeconfig nor --master was specified.  Using the inClusterConfig.  This might not work.',
      );
    let conf: NetConf;
    try {
      conf = parseNetConf(this.#netConfText);
    } catch (err) {
      return this.#fatal(
        run,
        SRC.createSubnetMgr,
        `Failed to create SubnetManager: error parsing subnet config: ${(err as Error).message}`,
      );
    }
    this.#info(SRC.waitingSync, 'Waiting 10m0s for node controller to sync');
    this.#info(SRC.startingSubnetMgr, 'Starting kube subnet manager');
    await this.#informerStart(run, names);
    this.#check(run);
    this.#info(SRC.syncSuccessful, 'Node controller sync successful');
    this.#info(
      SRC.createdSubnetMgr,
      `Created subnet manager: Kubernetes Subnet Manager - ${this.#o.nodeName}`,
    );
    this.#info(SRC.signalHandlers, 'Installing signal handlers');
    this.#info(SRC.foundConfig, `Found network config - Backend type: ${conf.backendType}`);
    mark('informer');

    try {
      await access(this.#o.brNetfilterPath ?? BR_NETFILTER);
    } catch {
      return this.#fatal(
        run,
        SRC.brNetfilter,
        `Failed to check br_netfilter: stat ${BR_NETFILTER}: no such file or directory`,
      );
    }
    if (!conf.enableIPv4 || conf.enableIPv6)
      return this.#fatal(
        run,
        SRC.registerNetwork,
        'Error registering network: only an IPv4 network is modelled in this lab',
      );

    // GetStoredPublicIP: the node-public-ip annotation overrides --public-ip.
    const self = run.nodes.get(this.#o.nodeName);
    if (!self) {
      this.#log(
        'E',
        SRC.failedGetNode,
        `Failed to get node for backend data: nodes "${this.#o.nodeName}" not found`,
      );
    } else if (self.metadata.annotations) {
      this.#info(SRC.publicIPAnnotations, this.#annotationsLine(self));
    }
    const annotatedPublicIP = self ? (annotationsOf(self)[names.nodePublicIP] ?? '') : '';
    const publicIP = annotatedPublicIP !== '' ? annotatedPublicIP : opts.publicIP;

    const reach = opts.ifaceCanReach !== '' ? [opts.ifaceCanReach] : [];
    const snapshot = await readKernelState(this.#o.runner, reach);
    this.#check(run);
    mark('kernelState');
    const selection = selectExternalInterface(
      {
        iface: opts.iface,
        ifaceRegex: opts.ifaceRegex,
        ifaceCanReach: opts.ifaceCanReach,
        publicIP,
        publicIPv6: opts.publicIPv6,
      },
      snapshot,
    );
    for (const entry of selection.logs) this.#entry(entry);
    if (!selection.ok) return this.#exit(run, 1, selection.logs.at(-1)?.message ?? 'no interface');
    const ext = selection.ext;

    if (conf.backendType !== 'vxlan')
      return this.#fatal(
        run,
        SRC.fetchBackend,
        `Error fetching backend: the svc-labs flannel agent implements the vxlan backend only (net-conf.json asks for ${conf.backendType})`,
      );
    let cfg: VxlanBackendConfig;
    try {
      cfg = vxlanBackendConfig(conf);
    } catch (err) {
      return this.#fatal(run, SRC.registerNetwork, `Error registering network: ${(err as Error).message}`);
    }
    run.vxlan = cfg;
    await this.#registerNetwork(run, names, conf, cfg, ext, snapshot.links);
    mark('device');

    if (conf.enableNFTables)
      return this.#fatal(
        run,
        SRC.trafficMngr,
        'nftables mode (EnableNFTables) is not implemented by the svc-labs flannel agent; set it to false',
      );
    this.#info(SRC.iptablesMode, 'Starting flannel in iptables mode...');
    const status = run.status!;
    const subnetFile = nodePath(this.#o.nodeRoot, opts.subnetFile);
    if (opts.ipMasq) {
      const prev = await readEnvFile(subnetFile);
      const prevNetwork = this.#prevCidr(prev, 'FLANNEL_NETWORK', opts.subnetFile);
      const prevSubnet = this.#prevCidr(prev, 'FLANNEL_SUBNET', opts.subnetFile);
      for (const key of ['FLANNEL_IPV6_NETWORK', 'FLANNEL_IPV6_SUBNET'])
        this.#log('W', SRC.noSubnetKeyV6, `no subnet found for key: ${key} in file: ${opts.subnetFile}`);
      if (!(prevNetwork === status.network && prevSubnet === status.subnet))
        this.#info(
          SRC.recycle,
          `Current network or subnet (${status.network}, ${status.subnet}) is not equal to previous one (${prevNetwork}, ${prevSubnet}), trying to recycle old iptables rules`,
        );
      this.#info(SRC.masking, 'Setting up masking rules');
      run.groups.push(masqGroup(status.network, status.subnet));
    }
    if (opts.iptablesForwardRules) {
      this.#info(SRC.forwardPolicy, 'Changing default FORWARD chain policy to ACCEPT');
      run.groups.push(forwardGroup(status.network));
    }
    // flanneld bootstraps the rules in goroutines while main() goes on; so does this.
    const iptables = this.#bootstrapIptables(run);
    run.iptablesBoot = iptables.catch(() => {});

    try {
      await writeAtomic(
        subnetFile,
        renderSubnetEnv({
          network: status.network,
          subnet: status.subnet,
          mtu: status.mtu,
          ipMasq: opts.ipMasq,
        }),
      );
      this.#info(SRC.wroteSubnetFile, `Wrote subnet file to ${opts.subnetFile}`);
    } catch (err) {
      this.#log('W', SRC.subnetFileFailed, `Failed to write subnet file: ${(err as Error).message}`);
    }
    this.#check(run);
    this.#info(SRC.runningBackend, 'Running backend.');
    this.#info(SRC.watching, 'watching for new subnet leases');
    run.backendRunning = true;
    await this.#pump(run);
    mark('peers');
    if (opts.setNodeNetworkUnavailable && this.#o.nodes.setNetworkAvailable) {
      try {
        await this.#o.nodes.setNetworkAvailable(this.#o.nodeName, {
          type: 'NetworkUnavailable',
          status: 'False',
          reason: 'FlannelIsUp',
          message: 'Flannel is running on this node',
        });
      } catch (err) {
        this.#log('E', SRC.completeLease, `CompleteLease execute error err: ${(err as Error).message}`);
      }
    }
    this.#info(SRC.waitingGoroutines, 'Waiting for all goroutines to exit');
    for (const entry of await iptables) this.#entry(entry);
    this.#check(run);
    mark('total');
    this.#state = 'running';
    this.#scheduleMonitor(run, opts.iptablesResyncSeconds);
  }

  /** The etcd subnet manager: nothing to reach in a lab, so flanneld retries every second for ever. */
  async #etcd(run: Run, opts: FlanneldOptions): Promise<void> {
    for (const key of ['FLANNEL_SUBNET'])
      this.#log('W', SRC.noSubnetKey, `no subnet found for key: ${key} in file: ${opts.subnetFile}`);
    this.#log(
      'W',
      SRC.noSubnetKeyV6,
      `no subnet found for key: FLANNEL_IPV6_SUBNET in file: ${opts.subnetFile}`,
    );
    this.#info(SRC.createdSubnetMgr, 'Created subnet manager: Etcd Local Manager with Previous Subnet: None');
    this.#info(SRC.signalHandlers, 'Installing signal handlers');
    const endpoints = opts.etcdEndpoints.split(',');
    const tick = () => {
      if (run.cancelled || run.done) return;
      const errs = endpoints
        .map((e, i) => `error #${i}: dial tcp ${e.replace(/^[a-z]+:\/\//, '')}: connect: connection refused`)
        .join('; ');
      this.#log(
        'E',
        SRC.fetchConfigFailed,
        `Couldn't fetch network config: client: etcd cluster is unavailable or misconfigured; ${errs}`,
      );
      this.#raw('timed out');
      run.etcdTimer = setTimeout(tick, ETCD_RETRY_MS);
      run.etcdTimer.unref();
    };
    tick();
    this.#state = 'waiting';
  }

  // ---- kube subnet manager ------------------------------------------------------------------

  async #informerStart(run: Run, names: AnnotationNames): Promise<void> {
    const nodes = await this.#o.nodes.list();
    for (const n of nodes) {
      run.nodes.set(n.metadata.name, structuredClone(n));
      if (isManaged(n, names)) this.#leaseEvent(run, n, 'added', names);
    }
    run.unsubscribe = this.#o.nodes.subscribe(() => this.#nodesChanged(run, names));
  }

  #nodesChanged(run: Run, names: AnnotationNames): void {
    if (run.done || run.cancelled) return;
    if (run.diffing) {
      run.diffAgain = true;
      return;
    }
    run.diffing = true;
    setImmediate(async () => {
      try {
        do {
          run.diffAgain = false;
          const next = new Map<string, NodeObject>();
          for (const n of await this.#o.nodes.list()) next.set(n.metadata.name, structuredClone(n));
          if (run.done || run.cancelled) return;
          for (const [name, n] of next) {
            const before = run.nodes.get(name);
            if (!before) {
              if (isManaged(n, names)) this.#leaseEvent(run, n, 'added', names);
            } else if (isManaged(n, names) && leaseAnnotationsChanged(before, n, names)) {
              this.#leaseEvent(run, n, 'added', names);
            }
          }
          for (const [name, before] of run.nodes)
            if (!next.has(name) && isManaged(before, names)) this.#leaseEvent(run, before, 'removed', names);
          run.nodes = next;
        } while (run.diffAgain);
      } catch (err) {
        // client-go's reflector logs and retries; the next change signal lists again.
        this.#log('E', SRC.reflector, `Failed to watch *v1.Node: ${(err as Error).message}`);
      } finally {
        run.diffing = false;
      }
      if (run.backendRunning) void this.#pump(run);
    });
  }

  /** handleAddLeaseEvent / handleUpdateLeaseEvent: turn the node into a lease and queue it. */
  #leaseEvent(run: Run, node: NodeObject, type: PeerEvent['type'], names: AnnotationNames): void {
    const name = node.metadata.name;
    const cidrs = podCIDRsOf(node);
    const lease = nodeToLease(node, names);
    if ('error' in lease && lease.error === 'invalid IP address') {
      this.#info(SRC.turnNodeToLease, `Error turning node "${name}" to lease: ${lease.error}`);
      return;
    }
    if (cidrs.length > 0 && cidrs.length < 3)
      this.#info(
        SRC.creatingLease,
        `Creating the node lease for IPv4. This is the n.Spec.PodCIDRs: [${cidrs.join(' ')}]`,
      );
    if ('error' in lease) {
      this.#info(SRC.turnNodeToLease, `Error turning node "${name}" to lease: ${lease.error}`);
      return;
    }
    run.queue.push({ type, lease });
  }

  /** RegisterNetwork: device, lease (annotations), address. */
  async #registerNetwork(
    run: Run,
    names: AnnotationNames,
    conf: NetConf,
    cfg: VxlanBackendConfig,
    ext: ExternalInterface,
    links: LinkInfo[],
  ): Promise<void> {
    const node = this.#o.nodeName;
    this.#info(
      SRC.vxlanConfig,
      `VXLAN config: VNI=${cfg.vni} Port=${cfg.port} GBP=${cfg.gbp} Learning=${cfg.learning} DirectRouting=${cfg.directRouting}`,
    );
    // GetStoredMacAddresses: a restarted flanneld gives flannel.1 the MAC its peers already know.
    let storedMac: string | undefined;
    const self = run.nodes.get(node);
    if (self?.metadata.annotations) {
      this.#info(SRC.macAnnotations, this.#annotationsLine(self));
      const data = annotationsOf(self)[names.backendData];
      if (data !== undefined) {
        const parts = data.replace(/^["}]+|["}]+$/g, '').split(':"');
        if (parts.length === 2) storedMac = parts[1];
      }
    }
    const device = `flannel.${cfg.vni}`;
    if (storedMac !== undefined) {
      if (/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(storedMac)) {
        this.#info(SRC.macSet, `Interface ${device} mac address set to: ${storedMac}`);
      } else {
        this.#log(
          'E',
          SRC.macParseFailed,
          `Failed to parse mac addr(${storedMac}): address ${storedMac}: invalid MAC address`,
        );
        storedMac = undefined;
      }
    }
    const mtu = cfg.mtu ?? ext.iface.mtu;
    const spec: DeviceSpec = {
      name: device,
      vni: cfg.vni,
      mtu: mtu - ENCAP_OVERHEAD,
      vtepIndex: ext.iface.index,
      vtepDev: ext.iface.name,
      local: ext.ifaceAddr,
      port: cfg.port,
      learning: cfg.learning,
      gbp: cfg.gbp,
      mac: storedMac?.toLowerCase() ?? randomMac(this.#o.randomBytes ?? ((n) => cryptoRandomBytes(n))),
    };
    const plan = planDevice(spec, links);
    if (plan.incompat)
      this.#log(
        'W',
        SRC.incompatible,
        `"${device}" already exists with incompatible configuration: ${plan.incompat}; recreating device`,
      );
    const deviceErrors = await runBatch(this.#o.runner, 'ip', plan.lines);
    this.#check(run);
    if (deviceErrors.size > 0) {
      const [line, err] = [...deviceErrors][0]!;
      const what = plan.lines[line]?.startsWith('link del')
        ? 'failed to delete interface'
        : 'failed to create vxlan interface';
      return this.#fatal(run, SRC.registerNetwork, `Error registering network: ${what}: ${err}`);
    }

    // AcquireLease: wait for the node in the cache, check its pod CIDR, patch the annotations.
    const deadline = Date.now() + LEASE_TIMEOUT_MS;
    let current = run.nodes.get(node);
    while (!current) {
      if (Date.now() >= deadline)
        return this.#fatal(
          run,
          SRC.registerNetwork,
          `Error registering network: failed to acquire lease: timeout contacting kube-api, failed to patch node "${node}". Error: context deadline exceeded`,
        );
      // Polled as flanneld polls its cache, in slices so a stop() need not wait out the interval.
      for (let waited = 0; waited < LEASE_POLL_MS; waited += 100) {
        await new Promise((r) => setTimeout(r, 100));
        this.#check(run);
      }
      current = run.nodes.get(node);
    }
    const cidrs = podCIDRsOf(current);
    if (cidrs.length === 0)
      return this.#fatal(
        run,
        SRC.registerNetwork,
        `Error registering network: failed to acquire lease: node "${node}" pod cidr not assigned`,
      );
    const subnet = cidrs.map((c) => (c.includes(':') ? undefined : c)).find((c) => c !== undefined);
    const backendData = JSON.stringify({ VNI: cfg.vni, VtepMAC: plan.mac });
    const a = annotationsOf(current);
    const overwrite = a[names.publicIPOverwrite] ?? '';
    if (
      a[names.backendData] !== backendData ||
      a[names.backendType] !== 'vxlan' ||
      a[names.publicIP] !== ext.extAddr ||
      a[names.kubeSubnetManager] !== 'true' ||
      (overwrite !== '' && overwrite !== ext.extAddr)
    ) {
      const patch: Record<string, string> = {
        [names.backendType]: 'vxlan',
        [names.backendData]: backendData,
      };
      if (overwrite !== '') {
        if (a[names.publicIP] !== overwrite) {
          this.#info(
            SRC.overridePublicIP,
            `Overriding public ip with '${overwrite}' from node annotation '${names.publicIPOverwrite}'`,
          );
          patch[names.publicIP] = overwrite;
        }
      } else {
        patch[names.publicIP] = ext.extAddr;
      }
      patch[names.kubeSubnetManager] = 'true';
      try {
        await this.#o.nodes.patchAnnotations(node, patch);
      } catch (err) {
        return this.#fatal(
          run,
          SRC.registerNetwork,
          `Error registering network: failed to acquire lease: timeout contacting kube-api, failed to patch node "${node}". Error: ${(err as Error).message}`,
        );
      }
      this.#check(run);
    }
    let canonical: string;
    try {
      if (!subnet) throw new Error('no IPv4 pod CIDR');
      canonical = formatCidr(parseCidr(subnet));
      if (!subnetInNetwork(conf.network, canonical)) throw new Error('outside');
    } catch {
      return this.#fatal(
        run,
        SRC.registerNetwork,
        `Error registering network: failed to acquire lease: subnet "${conf.network}" specified in the flannel net config doesn't contain "${subnet ?? cidrs[0]}" PodCIDR of the "${node}" node`,
      );
    }

    // Configure: a /32 from the subnet (host-to-pod traffic's source), link up.
    const address = planAddress(device, canonical, conf.network, plan.kept);
    for (const removed of address.removed)
      this.#info(SRC.removedAddress, `removed IP address ${removed} from ${device}`);
    const addrErrors = await runBatch(this.#o.runner, 'ip', address.lines);
    this.#check(run);
    if (addrErrors.size > 0) {
      const err = [...addrErrors.values()][0];
      return this.#fatal(
        run,
        SRC.registerNetwork,
        `Error registering network: failed to configure interface ${device}: failed to ensure address of interface ${device}: ${err}`,
      );
    }
    run.status = {
      iface: ext.iface.name,
      ifaceAddr: ext.ifaceAddr,
      extAddr: ext.extAddr,
      device,
      vtepMac: plan.mac,
      subnet: canonical,
      network: conf.network,
      mtu: mtu - ENCAP_OVERHEAD,
    };
  }

  // ---- backend: peer leases -----------------------------------------------------------------

  /** Drain the lease queue: LeaseWatcher (own lease filtered, remembered leases), then handleSubnetEvents. */
  #pump(run: Run): Promise<void> {
    if (run.pumping) return run.chain.then(() => {});
    run.pumping = true;
    return this.#serial(run, async () => {
      try {
        while (run.queue.length > 0 && !run.done) {
          const batch = run.queue.splice(0);
          await this.#handleEvents(run, batch);
        }
      } finally {
        run.pumping = false;
      }
    })
      .catch(() => {})
      .finally(() => {
        if (run.queue.length > 0 && !run.done && !run.pumping) void this.#pump(run);
      });
  }

  async #handleEvents(run: Run, batch: PeerEvent[]): Promise<void> {
    const status = run.status!;
    const cfg = run.vxlan!;
    const events: PeerEvent[] = [];
    for (const ev of batch) {
      if (ev.lease.subnet === status.subnet) continue;
      if (ev.type === 'added') {
        run.leases.set(ev.lease.subnet, ev.lease);
        events.push(ev);
      } else {
        const known = run.leases.get(ev.lease.subnet);
        if (!known) this.#log('E', SRC.removedNotFound, `Removed subnet (${ev.lease.subnet}) was not found`);
        run.leases.delete(ev.lease.subnet);
        events.push({ type: 'removed', lease: known ?? ev.lease });
      }
    }
    if (events.length === 0) return;
    const direct = cfg.directRouting
      ? await routesTo(
          this.#o.runner,
          events.map((e) => e.lease.publicIP),
        )
      : new Map();
    const ops: PeerOp[] = [];
    for (const ev of events) {
      this.#info(SRC.batchElem, `Batch elem [0] is { ${goLeaseEvent(ev.type, ev.lease)} }`);
      this.#info(SRC.subnetEvent, `Received Subnet Event with VxLan: ${goLeaseAttrs(ev.lease)}`);
      if (ev.lease.backendType !== 'vxlan') {
        this.#log(
          'W',
          SRC.nonVxlan,
          `ignoring non-vxlan v4Subnet(${ev.lease.subnet}) v6Subnet(<nil>/0): type=${ev.lease.backendType}`,
        );
        continue;
      }
      let mac: string;
      try {
        const data = JSON.parse(ev.lease.backendData ?? '') as { VtepMAC?: unknown };
        if (typeof data.VtepMAC !== 'string' || !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(data.VtepMAC))
          throw new Error('error parsing hardware addr');
        mac = data.VtepMAC.toLowerCase();
      } catch (err) {
        const text = err instanceof SyntaxError ? 'unexpected end of JSON input' : (err as Error).message;
        this.#log('E', SRC.decodeLease, `error decoding subnet lease JSON: ${text}`);
        continue;
      }
      const route = direct.get(ev.lease.publicIP);
      const isDirect = route !== undefined && !('error' in route) && route.gateway === undefined;
      const peer = { subnet: ev.lease.subnet, publicIP: ev.lease.publicIP, vtepMac: mac };
      ops.push(
        ...(ev.type === 'added'
          ? peerAddOps(status.device, peer, isDirect)
          : peerRemoveOps(status.device, peer, isDirect)),
      );
    }
    await this.#applyOps(ops);
  }

  async #applyOps(ops: PeerOp[]): Promise<void> {
    const ipOps = ops.filter((o) => o.tool === 'ip');
    const bridgeOps = ops.filter((o) => o.tool === 'bridge');
    const [ipErrors, bridgeErrors] = await Promise.all([
      runBatch(
        this.#o.runner,
        'ip',
        ipOps.map((o) => o.line),
      ),
      runBatch(
        this.#o.runner,
        'bridge',
        bridgeOps.map((o) => o.line),
      ),
    ]);
    for (const [i, err] of ipErrors) this.#log('E', SRC.subnetEvent, `${ipOps[i]?.failure ?? ''}${err}`);
    for (const [i, err] of bridgeErrors)
      this.#log('E', SRC.subnetEvent, `${bridgeOps[i]?.failure ?? ''}${err}`);
  }

  // ---- iptables -----------------------------------------------------------------------------

  /** Start-up bootstrap of every group; the log lines come later, where flanneld's goroutines print them. */
  async #bootstrapIptables(run: Run): Promise<LogEntry[]> {
    if (run.groups.length === 0) return [];
    const r = this.#o.runner;
    const save = await r.run(['iptables-save']);
    const input = bootstrapRestore(run.groups, parseSave(save.stdout), true);
    const res = await r.run(['iptables-restore', '-w', '5', '--noflush'], { input });
    run.iptablesSetUp = true;
    return run.groups.map(() =>
      res.code === 0
        ? { severity: 'I', source: SRC.bootstrapDone, message: 'bootstrap done' }
        : {
            severity: 'E',
            source: SRC.bootstrapFailed,
            message: `Failed to bootstrap IPTables: failed to apply partial iptables-restore ${res.stderr.trim()}`,
          },
    );
  }

  /** ensureIPTables for each group: rebuild a group with any rule (or its chain) missing. */
  async #ensureIptables(run: Run): Promise<string[]> {
    const r = this.#o.runner;
    const save = parseSave((await r.run(['iptables-save'])).stdout);
    const broken = run.groups.filter((g) => !groupIntact(g, save));
    if (broken.length === 0 || run.done) return [];
    for (const _ of broken)
      this.#info(SRC.rulesMissing, 'Some iptables rules are missing; deleting and recreating rules');
    const res = await r.run(['iptables-restore', '-w', '5', '--noflush'], {
      input: bootstrapRestore(broken, save, false),
    });
    for (const _ of broken) {
      if (res.code === 0) this.#info(SRC.bootstrapDone, 'bootstrap done');
      else
        this.#log(
          'E',
          SRC.ensureFailed,
          `Failed to ensure iptables rules: error setting up rules: failed to apply partial iptables-restore ${res.stderr.trim()}`,
        );
    }
    return broken.map((g) => g.name);
  }

  #scheduleMonitor(run: Run, seconds: number): void {
    if (run.done || run.cancelled || run.groups.length === 0 || seconds <= 0) return;
    run.monitorTimer = setTimeout(() => {
      run.monitorTimer = undefined;
      void this.#serial(run, () => this.#ensureIptables(run))
        .catch(() => {})
        .finally(() => this.#scheduleMonitor(run, seconds));
    }, seconds * 1000);
    run.monitorTimer.unref();
  }

  // ---- helpers ------------------------------------------------------------------------------

  #prevCidr(prev: Map<string, string>, key: string, file: string): string {
    const value = prev.get(key);
    if (value === undefined) {
      this.#log('W', SRC.noSubnetKey, `no subnet found for key: ${key} in file: ${file}`);
      return '0.0.0.0/0';
    }
    try {
      return formatCidr(parseCidr(value));
    } catch {
      this.#log(
        'E',
        SRC.noSubnetKey,
        `Couldn't parse previous ${key} from subnet file at ${file}: invalid CIDR address: ${value}`,
      );
      return '0.0.0.0/0';
    }
  }

  #annotationsLine(node: NodeObject): string {
    return `List of node(${node.metadata.name}) annotations: ${goStringMap(annotationsOf(node))}`;
  }

  #serial<T>(run: Run, fn: () => Promise<T>): Promise<T> {
    const next = run.chain.then(fn);
    run.chain = next.catch(() => {});
    return next;
  }

  #check(run: Run): void {
    if (run.cancelled || run.done) throw new Cancelled();
  }

  /** Stop timers and the informer; the process is going away. */
  #quiet(run: Run): void {
    run.unsubscribe?.();
    run.unsubscribe = undefined;
    for (const t of [run.monitorTimer, run.etcdTimer]) if (t) clearTimeout(t);
    run.monitorTimer = run.etcdTimer = undefined;
  }

  #finish(run: Run, exit: AgentExit): void {
    if (run.done) return;
    run.done = true;
    run.exit = exit;
    this.#quiet(run);
    if (this.#run === run)
      this.#state = exit.code === 0 && exit.reason === 'terminated' ? 'stopped' : 'exited';
    run.resolveExit(exit);
  }

  #exit(run: Run, code: number, reason: string): never {
    this.#finish(run, { code, reason });
    throw new FlannelExitError(run.exit);
  }

  #fatal(run: Run, source: string, message: string): never {
    this.#log('E', source, message);
    return this.#exit(run, 1, message);
  }

  #info(source: string, message: string): void {
    this.#log('I', source, message);
  }

  #entry(e: LogEntry): void {
    this.#log(e.severity, e.source, e.message);
  }

  #log(severity: Severity, source: string, message: string): void {
    this.#o.log?.(klogLine(severity, source, message, nowMicros()));
  }

  /** Output that is not klog (Go's flag package, fmt.Println). */
  #raw(line: string): void {
    this.#o.log?.(line);
  }
}
