/**
 * A small HTTP server that routes pods/log and the exec/attach upgrades to the stream handlers,
 * plus a WebSocket client that speaks v5.channel.k8s.io the way client-go does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import {
  handlePodLogs,
  handlePodStreamUpgrade,
  type KubeletStreams,
  type StreamDeps,
} from '../../../labs/apiserver/streams/index.ts';
import type { ControlPlaneCore } from '../../../labs/controlplane/types.ts';

export async function streamServer(
  core: ControlPlaneCore,
  kubelets: Record<string, KubeletStreams>,
): Promise<{ url: string; server: Server }> {
  const deps: StreamDeps = { core, kubeletFor: (n) => kubelets[n] };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    void handlePodLogs(req, res, { namespace: m[1], name: m[2] }, url.searchParams, deps);
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach)$/);
    if (!m) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    handlePodStreamUpgrade(
      req,
      socket,
      head,
      { namespace: m[1], name: m[2], subresource: m[3] as 'exec' | 'attach' },
      url.searchParams,
      deps,
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

export interface StreamResult {
  stdout: string;
  stderr: string;
  status?: any;
  closeCode?: number;
}

export interface StreamClient {
  ws: WebSocket;
  result: StreamResult;
  /** Resolves when the server closes the connection. */
  done: Promise<StreamResult>;
  opened: Promise<void>;
  stdin(text: string): void;
  closeStdin(): void;
  resize(cols: number, rows: number): void;
  /** Resolves once stdout contains `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
}

/** Connect like kubectl: GET with `Sec-WebSocket-Protocol: v5.channel.k8s.io`, binary channel frames. */
export function connect(
  base: string,
  path: string,
  query: Record<string, string | string[] | boolean>,
): StreamClient {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
  }
  const ws = new WebSocket(`ws://${base}${path}?${params}`, ['v5.channel.k8s.io']);
  const result: StreamResult = { stdout: '', stderr: '' };
  const waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer) => {
    const ch = data[0];
    const text = data.subarray(1).toString('utf8');
    if (ch === 1) result.stdout += text;
    else if (ch === 2) result.stderr += text;
    else if (ch === 3) result.status = JSON.parse(text);
    for (const w of waiters.splice(0)) w();
  });
  const done = new Promise<StreamResult>((resolve, reject) => {
    ws.on('close', (code) => {
      result.closeCode = code;
      resolve(result);
    });
    ws.on('error', reject);
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('error', reject);
  });
  const send = (ch: number, payload: Buffer) =>
    opened.then(() => ws.send(Buffer.concat([Buffer.of(ch), payload])));
  return {
    ws,
    result,
    done,
    opened,
    stdin: (text) => void send(0, Buffer.from(text)),
    closeStdin: () => void opened.then(() => ws.send(Buffer.of(255, 0))),
    resize: (cols, rows) => void send(4, Buffer.from(JSON.stringify({ Width: cols, Height: rows }))),
    async waitFor(text, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!result.stdout.includes(text)) {
        if (Date.now() > deadline)
          throw new Error(`no ${JSON.stringify(text)} in ${JSON.stringify(result.stdout)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
  };
}

/** A handshake the server refuses: its HTTP status and body. */
export function refusedHandshake(
  base: string,
  path: string,
  query: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(`ws://${base}${path}?${new URLSearchParams(query)}`, ['v5.channel.k8s.io']);
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => reject(new Error('handshake unexpectedly succeeded')));
    ws.on('error', () => {});
  });
}
