/**
 * CNI ADD and DEL for one node, as containerd runs its network configuration: the first plugin of
 * the list makes the pod's interface (flannel delegating to bridge + host-local, or bridge itself),
 * the rest of the chain (portmap, loopback) has nothing to do for the pods the labs run.
 *
 * Configuration is read at every ADD, from the node's files. Like containerd, a configuration file
 * that does not parse does not replace the last one that did; a missing one leaves the runtime
 * without a network ("cni plugin not initialized").
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NativeSandbox } from '../sandbox/types.ts';
import { attachPod, detachPod, ensureBridge, POD_IFNAME } from './bridge.ts';
import {
  type BridgeConf,
  CNI_BIN_DIR,
  CNI_NOT_INITIALIZED,
  CniError,
  directBridge,
  FLANNEL_DATA_DIR,
  flannelDelegate,
  loadFlannelSubnetEnv,
  loadNetworkConfig,
  type NetworkConfigList,
} from './cni-config.ts';
import { type Allocation, releaseById, reserve, storeDir } from './host-local.ts';

/** Plugins of a chain that have nothing to do for a pod without hostPorts or limits. */
const PASSIVE_PLUGINS = new Set(['portmap', 'loopback']);

export interface CniNodeOptions {
  sandbox: NativeSandbox;
  /** Sandbox-local name of the node's network namespace. */
  nodeNetns: string;
  /** Host directory of the node's files. */
  nodeRoot: string;
}

/** What ADD decided, before anything was made: the bridge configuration and who asked for it. */
export interface CniPlan {
  network: NetworkConfigList;
  /** Type of the plugin that makes the interface (`flannel` or `bridge`), for error messages. */
  mainType: string;
  conf: BridgeConf;
  /** flannel's rendered delegate, kept in its data dir for DEL. */
  delegate?: { dataDir: string; json: Record<string, unknown> };
}

/** The result of ADD: everything DEL needs, remembered by the runtime. */
export interface PodNetwork {
  containerId: string;
  netns: string;
  ip: string;
  prefix: number;
  gateway: string;
  /** Host end of the pod's cable, on the bridge. */
  hostVeth: string;
  bridge: string;
  /** Hairpin mode given to the host end when it was made. */
  hairpinMode: boolean;
  mtu: number;
  networkName: string;
  /** Host directory of host-local's store for this network. */
  ipamDir: string;
  /** Host path of flannel's saved delegate configuration, if flannel made this pod's network. */
  flannelScratch?: string;
}

function inNode(nodeRoot: string, path: string): string {
  return join(nodeRoot, path);
}

export class CniNode {
  readonly #opts: CniNodeOptions;
  #lastGood: NetworkConfigList | undefined;
  /** Bridge checks and creation, one at a time per node. */
  #bridgeQueue: Promise<unknown> = Promise.resolve();

  constructor(opts: CniNodeOptions) {
    this.#opts = opts;
  }

  /** The network containerd would use now, or why there is none. */
  async networkStatus(): Promise<
    { ready: true; network: NetworkConfigList } | { ready: false; message: string; detail: string }
  > {
    const loaded = await loadNetworkConfig(this.#opts.nodeRoot);
    if (loaded.ok) {
      this.#lastGood = loaded.network;
      return { ready: true, network: loaded.network };
    }
    if (loaded.reason === 'invalid' && this.#lastGood) return { ready: true, network: this.#lastGood };
    return { ready: false, message: CNI_NOT_INITIALIZED, detail: loaded.detail };
  }

  /** Read the configuration and subnet lease; throws CniError with containerd's message. */
  async plan(): Promise<CniPlan> {
    const status = await this.networkStatus();
    if (!status.ready) throw new CniError(status.message);
    const network = status.network;
    const main = network.plugins[0];
    const fail = (type: string, message: string) =>
      new CniError(`plugin type="${type}" failed (add): ${message}`);
    for (const p of network.plugins.slice(1)) {
      if (!PASSIVE_PLUGINS.has(p.type))
        throw fail(p.type, `failed to find plugin "${p.type}" in path [${CNI_BIN_DIR}]`);
    }
    try {
      if (main.type === 'flannel') {
        const subnetFile = typeof main.subnetFile === 'string' ? main.subnetFile : undefined;
        let env: Awaited<ReturnType<typeof loadFlannelSubnetEnv>>;
        try {
          env = await loadFlannelSubnetEnv(this.#opts.nodeRoot, subnetFile);
        } catch (e) {
          throw new CniError(`loadFlannelSubnetEnv failed: ${(e as Error).message}`);
        }
        const { conf, rendered } = flannelDelegate(network, main, env);
        const dataDir = typeof main.dataDir === 'string' ? main.dataDir : FLANNEL_DATA_DIR;
        return { network, mainType: main.type, conf, delegate: { dataDir, json: rendered } };
      }
      if (main.type === 'bridge') return { network, mainType: main.type, conf: directBridge(network, main) };
      throw new CniError(`failed to find plugin "${main.type}" in path [${CNI_BIN_DIR}]`);
    } catch (e) {
      if (e instanceof CniError) throw fail(main.type, e.message);
      throw e;
    }
  }

  /**
   * ADD into an existing namespace: reserve an address, make sure the bridge is there, cable the
   * pod. On failure everything made here is undone and the address released.
   */
  async add(containerId: string, podNetns: string, plan: CniPlan): Promise<PodNetwork> {
    const { sandbox, nodeNetns, nodeRoot } = this.#opts;
    const { conf } = plan;
    const delegated = plan.delegate ? 'failed to delegate add: ' : '';
    const fail = (message: string) =>
      new CniError(`plugin type="${plan.mainType}" failed (add): ${delegated}${message}`);
    const ipamDir = storeDir(nodeRoot, conf.name, conf.ipam.dataDir);
    let flannelScratch: string | undefined;
    if (plan.delegate) {
      // flannel saves the delegate configuration before delegating; DEL reads it back.
      const dir = inNode(nodeRoot, plan.delegate.dataDir);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      flannelScratch = join(dir, containerId);
      await writeFile(flannelScratch, JSON.stringify(plan.delegate.json), { mode: 0o600 });
    }
    let alloc: Allocation | undefined;
    let hostVeth: string | undefined;
    try {
      try {
        alloc = reserve(ipamDir, conf.ipam, containerId, POD_IFNAME);
      } catch (e) {
        if (e instanceof CniError) throw fail(e.message);
        throw e;
      }
      const a = alloc;
      const bridgeReady = this.#serial(() => ensureBridge(sandbox, nodeNetns, conf, a)).catch((e) => {
        throw e instanceof CniError ? fail(e.message) : e;
      });
      bridgeReady.catch(() => {}); // attachPod awaits it, and may fail before it does
      hostVeth = await attachPod(sandbox, nodeNetns, podNetns, conf, a, bridgeReady);
      return {
        containerId,
        netns: podNetns,
        ip: a.ip,
        prefix: a.prefix,
        gateway: a.gateway,
        hostVeth,
        bridge: conf.bridge,
        hairpinMode: conf.hairpinMode,
        mtu: conf.mtu,
        networkName: conf.name,
        ipamDir,
        flannelScratch,
      };
    } catch (e) {
      if (hostVeth) await detachPod(sandbox, nodeNetns, hostVeth).catch(() => {});
      releaseById(ipamDir, containerId);
      if (flannelScratch) await rm(flannelScratch, { force: true });
      throw e instanceof CniError ? e : fail((e as Error).message);
    }
  }

  /** DEL: the pod's cable, its address and flannel's saved configuration. Idempotent. */
  async del(net: PodNetwork): Promise<void> {
    await detachPod(this.#opts.sandbox, this.#opts.nodeNetns, net.hostVeth);
    releaseById(net.ipamDir, net.containerId);
    if (net.flannelScratch) await rm(net.flannelScratch, { force: true });
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#bridgeQueue.then(work, work);
    this.#bridgeQueue = next.catch(() => {});
    return next;
  }
}
