/**
 * `GET /labs/:name/shell?node=ubuntu02` (or `?pod=<ns>/<pod>[&container=c]`, `&cols=&rows=`)
 * upgraded to a WebSocket that carries one terminal; labctl shell and the web terminal use it.
 *
 * Client to daemon: binary frames are keystrokes; text frames are JSON,
 *   {"type":"input","data":"ls\r"} or {"type":"resize","cols":120,"rows":40}.
 * Daemon to client: binary frames are terminal output; text frames are JSON,
 *   {"type":"exit","code":0} (then the socket closes) or {"type":"error","message":"..."}.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { ExecTarget } from '../drivers/driver.ts';
import type { Terminal } from '../drivers/lab-driver.ts';
import { ApiError } from './errors.ts';
import type { LabManager } from './labs.ts';
import type { Logger } from './log.ts';
import { invalidLabName } from './names.ts';

const SHELL_PATH = /^\/labs\/([^/]+)\/shell\/?$/;
const DEFAULT_SIZE = { cols: 80, rows: 24 };

export type ShellMessage =
  | { type: 'input'; data: string }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'exit'; code: number }
  | { type: 'error'; message: string };

function refuse(socket: Duplex, status: number, message: string): void {
  const body = `${JSON.stringify({ error: message })}\n`;
  const reason =
    { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 501: 'Not Implemented' }[status] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function size(v: string | null, fallback: number): number {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 && n <= 1000 ? n : fallback;
}

function parseTarget(url: URL): ExecTarget | undefined | 'invalid' {
  const node = url.searchParams.get('node');
  const pod = url.searchParams.get('pod');
  if (node && pod) return 'invalid';
  if (pod) {
    const [namespace, name, ...rest] = pod.split('/');
    if (!namespace || !name || rest.length) return 'invalid';
    return { pod: { namespace, name }, container: url.searchParams.get('container') ?? undefined };
  }
  return node ? { node } : undefined;
}

export function createShellUpgrade(labs: LabManager, log: Logger) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });

  /** Returns false when the request is not for a shell (the caller answers it). */
  return (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://daemon');
    } catch {
      return false;
    }
    const m = SHELL_PATH.exec(url.pathname);
    if (!m) return false;
    socket.on('error', () => {});
    void (async () => {
      let name: string;
      try {
        name = decodeURIComponent(m[1]);
      } catch {
        refuse(socket, 400, 'bad lab name');
        return;
      }
      const target = parseTarget(url);
      if (target === 'invalid' || invalidLabName(name)) {
        refuse(socket, 400, 'use ?node=<node> or ?pod=<namespace>/<pod>');
        return;
      }
      let terminal: Terminal;
      try {
        const resolved = target ?? { node: labs.defaultNode(name) };
        terminal = await labs.terminal(name, resolved, {
          cols: size(url.searchParams.get('cols'), DEFAULT_SIZE.cols),
          rows: size(url.searchParams.get('rows'), DEFAULT_SIZE.rows),
        });
      } catch (e) {
        if (e instanceof ApiError) refuse(socket, e.status, e.message);
        else {
          log.error(`shell for ${name}`, e);
          refuse(socket, 500, e instanceof Error ? e.message : String(e));
        }
        return;
      }
      if (socket.destroyed) {
        terminal.close();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => bridge(ws, terminal, log));
    })();
    return true;
  };
}

function bridge(ws: WebSocket, terminal: Terminal, log: Logger): void {
  terminal.onData((chunk) => {
    if (ws.readyState === ws.OPEN) ws.send(chunk, { binary: true });
  });
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) {
      terminal.write(buf);
      return;
    }
    let msg: ShellMessage;
    try {
      msg = JSON.parse(buf.toString('utf8'));
    } catch {
      ws.send(
        JSON.stringify({ type: 'error', message: 'text frames are JSON messages' } satisfies ShellMessage),
      );
      return;
    }
    if (msg?.type === 'input' && typeof msg.data === 'string') terminal.write(msg.data);
    else if (msg?.type === 'resize')
      terminal.resize({ cols: size(String(msg.cols), 80), rows: size(String(msg.rows), 24) });
  });
  ws.on('error', (e) => log.error('shell socket', e));
  ws.on('close', () => terminal.close());
  terminal.exited.then(
    (code) => {
      if (ws.readyState !== ws.OPEN) return;
      // Let the last output go out before the exit message.
      setTimeout(() => {
        ws.send(JSON.stringify({ type: 'exit', code } satisfies ShellMessage));
        ws.close(1000);
      }, 20);
    },
    (e) => {
      log.error('shell', e);
      ws.close(1011);
    },
  );
}
