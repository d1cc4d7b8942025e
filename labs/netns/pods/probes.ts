/**
 * The kubelet's HTTP and TCP probes, made from the node's network namespace against the pod's
 * address: the connection is a real socket of the node (made there by the namespace broker), so a
 * probe crosses cni0, the node's iptables and the pod's own stack like the kubelet's does. Results
 * carry the kubelet's (Go's) wording.
 */
import { request } from 'node:http';
import type net from 'node:net';
import tls from 'node:tls';
import { isIPv4 } from '../../kube/ipnet.ts';
import type { NetnsBroker } from '../../native/broker.ts';
import type { ProbeAction, ProbeResult } from '../../runtime/pod-runtime.ts';

/** The kubelet reads at most this much of a probe's response body. */
const MAX_BODY = 10 * 1024;

export interface NetworkProbeOptions {
  broker: NetnsBroker;
  /** The node's namespace, where the kubelet's sockets live. */
  netnsPath: string;
  userAgent: string;
}

/** Go's dial error text for an errno name from the broker. */
function dialError(host: string, port: number, code: string | undefined, message: string): string {
  const where = `dial tcp ${host}:${port}`;
  switch (code) {
    case 'ECONNREFUSED':
      return `${where}: connect: connection refused`;
    case 'ETIMEDOUT':
      return `${where}: i/o timeout`;
    case 'EHOSTUNREACH':
      return `${where}: connect: no route to host`;
    case 'ENETUNREACH':
      return `${where}: connect: network is unreachable`;
    default:
      return `${where}: ${message}`;
  }
}

async function dial(
  opts: NetworkProbeOptions,
  host: string,
  port: number,
  timeoutMs: number,
): Promise<net.Socket> {
  return opts.broker.tcpConnect(opts.netnsPath, host, port, { timeoutMs });
}

async function tcpProbe(
  opts: NetworkProbeOptions,
  host: string,
  port: number,
  timeoutMs: number,
): Promise<ProbeResult> {
  if (!isIPv4(host)) return { result: 'failure', output: `dial tcp: lookup ${host}: no such host` };
  try {
    const socket = await dial(opts, host, port, timeoutMs);
    socket.destroy();
    return { result: 'success', output: '' };
  } catch (e) {
    const err = e as { code?: string; message: string };
    return { result: 'failure', output: dialError(host, port, err.code, err.message) };
  }
}

async function httpProbe(
  opts: NetworkProbeOptions,
  action: Extract<ProbeAction, { type: 'httpGet' }>,
  timeoutMs: number,
): Promise<ProbeResult> {
  const hostPort = `${action.host}:${action.port}`;
  const path = action.path.startsWith('/') ? action.path : `/${action.path}`;
  const url = `${action.scheme.toLowerCase()}://${hostPort}${path}`;
  const deadline = `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`;
  if (!isIPv4(action.host))
    return { result: 'failure', output: `Get "${url}": dial tcp: lookup ${action.host}: no such host` };
  const started = Date.now();
  let socket: net.Socket;
  try {
    socket = await dial(opts, action.host, action.port, timeoutMs);
  } catch (e) {
    const err = e as { code?: string; message: string };
    if (err.code === 'ETIMEDOUT') return { result: 'failure', output: deadline };
    return {
      result: 'failure',
      output: `Get "${url}": ${dialError(action.host, action.port, err.code, err.message)}`,
    };
  }
  const remaining = Math.max(1, timeoutMs - (Date.now() - started));
  let conn: net.Socket = socket;
  if (action.scheme === 'HTTPS') {
    // The kubelet does not verify probe certificates.
    const secured = tls.connect({ socket, rejectUnauthorized: false, servername: undefined });
    const ok = await new Promise<boolean>((resolve) => {
      secured.once('secureConnect', () => resolve(true));
      secured.once('error', () => resolve(false));
      setTimeout(() => resolve(false), remaining).unref();
    });
    if (!ok) {
      secured.destroy();
      return { result: 'failure', output: `Get "${url}": http: server gave HTTP response to HTTPS client` };
    }
    conn = secured;
  }
  const headers: Record<string, string> = {
    'User-Agent': opts.userAgent,
    Accept: '*/*',
    Connection: 'close',
  };
  for (const h of action.headers) headers[h.name] = h.value;
  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ result: 'failure', output: deadline }), remaining);
    const req = request(
      {
        createConnection: () => conn,
        host: action.host,
        port: action.port,
        path,
        method: 'GET',
        headers,
        setHost: true,
      },
      (res) => {
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY) res.destroy();
        });
        const status = res.statusCode ?? 0;
        const finish = () =>
          done(
            status >= 200 && status < 400
              ? { result: 'success', output: '' }
              : { result: 'failure', output: `HTTP probe failed with statuscode: ${status}` },
          );
        res.on('end', finish);
        res.on('close', finish);
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'ECONNRESET'
          ? 'read: connection reset by peer'
          : e.code === 'HPE_INVALID_CONSTANT'
            ? 'malformed HTTP response'
            : 'EOF';
      done({ result: 'failure', output: `Get "${url}": ${why}` });
    });
    req.end();
  });
}

/** One HTTP, TCP or gRPC probe attempt from the node. */
export async function networkProbe(
  opts: NetworkProbeOptions,
  action: Exclude<ProbeAction, { type: 'exec' }>,
  timeoutSeconds: number,
): Promise<ProbeResult> {
  const timeoutMs = Math.max(1, timeoutSeconds) * 1000;
  if (action.type === 'tcpSocket') return tcpProbe(opts, action.host, action.port, timeoutMs);
  if (action.type === 'httpGet') return httpProbe(opts, action, timeoutMs);
  // No image here speaks gRPC health: a reachable port answers nothing the client understands.
  const tcp = await tcpProbe(opts, action.host, action.port, timeoutMs);
  const hostPort = `${action.host}:${action.port}`;
  return {
    result: 'failure',
    output:
      tcp.result === 'success'
        ? `failed to connect service "${hostPort}" within ${timeoutSeconds}s: context deadline exceeded`
        : `failed to connect service "${hostPort}" within ${timeoutSeconds}s: ${tcp.output}`,
  };
}
