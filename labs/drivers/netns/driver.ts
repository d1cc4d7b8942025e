/**
 * The `netns` driver: a lab is a sandbox of network namespaces on this kernel (rootless where the
 * host allows it, root otherwise) - nodes with their NICs, switches, NAT routers - plus the control
 * plane in this process and, per node, a kubelet whose pods are namespaces on cni0 and whose system
 * pods (flannel, kube-proxy, CoreDNS, the apiservers) are agents doing the real components' work.
 *
 * Build, with everything that does not depend on the network running beside it:
 *   sandbox -> network (namespaces, cables, switches, routers, nodes booting from netplan)
 *   certificates -> control plane (API on 127.0.0.1, kubeconfig, addons and workloads stored)
 *   then per node: files and view, kubelet (control-plane nodes: static pods)
 *   pod network (flannel on every node, nodes Ready) -> system pods -> workloads -> ready
 * Any failure or abort undoes all of it before create() rejects.
 */

import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { ControlPlane } from '../../controlplane/controlplane.ts';
import { ApiError } from '../../kube/errors.ts';
import type { KObject } from '../../kube/object.ts';
import { ensureNsutil } from '../../native/build.ts';
import { buildLab } from '../../netns/build/builder.ts';
import { gcSandboxes } from '../../netns/sandbox/gc.ts';
import { createSandbox, newPrefix } from '../../netns/sandbox/index.ts';
import type { NativeSandbox } from '../../netns/sandbox/types.ts';
import type { SandboxMode } from '../../netns/sandbox.ts';
import { builtinCatalog, findBusybox, hostWhich } from '../../runtime/images/index.ts';
import { registerSystemImages } from '../../runtime/images/system.ts';
import { clusterConfig, serialisedCert, servingNames } from '../cluster.ts';
import type { ProgressEvent, ProgressSink } from '../driver.ts';
import type { Availability, GcReport, LabDriver } from '../lab-driver.ts';
import { LabAgents, type NodeAgentContext } from './agents/types.ts';
import { ChangeHub } from './changes.ts';
import { NetnsDriverLab } from './lab.ts';
import { addonObjects, type StaticPod, staticPods, workloadObjects } from './manifests.ts';
import { nodeView, writeNodeFiles } from './node-files.ts';
import { nodeIP, type RunningNode, startNode, stopNode } from './nodes.ts';
import { all, daemonPodsReady, deploymentsAvailable, nodesReady, waitUntil } from './ready.ts';
import { environmentSettings, type NetnsLabSpec } from './settings.ts';
import { dnsClusterSource, nodeSource, serviceSource } from './sources.ts';
import { createMirrorPods } from './static-pods.ts';

const READY_TIMEOUT_MS = 60_000;

/** Create objects as `kubectl apply` would, in order; an object that exists is left as it is. */
function createObjects(cp: ControlPlane, objects: KObject[]): void {
  for (const obj of objects) {
    const def = cp.kinds.byApiVersionKind(obj.apiVersion, obj.kind);
    if (!def) throw new Error(`${obj.apiVersion} ${obj.kind} is not served by the lab's apiserver`);
    try {
      cp.store.create(def, obj);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
    }
  }
}

/** One GET through the host listener, as kubectl's first request would go. */
function apiAnswers(port: number, ca: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/readyz', ca, servername: 'localhost', timeout: 5000 },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`/readyz answered ${res.statusCode}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('/readyz timed out')));
    req.on('error', reject);
    req.end();
  });
}

class Progress {
  readonly #sink: ProgressSink;
  readonly timings: Record<string, number> = {};
  readonly #started = performance.now();
  done = 0;
  total: number;

  constructor(sink: ProgressSink, total: number) {
    this.#sink = sink;
    this.total = total;
  }

  emit(step: string, title: string, state: ProgressEvent['state']): void {
    this.#sink({ step, title, done: this.done, total: this.total, state });
  }

  /** Run one step, reporting it and recording its duration. */
  async step<T>(signal: AbortSignal, step: string, title: string, work: () => Promise<T>): Promise<T> {
    signal.throwIfAborted();
    const t0 = performance.now();
    this.emit(step, title, 'running');
    try {
      const value = await work();
      this.done++;
      this.timings[step] = Math.round(performance.now() - t0);
      this.emit(step, title, 'done');
      return value;
    } catch (e) {
      this.emit(step, title, 'failed');
      throw e;
    }
  }

  elapsed(): number {
    return Math.round(performance.now() - this.#started);
  }
}

export interface NetnsDriverOptions {
  /** Sandbox mode: 'auto' (default) is rootless where the host allows it, root otherwise. */
  mode?: SandboxMode | 'auto';
  /** Tag in the sandbox prefix (`svcl-<tag><random>-`); tests use 't'. */
  prefixTag?: string;
}

export class NetnsDriver implements LabDriver {
  readonly name = 'netns' as const;
  readonly summary = 'real kernel networking in network namespaces: nodes, NICs, vxlan, iptables (Linux)';
  readonly #opts: NetnsDriverOptions;
  #available: Availability | undefined;

  constructor(opts: NetnsDriverOptions = {}) {
    this.#opts = opts;
  }

  async available(): Promise<Availability> {
    if (this.#available?.ok) return this.#available;
    this.#available = await this.#check();
    return this.#available;
  }

  async #check(): Promise<Availability> {
    if (process.platform !== 'linux')
      return { ok: false, reason: 'network namespaces are a Linux kernel feature', fix: 'use --driver kind' };
    for (const [bin, pkg] of [
      ['ip', 'iproute2'],
      ['iptables', 'iptables'],
      ['iptables-restore', 'iptables'],
      ['kubectl', ''],
      ['openssl', 'openssl'],
    ] as const) {
      if (!hostWhich(bin))
        return {
          ok: false,
          reason: `${bin} is missing`,
          fix: pkg
            ? `apt-get install ${pkg}`
            : 'install kubectl 1.32 (https://kubernetes.io/docs/tasks/tools/)',
        };
    }
    if (!findBusybox())
      return { ok: false, reason: 'pods run busybox applets', fix: 'apt-get install busybox' };
    try {
      await ensureNsutil();
    } catch (e) {
      return {
        ok: false,
        reason: `the namespace helper could not be built: ${(e as Error).message}`,
        fix: (e as { hint?: string }).hint ?? 'apt-get install gcc libc6-dev',
      };
    }
    return { ok: true };
  }

  async create(spec: NetnsLabSpec, sink: ProgressSink): Promise<NetnsDriverLab> {
    const t = spec.topology;
    const settings = environmentSettings(spec.environment, t, spec.settings);
    const catalog = registerSystemImages(builtinCatalog());
    // sandbox, network (3 + switches + routers/hosts + nodes), pki, control plane, nodes, pod network,
    // system pods, workloads, ready
    const switches = t.segments.filter((s) => s.kind === 'switch').length;
    const networkSteps = 3 + switches + t.routers.length + t.hosts.length + t.nodes.length;
    const progress = new Progress(sink, 1 + networkSteps + 2 + t.nodes.length + 4);
    const signal = spec.signal;

    let sandbox: NativeSandbox | undefined;
    let cp: ControlPlane | undefined;
    const nodes = new Map<string, RunningNode>();
    let madeHub: ChangeHub | undefined;
    try {
      const sandboxReady = progress.step(signal, 'sandbox', 'Sandbox (network namespaces)', () =>
        createSandbox({
          stateDir: spec.stateDir,
          mode: this.#opts.mode ?? 'auto',
          prefix: newPrefix(this.#opts.prefixTag ?? ''),
        }),
      );
      const networkReady = (async () => {
        const box = await sandboxReady;
        sandbox = box;
        signal.throwIfAborted();
        const network = await buildLab(t, box, {
          labDir: spec.dir,
          onProgress: (e) => {
            const id = `network:${e.step}`;
            if (e.state === 'started') progress.emit(id, e.title, 'running');
            else if (e.state === 'failed') progress.emit(id, e.title, 'failed');
            else {
              progress.done++;
              progress.timings[id] = e.elapsedMs;
              progress.emit(id, e.title, 'done');
            }
          },
        });
        progress.timings.network = network.timings.total ?? 0;
        return { box, network };
      })();
      // The control plane does not need the network: it starts meanwhile.
      const planeReady = (async () => {
        const tls = await progress.step(signal, 'pki', 'Certificates', () =>
          serialisedCert(join(spec.stateDir, 'pki'), servingNames(t)),
        );
        return progress.step(
          signal,
          'control-plane',
          'Control plane, API on 127.0.0.1 and kubeconfig',
          async () => {
            const made = new ControlPlane({
              config: clusterConfig(spec.name, t, settings.kubernetesVersion),
              tls,
            });
            cp = made;
            made.start();
            const port = await made.listen('127.0.0.1', 0);
            const kubeconfigPath = join(spec.dir, 'kubeconfig');
            writeFileSync(kubeconfigPath, made.kubeconfig(`https://127.0.0.1:${port}`), { mode: 0o600 });
            // Stored now, so controllers create the DaemonSet pods as soon as nodes register. The
            // Deployments wait for Ready nodes (below): created now, they would all be scheduled
            // onto whichever node turned Ready first.
            createObjects(
              made,
              addonObjects(t, settings).filter((o) => o.kind !== 'Deployment'),
            );
            return { plane: made, port, kubeconfigPath };
          },
        );
      })();
      const [{ box, network }, { plane, port, kubeconfigPath }] = await settle(networkReady, planeReady);

      const agents = new LabAgents();
      const hub = new ChangeHub(plane);
      madeHub = hub;
      const sources = {
        nodes: nodeSource(plane, hub),
        services: serviceSource(plane, hub),
        dns: dnsClusterSource(plane),
      };
      const contexts = new Map<string, NodeAgentContext>();
      const statics = new Map<string, StaticPod[]>();
      await settleAll(
        t.nodes.map((node) =>
          progress.step(signal, `node:${node.name}`, `Node ${node.name} (${node.role})`, async () => {
            const ctx: NodeAgentContext = {
              cp: plane,
              sandbox: box,
              topology: t,
              node,
              nodeIP: nodeIP(t, node),
              nodeNetns: network.netns(node.name),
              nodeRoot: network.nodeRoot(node.name),
              kubernetesVersion: settings.kubernetesVersion,
              sources,
              hub,
              agents,
            };
            contexts.set(node.name, ctx);
            const controlPlane = node.role === 'control-plane';
            const pods = controlPlane ? staticPods(t, node, settings.kubernetesVersion) : [];
            if (controlPlane) statics.set(node.name, pods);
            const advertise = t.cluster.apiserver.endpoints.find((e) => e.node === node.name);
            await writeNodeFiles({
              nodeRoot: ctx.nodeRoot,
              topology: t,
              node,
              caCert: plane.tls.caCert,
              adminKubeconfig: advertise
                ? plane.kubeconfig(`https://${advertise.address}:${t.cluster.apiserver.port}`)
                : undefined,
              staticPods: pods,
            });
            box.setView(ctx.nodeNetns, nodeView(ctx.nodeRoot, node));
            const running = await startNode(ctx, settings, catalog);
            nodes.set(node.name, running);
            if (pods.length) createMirrorPods(plane, node.name, pods);
          }),
        ),
      );
      const names = t.nodes.map((n) => n.name);
      await progress.step(signal, 'pod-network', 'Pod network: flannel on every node, nodes Ready', () =>
        waitUntil(
          hub,
          all(daemonPodsReady(plane, 'kube-flannel', { app: 'flannel' }, names), nodesReady(plane, names)),
          { what: 'pod network', timeoutMs: READY_TIMEOUT_MS, signal },
        ),
      );
      createObjects(plane, [
        ...addonObjects(t, settings).filter((o) => o.kind === 'Deployment'),
        ...workloadObjects(settings.workloads),
      ]);
      await progress.step(signal, 'system-pods', 'System pods: kube-proxy, CoreDNS, control plane', () =>
        waitUntil(
          hub,
          all(
            daemonPodsReady(plane, 'kube-system', { 'k8s-app': 'kube-proxy' }, names),
            daemonPodsReady(
              plane,
              'kube-system',
              { component: 'kube-apiserver' },
              t.cluster.apiserver.endpoints.map((e) => e.node),
            ),
            deploymentsAvailable(plane, 'kube-system', ['coredns']),
          ),
          { what: 'system pods', timeoutMs: READY_TIMEOUT_MS, signal },
        ),
      );
      const workloads = workloadObjects(settings.workloads)
        .filter((o) => o.kind === 'Deployment')
        .map((o) => o.metadata.name!);
      await progress.step(signal, 'workloads', `Workloads: ${workloads.join(', ') || 'none'}`, () =>
        waitUntil(hub, deploymentsAvailable(plane, 'default', workloads), {
          what: 'workloads',
          timeoutMs: READY_TIMEOUT_MS,
          signal,
        }),
      );
      await progress.step(signal, 'ready', 'Dataplane synced, kubectl answering', async () => {
        await plane.idle();
        await Promise.all([agents.syncKubeProxies(), apiAnswers(port, plane.tls.caCert)]);
      });
      progress.timings.total = progress.elapsed();
      return new NetnsDriverLab({
        name: spec.name,
        environment: spec.environment,
        dir: spec.dir,
        topology: t,
        settings,
        sandbox: box,
        network,
        cp: plane,
        catalog,
        agents,
        contexts,
        nodes,
        staticPods: statics,
        hub,
        kubeconfigPath,
        timings: progress.timings,
      });
    } catch (e) {
      const plane = cp as ControlPlane | undefined;
      if (plane) await Promise.allSettled([...nodes].map(([name, n]) => stopNode(plane, name, n)));
      madeHub?.close();
      await plane?.stop().catch(() => {});
      await (sandbox as NativeSandbox | undefined)?.destroy().catch(() => {});
      throw e;
    }
  }

  async gc(stateDir: string): Promise<GcReport> {
    const report = await gcSandboxes(stateDir);
    return {
      removed: report.removed.map(
        (r) =>
          `sandbox ${r.prefix} (${r.mode}, ${r.reason}): ${r.netns.length} namespace(s), ${r.killed} process(es)`,
      ),
      kept: report.kept.map((p) => `sandbox ${p}`),
      errors: report.errors,
    };
  }
}

/**
 * Both results, or the first failure - but only once both have settled, so the cleanup never
 * starts while the other half is still creating things.
 */
async function settle<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}

async function settleAll<T>(work: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
