/**
 * The kube-proxy of one node (iptables mode, behaving like 1.32): it turns Services and
 * EndpointSlices into the node's iptables rules and keeps them there.
 *
 * - start(): the startup kube-proxy logs, the sysctls it sets, the canary chains, a full sync.
 * - Changes from the source trigger syncs through a token bucket like kube-proxy's
 *   BoundedFrequencyRunner (burst 2, then at most one per minSyncPeriod). Those syncs are partial:
 *   only changed Services get their per-service chains rewritten, as in 1.32.
 * - Every syncPeriod it checks the mangle-table canary chain; a deleted canary (firewall reload,
 *   `iptables -t mangle -X`) forces a full sync, as kube-proxy's iptables Monitor does. With
 *   `resync: 'full'` (the default here) every tick also forces a full sync, so rules a learner
 *   flushes by hand come back within syncPeriod. A real 1.32 node only repairs a plain
 *   `iptables -t nat -F` on its hourly full sync or a restart: use `resync: 'canary'` for that.
 * - Each full sync re-ensures the jumps from built-in chains (what kube-proxy does with
 *   `iptables -C`/`-I`, batched here into one restore when some are missing) and writes everything
 *   kube-proxy owns with `iptables-restore --noflush`, leaving other rules (flannel's) alone.
 * - After UDP endpoint changes, stale conntrack entries are deleted.
 *
 * Logs go to `log` in klog format; `verbosity` is klog's -v (kubeadm runs kube-proxy at 0, where
 * sync messages are silent; 2 shows "Syncing iptables rules" and friends).
 */
import { KUBE_PROXY_CANARY } from './chains.ts';
import {
  parseConntrackList,
  staleConntrackDeletes,
  udpFrontends,
  udpFrontendsFingerprint,
} from './conntrack.ts';
import { formatKlog, type KlogLine, type LogValue, nowMicros, type Severity } from './klog.ts';
import {
  type EndpointInfo,
  endpointsOf,
  type ServicePortInfo,
  servicePortKey,
  servicePortsOf,
} from './model.ts';
import {
  buildRules,
  chainsInSave,
  jumpRules,
  type KubeProxyConfig,
  localhostNodePortsEnabled,
  localTrafficCIDR,
  masqueradeMark,
  missingJumpsRestore,
  type RulesResult,
} from './rules.ts';
import type { NodeCommandRunner } from './runner.ts';
import type { ServiceSource } from './source.ts';

export interface KubeProxyAgentOptions {
  nodeName: string;
  nodeIPs: string[];
  config: KubeProxyConfig;
  runner: NodeCommandRunner;
  source: ServiceSource;
  /** Receives each klog line (no trailing newline). */
  log?: (line: string) => void;
  /** klog -v. Default 0, as kubeadm's DaemonSet runs kube-proxy. */
  verbosity?: number;
  /** iptables.minSyncPeriod in ms. Default 1000. */
  minSyncPeriodMs?: number;
  /** iptables.syncPeriod in ms. Default 30000. */
  syncPeriodMs?: number;
  /** 'full': a full sync every syncPeriod (repairs hand flushes). 'canary': only 1.32's canary check. */
  resync?: 'full' | 'canary';
  /** Reported in the "Version info" log line. */
  version?: string;
  nodeLabels?: Record<string, string>;
  /** IPv4 addresses of the node's interfaces, needed only when nodePortAddresses lists CIDRs. */
  localAddresses?: string[];
  /** Called after every sync attempt. */
  onSync?: (report: SyncReport) => void;
}

export interface SyncReport {
  full: boolean;
  ok: boolean;
  error?: string;
  elapsedMs: number;
  result?: RulesResult;
  conntrackDeleted: number;
}

const FULL_SYNC_PERIOD_MS = 60 * 60 * 1000;
const BURST_SYNCS = 2;
const CANARY_TABLES = ['mangle', 'nat', 'filter'] as const;

export class KubeProxyAgent {
  readonly #o: Required<
    Pick<KubeProxyAgentOptions, 'minSyncPeriodMs' | 'syncPeriodMs' | 'resync' | 'version' | 'verbosity'>
  > &
    KubeProxyAgentOptions;
  #config: KubeProxyConfig;
  #unsubscribe: (() => void) | undefined;
  #tickTimer: NodeJS.Timeout | undefined;
  #tickRun: Promise<void> | undefined;
  #runTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  /** Every sync runs through this chain, so two never overlap. */
  #chain: Promise<unknown> = Promise.resolve();
  #busy = false;
  #pending: { full: boolean } | undefined;
  #tokens = BURST_SYNCS;
  #lastRefill = 0;
  #stopped = true;
  #needFullSync = true;
  #lastFullSync = 0;
  #fingerprints = new Map<string, string>();
  #udpFingerprint: string | undefined;
  #nfacctReported = false;
  #syncCount = 0;
  #lastRestore = '';
  #lastError: string | undefined;

  constructor(options: KubeProxyAgentOptions) {
    this.#o = {
      minSyncPeriodMs: 1000,
      syncPeriodMs: 30_000,
      resync: 'full',
      version: 'v1.32.0',
      verbosity: 0,
      ...options,
    };
    this.#config = { ...options.config };
  }

  /** Number of successful syncs so far. */
  get syncCount(): number {
    return this.#syncCount;
  }

  /** The iptables-restore input of the last successful sync. */
  get lastRestore(): string {
    return this.#lastRestore;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    try {
      await this.#startUp();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async #startUp(): Promise<void> {
    const o = this.#o;
    this.#info('server.go:698', 'Successfully retrieved node IP(s)', [['IPs', o.nodeIPs]]);
    if (!o.config.nodePortAddresses?.length) {
      this.#log('E', 'server.go:234', 'Kube-proxy configuration may be incomplete or incorrect', [
        [
          'err',
          'nodePortAddresses is unset; NodePort connections will be accepted on all local IPs. Consider using `--nodeport-addresses primary`',
        ],
      ]);
    }
    this.#info('server.go:243', 'kube-proxy running in dual-stack mode', [['primary ipFamily', 'IPv4']]);
    this.#info('server_linux.go:170', 'Using iptables Proxier');
    if (localTrafficCIDR(o.config) === undefined) {
      this.#info(
        'server_linux.go:517',
        'Detect-local-mode set to ClusterCIDR, but no cluster CIDR specified for primary IP family',
        [
          ['ipFamily', 'IPv4'],
          ['clusterCIDRs', []],
        ],
      );
    }
    const bridgeCall = await this.#readSysctl('net.bridge.bridge-nf-call-iptables');
    if (bridgeCall !== undefined && bridgeCall !== 1) {
      this.#info(
        'server_linux.go:589',
        'Missing br-netfilter module or unset sysctl br-nf-call-iptables, proxy may not work as intended',
      );
    }
    if (localhostNodePortsEnabled(o.config, o.nodeIPs)) {
      this.#info(
        'proxier.go:255',
        'Setting route_localnet=1 to allow node-ports on localhost; to change this either disable iptables.localhostNodePorts (--iptables-localhost-nodeports) or set nodePortAddresses (--nodeport-addresses) to filter loopback addresses',
        [['ipFamily', 'IPv4']],
      );
      await this.#ensureSysctl('net.ipv4.conf.all.route_localnet', 1);
    }
    if (o.config.conntrackTCPLiberal === undefined) {
      this.#config.conntrackTCPLiberal =
        ((await this.#readSysctl('net.netfilter.nf_conntrack_tcp_be_liberal')) ?? 0) !== 0;
    }
    if (this.#config.conntrackTCPLiberal) {
      this.#info(
        'proxier.go:269',
        'nf_conntrack_tcp_be_liberal set, not installing DROP rules for INVALID packets',
        [['ipFamily', 'IPv4']],
      );
    }
    this.#info(
      'proxier.go:286',
      'Using iptables mark for masquerade',
      [
        ['ipFamily', 'IPv4'],
        ['mark', masqueradeMark(o.config.masqueradeBit ?? 14)],
      ],
      2,
    );
    this.#info('server.go:497', 'Version info', [['version', o.version]]);
    this.#info('server.go:499', 'Golang settings', [
      ['GOGC', ''],
      ['GOMAXPROCS', ''],
      ['GOTRACEBACK', ''],
    ]);
    const controllers: [string, string][] = [
      ['config.go:329', 'node'],
      ['config.go:199', 'service'],
      ['config.go:105', 'endpoint slice'],
    ];
    for (const [source, what] of controllers) {
      this.#info(source, `Starting ${what} config controller`);
      this.#plain('shared_informer.go:313', `Waiting for caches to sync for ${what} config`);
    }
    this.#unsubscribe = o.source.subscribe(() => this.#request(false));
    await o.source.list();
    for (const [, what] of controllers)
      this.#plain('shared_informer.go:320', `Caches are synced for ${what} config`);

    await this.#ensureCanaries();
    this.#tokens -= 1;
    this.#lastRefill = Date.now();
    await this.#serial(() => this.#syncOnce(true));
    this.#scheduleTick();
  }

  /** Stop watching and syncing. Rules stay in the kernel, as when a kube-proxy pod goes away. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const t of [this.#tickTimer, this.#runTimer, this.#retryTimer]) if (t) clearTimeout(t);
    this.#tickTimer = this.#runTimer = this.#retryTimer = undefined;
    this.#pending = undefined;
    await this.#tickRun;
    await this.#chain;
  }

  /** Run a full sync now (after any sync in flight), whatever the rate limit says. */
  syncNow(): Promise<SyncReport> {
    return this.#serial(() => this.#syncOnce(true));
  }

  /**
   * What `kube-proxy --cleanup` does: unlink kube-proxy's chains from the built-in chains, then
   * flush and delete them (the KUBE-FIREWALL copy stays, as the kubelet owns the original).
   */
  async cleanup(): Promise<void> {
    const r = this.#o.runner;
    for (const jump of jumpRules({ localhostNodePorts: false })) {
      await r.run(['iptables', '-t', jump.table, '-D', jump.chain, ...jump.args]);
    }
    for (const table of ['nat', 'filter'] as const) {
      const save = await r.run(['iptables-save', '-t', table]);
      const ours = chainsInSave(save.stdout, table).filter(
        (c) =>
          [
            'KUBE-SERVICES',
            'KUBE-NODEPORTS',
            'KUBE-POSTROUTING',
            'KUBE-EXTERNAL-SERVICES',
            'KUBE-FORWARD',
          ].includes(c) ||
          (table === 'nat' && /^KUBE-(SVC|SVL|SEP|FW|EXT)-/.test(c)),
      );
      if (ours.length === 0) continue;
      const input = [
        `*${table}`,
        ...ours.map((c) => `:${c} - [0:0]`),
        ...ours.map((c) => `-X ${c}`),
        'COMMIT',
        '',
      ];
      await r.run(['iptables-restore', '--noflush'], { input: input.join('\n') });
    }
    await r.run(['iptables', '-t', 'mangle', '-X', KUBE_PROXY_CANARY]);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn);
    this.#chain = run.catch(() => {});
    return run;
  }

  #request(full: boolean): void {
    if (this.#stopped) return;
    this.#pending = { full: (this.#pending?.full ?? false) || full };
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped || this.#busy || this.#runTimer || !this.#pending) return;
    const now = Date.now();
    const period = this.#o.minSyncPeriodMs;
    if (period <= 0) {
      this.#tokens = BURST_SYNCS;
    } else {
      this.#tokens = Math.min(BURST_SYNCS, this.#tokens + (now - this.#lastRefill) / period);
    }
    this.#lastRefill = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      const { full } = this.#pending;
      this.#pending = undefined;
      this.#busy = true;
      void this.#serial(() => this.#syncOnce(full || this.#needFullSync)).finally(() => {
        this.#busy = false;
        this.#schedule();
      });
      return;
    }
    this.#runTimer = setTimeout(
      () => {
        this.#runTimer = undefined;
        this.#schedule();
      },
      Math.ceil((1 - this.#tokens) * period),
    );
    this.#runTimer.unref();
  }

  #scheduleTick(): void {
    if (this.#stopped) return;
    this.#tickTimer = setTimeout(() => {
      this.#tickTimer = undefined;
      this.#tickRun = this.#tick().finally(() => {
        this.#tickRun = undefined;
        this.#scheduleTick();
      });
    }, this.#o.syncPeriodMs);
    this.#tickTimer.unref();
  }

  /** kube-proxy's iptables Monitor: a missing mangle canary means someone flushed iptables. */
  async #tick(): Promise<void> {
    if (this.#stopped) return;
    if (!(await this.#chainExists('mangle', KUBE_PROXY_CANARY))) {
      this.#info(
        'iptables.go:632',
        'IPTables canary deleted',
        [
          ['table', 'mangle'],
          ['chain', KUBE_PROXY_CANARY],
        ],
        2,
      );
      const deadline = Date.now() + 5000;
      let consistent = false;
      while (!this.#stopped && Date.now() < deadline) {
        const others = await Promise.all(
          CANARY_TABLES.slice(1).map((t) => this.#chainExists(t, KUBE_PROXY_CANARY)),
        );
        if (others.every((exists) => !exists)) {
          consistent = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      if (!consistent) this.#info('iptables.go:645', 'Inconsistent iptables state detected');
      this.#info('iptables.go:657', 'Reloading after iptables flush', [], 2);
      this.#needFullSync = true;
      await this.#ensureCanaries();
      this.#request(true);
      return;
    }
    if (this.#o.resync === 'full' || Date.now() - this.#lastFullSync > FULL_SYNC_PERIOD_MS)
      this.#request(true);
  }

  async #syncOnce(full: boolean): Promise<SyncReport> {
    const started = performance.now();
    const o = this.#o;
    const report: SyncReport = { full, ok: false, elapsedMs: 0, conntrackDeleted: 0 };
    try {
      const snapshot = await o.source.list();
      this.#info(
        'proxier.go:805',
        'Syncing iptables rules',
        [
          ['ipFamily', 'IPv4'],
          ['fullSync', full],
        ],
        2,
      );
      let save = await o.runner.run(['iptables-save']);
      if (full && save.code === 0) {
        if (await this.#ensureJumps(save.stdout)) save = await o.runner.run(['iptables-save']);
        this.#reportNfacct();
      }
      const existingNatChains = save.code === 0 ? chainsInSave(save.stdout, 'nat') : undefined;
      if (save.code !== 0) {
        this.#log(
          'E',
          'proxier.go:1471',
          'Failed to execute iptables-save: stale chains will not be deleted',
          [
            ['err', save.stderr.trim()],
            ['ipFamily', 'IPv4'],
          ],
        );
      }
      const fingerprints = serviceFingerprints(
        servicePortsOf(snapshot.services),
        endpointsOf(snapshot.endpointSlices, o.nodeName),
      );
      const result = buildRules({
        nodeName: o.nodeName,
        nodeIPs: o.nodeIPs,
        config: this.#config,
        services: snapshot.services,
        endpointSlices: snapshot.endpointSlices,
        nodeLabels: o.nodeLabels,
        localAddresses: o.localAddresses,
        existingNatChains,
        changedServices: full ? undefined : changedServices(this.#fingerprints, fingerprints),
      });
      report.result = result;
      this.#info(
        'proxier.go:1527',
        'Reloading service iptables data',
        [
          ['ipFamily', 'IPv4'],
          ['numServices', result.numServices],
          ['numEndpoints', result.numEndpoints],
          ['numFilterChains', result.numFilterChains],
          ['numFilterRules', result.numFilterRules],
          ['numNATChains', result.numNATChains],
          ['numNATRules', result.numNATRules],
        ],
        2,
      );
      const restore = await o.runner.run(['iptables-restore', '-w', '5', '--noflush', '--counters'], {
        input: result.restore,
      });
      if (restore.code !== 0) {
        const message = restore.stderr.trim() || `iptables-restore exited ${restore.code}`;
        this.#log('E', 'proxier.go:1551', 'Failed to execute iptables-restore', [
          ['err', message],
          ['ipFamily', 'IPv4'],
        ]);
        throw new Error(message);
      }

      this.#fingerprints = fingerprints;
      this.#needFullSync = false;
      if (full) this.#lastFullSync = Date.now();
      this.#lastRestore = result.restore;
      this.#lastError = undefined;
      this.#syncCount += 1;
      report.ok = true;
      report.conntrackDeleted = await this.#cleanConntrack(result.servicePorts, result.endpoints);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      report.error = message;
      this.#lastError = message;
      this.#info('proxier.go:826', 'Sync failed', [
        ['ipFamily', 'IPv4'],
        ['retryingTime', { durationMs: o.syncPeriodMs }],
      ]);
      // Change tracking is lost with a failed sync, so the retry must be a full one.
      this.#needFullSync = true;
      if (!this.#stopped && !this.#retryTimer) {
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#request(true);
        }, o.syncPeriodMs);
        this.#retryTimer.unref();
      }
    }
    report.elapsedMs = performance.now() - started;
    if (report.ok) {
      this.#info(
        'proxier.go:800',
        'SyncProxyRules complete',
        [
          ['ipFamily', 'IPv4'],
          ['elapsed', { durationMs: report.elapsedMs }],
        ],
        2,
      );
    }
    o.onSync?.(report);
    return report;
  }

  /**
   * kube-proxy's EnsureChain + EnsureRule(Prepend) for every jump. Jumps present in `save` cost
   * nothing; missing ones go in with one `iptables-restore`, or one by one with `-N`, `-C` and `-I`
   * if that fails. Returns whether anything was changed.
   */
  async #ensureJumps(save: string): Promise<boolean> {
    const r = this.#o.runner;
    const jumps = jumpRules({ localhostNodePorts: localhostNodePortsEnabled(this.#config, this.#o.nodeIPs) });
    const batch = missingJumpsRestore(save, jumps);
    if (batch === undefined) return false;
    const restored = await r.run(['iptables-restore', '-w', '5', '--noflush'], { input: batch });
    if (restored.code === 0) return true;
    for (const jump of jumps) {
      const made = await r.run(['iptables', '-t', jump.table, '-N', jump.target]);
      if (made.code !== 0 && !/already exists/i.test(made.stderr)) {
        this.#log('E', 'proxier.go:848', 'Failed to ensure chain exists', [
          ['err', made.stderr.trim()],
          ['ipFamily', 'IPv4'],
          ['table', jump.table],
          ['chain', jump.target],
        ]);
        throw new Error(`iptables -N ${jump.target}: ${made.stderr.trim()}`);
      }
      const check = await r.run(['iptables', '-t', jump.table, '-C', jump.chain, ...jump.args]);
      if (check.code === 0) continue;
      const insert = await r.run(['iptables', '-t', jump.table, '-I', jump.chain, ...jump.args]);
      if (insert.code !== 0) {
        this.#log('E', 'proxier.go:858', 'Failed to ensure chain jumps', [
          ['err', insert.stderr.trim()],
          ['ipFamily', 'IPv4'],
          ['table', jump.table],
          ['srcChain', jump.chain],
          ['dstChain', jump.target],
        ]);
        throw new Error(`iptables -I ${jump.chain}: ${insert.stderr.trim()}`);
      }
    }
    return true;
  }

  /** Without nfacct counters a real kube-proxy logs that its nfacct metrics are off, once. */
  #reportNfacct(): void {
    if (this.#config.nfacct || this.#nfacctReported) return;
    this.#nfacctReported = true;
    for (const counter of ['ct_state_invalid_dropped_pkts', 'localhost_nps_accepted_pkts']) {
      this.#log(
        'E',
        'proxier.go:870',
        'Failed to create nfacct counter; the corresponding metric will not be updated',
        [
          ['err', 'nfacct sub-system not available'],
          ['ipFamily', 'IPv4'],
          ['counter', counter],
        ],
      );
    }
  }

  async #cleanConntrack(
    servicePorts: readonly ServicePortInfo[],
    endpoints: ReadonlyMap<string, readonly EndpointInfo[]>,
  ): Promise<number> {
    const frontends = udpFrontends(servicePorts, endpoints);
    const fingerprint = udpFrontendsFingerprint(frontends);
    if (fingerprint === this.#udpFingerprint) return 0;
    this.#udpFingerprint = fingerprint;
    if (frontends.byAddress.size === 0 && frontends.byNodePort.size === 0) return 0;
    const started = performance.now();
    const list = await this.#o.runner.run(['conntrack', '-L', '-p', 'udp']);
    if (list.code !== 0) {
      this.#log('E', 'cleanup.go:48', 'Failed to list conntrack entries', [['err', list.stderr.trim()]]);
      return 0;
    }
    let deleted = 0;
    for (const argv of staleConntrackDeletes(parseConntrackList(list.stdout), frontends)) {
      const r = await this.#o.runner.run(['conntrack', ...argv]);
      const m = /(\d+) flow entries have been deleted/.exec(r.stderr + r.stdout);
      deleted += m ? Number(m[1]) : 0;
    }
    this.#info(
      'cleanup.go:138',
      'Finished reconciling conntrack entries',
      [
        ['ipFamily', 'IPv4'],
        ['entriesDeleted', deleted],
        ['took', { durationMs: performance.now() - started }],
      ],
      4,
    );
    return deleted;
  }

  async #ensureCanaries(): Promise<void> {
    for (const table of CANARY_TABLES) {
      const r = await this.#o.runner.run(['iptables', '-t', table, '-N', KUBE_PROXY_CANARY]);
      if (r.code !== 0 && !/already exists/i.test(r.stderr)) {
        this.#log('E', 'iptables.go:609', 'Could not set up iptables canary', [
          ['err', r.stderr.trim()],
          ['table', table],
          ['chain', KUBE_PROXY_CANARY],
        ]);
      }
    }
  }

  async #chainExists(table: string, chain: string): Promise<boolean> {
    const r = await this.#o.runner.run(['iptables', '-t', table, '-L', chain, '-n']);
    return r.code === 0;
  }

  async #readSysctl(name: string): Promise<number | undefined> {
    const r = await this.#o.runner.run(['sysctl', '-n', name]);
    if (r.code !== 0) return undefined;
    const n = Number(r.stdout.trim());
    return Number.isFinite(n) ? n : undefined;
  }

  async #ensureSysctl(name: string, value: number): Promise<void> {
    if ((await this.#readSysctl(name)) === value) return;
    const r = await this.#o.runner.run(['sysctl', '-w', `${name}=${value}`]);
    if (r.code !== 0) {
      this.#log('E', 'proxier.go:257', "can't set sysctl", [
        ['err', r.stderr.trim()],
        ['sysctl', name],
      ]);
      return;
    }
    this.#info(
      'sysctl.go:45',
      'Set sysctl',
      [
        ['entry', name.replaceAll('.', '/')],
        ['value', value],
      ],
      1,
    );
  }

  #info(source: string, message: string, values: [string, LogValue][] = [], level = 0): void {
    if (level > this.#o.verbosity) return;
    this.#log('I', source, message, values);
  }

  #plain(source: string, message: string): void {
    this.#emit({ severity: 'I', source, message, structured: false });
  }

  #log(severity: Severity, source: string, message: string, values: [string, LogValue][] = []): void {
    this.#emit({ severity, source, message, values });
  }

  #emit(line: KlogLine): void {
    this.#o.log?.(formatKlog(line, nowMicros()));
  }
}

/** Per Service (`ns/name`): a text that changes whenever its ports or endpoints change. */
function serviceFingerprints(
  servicePorts: readonly ServicePortInfo[],
  endpoints: ReadonlyMap<string, readonly EndpointInfo[]>,
): Map<string, string> {
  const parts = new Map<string, string[]>();
  for (const sp of servicePorts) {
    const eps = endpoints.get(servicePortKey(sp.nameString, sp.protocol)) ?? [];
    const list = parts.get(sp.serviceName) ?? [];
    list.push(JSON.stringify([sp, eps]));
    parts.set(sp.serviceName, list);
  }
  return new Map([...parts].map(([k, v]) => [k, v.join('\n')]));
}

function changedServices(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
): Set<string> {
  const out = new Set<string>();
  for (const [name, fp] of after) if (before.get(name) !== fp) out.add(name);
  for (const name of before.keys()) if (!after.has(name)) out.add(name);
  return out;
}
