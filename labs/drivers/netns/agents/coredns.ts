/**
 * A CoreDNS pod's container on a netns node: a CoreDnsServer answering on sockets bound inside the
 * pod's own network namespace (UDP and TCP 53, health 8080, ready 8181, metrics 9153), reading the
 * cluster from the store and its Corefile from ConfigMap kube-system/coredns. Like the reload
 * plugin, it picks up an edited Corefile while running.
 */
import http from 'node:http';
import type net from 'node:net';
import { COREDNS_VERSION } from '../../../agents/coredns/logs.ts';
import { KubernetesResolver } from '../../../agents/coredns/resolver.ts';
import { CoreDnsServer } from '../../../agents/coredns/server.ts';
import { readMountedFile } from '../mounts.ts';
import { type AgentLaunch, exitLatch, flagValue, type RunningAgent } from './types.ts';

export function isCoreDns(argv: readonly string[]): boolean {
  return /(^|\/)coredns$/.test(argv[0] ?? '');
}

/** A minimal Prometheus endpoint, so the kube-dns Service's metrics port answers. */
function serveMetrics(server: net.Server): http.Server {
  const h = http.createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(
      "# HELP coredns_build_info A metric with a constant '1' value labeled by version, revision, and goversion from which CoreDNS was built.\n" +
        '# TYPE coredns_build_info gauge\n' +
        `coredns_build_info{goversion="go1.21.11",revision="a6338e9",version="${COREDNS_VERSION}"} 1\n`,
    );
  });
  server.on('connection', (sock) => h.emit('connection', sock));
  server.on('error', () => {});
  return h;
}

export async function launchCoreDns(launch: AgentLaunch): Promise<RunningAgent> {
  const { ctx } = launch;
  const latch = exitLatch();
  const confPath = flagValue(launch.argv.slice(1), 'conf') ?? 'Corefile';
  const absolute = confPath.startsWith('/') ? confPath : `/${confPath}`;
  const readCorefile = () =>
    launch.pod ? readMountedFile(ctx.cp, launch.pod, launch.container.name, absolute) : undefined;
  const first = readCorefile();
  if (!first || 'error' in first) {
    launch.log('stdout', `[FATAL] plugin/kubernetes: open ${confPath}: no such file or directory`);
    latch.exit(1);
    return { exited: latch.exited, stop: async () => {} };
  }
  const server = new CoreDnsServer({
    resolver: new KubernetesResolver(ctx.sources.dns, { localIPs: [launch.podIP] }),
    corefile: first.text,
    log: (line) => launch.log('stdout', line),
  });
  const broker = ctx.sandbox.broker();
  const path = ctx.sandbox.netnsPath(launch.netns);
  let metrics: { http: http.Server; server: net.Server } | undefined;
  const sockets: { close(): void }[] = [];
  try {
    const [udp, tcp, health, ready, prom] = await Promise.all([
      broker.udpBind(path, '0.0.0.0', 53),
      broker.tcpListen(path, '0.0.0.0', 53),
      broker.tcpListen(path, '0.0.0.0', 8080),
      broker.tcpListen(path, '0.0.0.0', 8181),
      broker.tcpListen(path, '0.0.0.0', 9153),
    ]);
    sockets.push(udp, tcp, health, ready, prom);
    server.serveUdp(udp);
    server.serveTcp(tcp);
    server.serveHealth(health);
    server.serveReady(ready);
    metrics = { http: serveMetrics(prom), server: prom };
  } catch (e) {
    for (const s of sockets) s.close();
    launch.log('stdout', `Listen: listen tcp :53: bind: ${(e as Error).message}`);
    await server.close();
    latch.exit(1);
    return { exited: latch.exited, stop: async () => {} };
  }
  ctx.agents.coredns.add(server);
  const unsubscribe = ctx.hub.onSettled([{ group: '', resource: 'configmaps' }], () => {
    const next = readCorefile();
    if (next && 'text' in next) server.reload(next.text);
  });
  let stopped = false;
  return {
    exited: latch.exited,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      ctx.agents.coredns.delete(server);
      metrics?.http.closeAllConnections();
      metrics?.server.close();
      // The DNS, health and ready sockets are the server's to close.
      await server.close();
      latch.exit(0);
    },
  };
}
