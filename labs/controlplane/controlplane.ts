/**
 * One lab's Kubernetes control plane: store, kinds, controllers, event recorder and the API server,
 * plus the HTTPS listeners that serve it. Many control planes live side by side in one process;
 * they share nothing but the CA.
 */
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { stringify as toYaml } from 'yaml';
import { ApiServer } from '../apiserver/server.ts';
import type { KubeletStreams } from '../apiserver/streams/types.ts';
import { EventRecorder } from '../controllers/events.ts';
import { type RunningControllers, startControllers } from '../controllers/index.ts';
import { builtinKinds, kindForCustomResource } from '../registry/index.ts';
import type { ClusterContext, KindDefinition } from '../registry/strategy.ts';
import { CidrAllocator, PortRangeAllocator } from '../store/allocators.ts';
import { KindRegistry } from '../store/kind-registry.ts';
import { ObjectStore } from '../store/store.ts';
import { buildExtensions } from './extensions.ts';
import type { TlsMaterial } from './tls.ts';
import type { ClusterConfig, ControlPlaneCore, EventSink } from './types.ts';

export interface ControlPlaneOptions {
  config: ClusterConfig;
  tls: TlsMaterial;
  now?: () => number;
}

export class ControlPlane implements ControlPlaneCore {
  readonly config: ClusterConfig;
  readonly ctx: ClusterContext;
  readonly kinds: KindRegistry;
  readonly store: ObjectStore;
  readonly events: EventSink;
  readonly api: ApiServer;
  readonly tls: TlsMaterial;
  /**
   * The kubelets of the lab's nodes, registered by the driver: pod logs, exec and attach are
   * proxied to them as the apiserver proxies to port 10250.
   */
  readonly kubelets = new Map<string, KubeletStreams>();
  private controllers?: RunningControllers;
  private readonly servers: (Server | NetServer)[] = [];

  constructor(opts: ControlPlaneOptions) {
    this.config = opts.config;
    this.tls = opts.tls;
    const now = opts.now ?? Date.now;
    this.ctx = {
      serviceCIDR: opts.config.serviceCIDR,
      nodePortRange: opts.config.nodePortRange,
      clusterDomain: opts.config.clusterDomain,
      allocators: {
        clusterIP: new CidrAllocator(opts.config.serviceCIDR),
        nodePort: new PortRangeAllocator(opts.config.nodePortRange[0], opts.config.nodePortRange[1]),
      },
      now,
    };
    this.kinds = new KindRegistry();
    for (const def of builtinKinds()) this.kinds.register(def);
    this.store = new ObjectStore(this.kinds, this.ctx);
    this.events = new EventRecorder(this);
    this.api = new ApiServer(this, buildExtensions(this));
  }

  kind(group: string, resource: string): KindDefinition {
    const def = this.kinds.byResource(group, resource);
    if (!def) throw new Error(`kind ${resource}.${group} is not registered`);
    return def;
  }

  /** Start the controllers (idempotent). */
  start(): void {
    this.controllers ??= startControllers(this, {
      rootCACert: this.tls.caCert,
      // The registry describes every served version of a CRD at once; the controller asks per version.
      customKindFactory: (crd, version) =>
        kindForCustomResource(crd).find((d) => d.info.version === version?.name) ??
        kindForCustomResource(crd)[0],
    });
  }

  /** Resolves once every controller queue is drained: a settled cluster. */
  async idle(): Promise<void> {
    await this.controllers?.idle();
  }

  /** Serve the API over HTTPS on host:port (port 0 picks a free one). Returns the bound port. */
  async listen(host: string, port = 0): Promise<number> {
    const server = createHttpsServer(
      { cert: this.tls.cert, key: this.tls.key, ca: this.tls.caCert },
      this.api.handle,
    );
    server.on('upgrade', this.api.upgrade);
    // Long watches and follow-logs must not be cut by the default request timeouts.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 75_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  /**
   * Serve the API on an already-listening socket handle (e.g. one created inside a node's network
   * namespace by the netns broker): TLS is layered on top here.
   */
  serveOn(listening: NetServer): void {
    const server = createHttpsServer(
      { cert: this.tls.cert, key: this.tls.key, ca: this.tls.caCert },
      this.api.handle,
    );
    server.on('upgrade', this.api.upgrade);
    server.requestTimeout = 0;
    listening.on('connection', (socket) => server.emit('connection', socket));
    this.servers.push(listening, server);
  }

  /** A kubeconfig for this lab, as kubeadm's admin.conf looks. */
  kubeconfig(server: string): string {
    const name = this.config.name;
    return toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name,
          cluster: {
            server,
            'certificate-authority-data': Buffer.from(this.tls.caCert).toString('base64'),
          },
        },
      ],
      contexts: [{ name: `kubernetes-admin@${name}`, context: { cluster: name, user: 'kubernetes-admin' } }],
      'current-context': `kubernetes-admin@${name}`,
      preferences: {},
      users: [{ name: 'kubernetes-admin', user: { token: 'svc-labs-admin' } }],
    });
  }

  /** The dataplane reports apiservers that stop answering; their endpoint leaves `kubernetes`. */
  setApiserverAlive(ip: string, alive: boolean): void {
    this.controllers?.setApiserverAlive(ip, alive);
  }

  async stop(): Promise<void> {
    this.controllers?.stop();
    this.api.closeAll();
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            if ('closeAllConnections' in s) (s as Server).closeAllConnections();
            s.close(() => resolve());
            setTimeout(resolve, 500).unref();
          }),
      ),
    );
    this.servers.length = 0;
  }
}
