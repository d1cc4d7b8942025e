/**
 * The kube-apiserver static pod's container on a control-plane node: the lab's API served on a
 * socket bound inside the node's network namespace (--bind-address, default all addresses, port
 * --secure-port), so kubectl on the node and pods reaching `kubernetes.default` cross the real
 * dataplane. While it runs, its --advertise-address is a live endpoint of the `kubernetes` Service.
 */
import type net from 'node:net';
import { klogLine, nowMicros } from '../../../agents/flannel/klog.ts';
import { type AgentLaunch, exitLatch, flagValue, type RunningAgent } from './types.ts';

export function isKubeApiserver(argv: readonly string[]): boolean {
  return /(^|\/)kube-apiserver$/.test(argv[0] ?? '');
}

export async function launchApiserver(launch: AgentLaunch): Promise<RunningAgent> {
  const { ctx } = launch;
  const args = launch.argv.slice(1);
  const latch = exitLatch();
  const log = (severity: 'I' | 'E', source: string, message: string) =>
    launch.log('stderr', klogLine(severity, source, message, nowMicros()));
  const endpoint = ctx.topology.cluster.apiserver.endpoints.find((e) => e.node === ctx.node.name);
  const advertise = flagValue(args, 'advertise-address') ?? endpoint?.address ?? ctx.nodeIP;
  const bind = flagValue(args, 'bind-address') ?? '0.0.0.0';
  const port = Number(flagValue(args, 'secure-port') ?? ctx.topology.cluster.apiserver.port);
  log('I', 'options.go:228', `external host was not specified, using ${advertise}`);
  log('I', 'server.go:143', `Version: ${ctx.kubernetesVersion}`);
  let server: net.Server;
  try {
    server = await ctx.sandbox.broker().tcpListen(ctx.sandbox.netnsPath(ctx.nodeNetns), bind, port);
  } catch (e) {
    log(
      'E',
      'run.go:72',
      `"command failed" err="failed to create listener: failed to listen on ${bind}:${port}: listen tcp ${bind}:${port}: bind: ${(e as Error).message}"`,
    );
    latch.exit(1);
    return { exited: latch.exited, stop: async () => {} };
  }
  const connections = new Set<net.Socket>();
  server.on('connection', (sock) => {
    connections.add(sock);
    sock.once('close', () => connections.delete(sock));
  });
  ctx.cp.serveOn(server);
  ctx.cp.setApiserverAlive(advertise, true);
  const shown = bind === '0.0.0.0' ? `[::]:${port}` : `${bind}:${port}`;
  log('I', 'secure_serving.go:213', `Serving securely on ${shown}`);
  log('I', 'controller.go:615', `quota admission added evaluator for: endpoints`);
  let stopped = false;
  return {
    exited: latch.exited,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      ctx.cp.setApiserverAlive(advertise, false);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of connections) s.destroy();
      });
      latch.exit(0);
    },
  };
}
