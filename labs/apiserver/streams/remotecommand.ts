/**
 * pods/exec and pods/attach over WebSocket, as the apiserver serves kubectl 1.32: subprotocol
 * v5.channel.k8s.io (v4 accepted), binary messages whose first byte is the channel:
 *   0 stdin, 1 stdout, 2 stderr, 3 error (a metav1.Status, then the server closes), 4 resize
 *   ({"Width":..,"Height":..}); v5 adds 255 + channel: the client closed that stream (stdin EOF).
 *
 * Checks the apiserver makes before upgrading (pod, container, node) fail the handshake with a
 * Status body, so kubectl prints `Error from server (BadRequest): ...` (after its SPDY retry, which
 * gets the same answer). What the kubelet says after the upgrade (container not running, command
 * not found, exit codes) arrives on channel 3 in the shape client-go's remotecommand decodes:
 * `command terminated with exit code 3` comes from reason NonZeroExitCode with an ExitCode cause.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { ApiError, badRequest, type Status } from '../../kube/errors.ts';
import { KubeletError } from '../../runtime/kubelet.ts';
import type { ExecProcess, StdStream, TerminalSize } from '../../runtime/pod-runtime.ts';
import { getPod, kubeletOf, resolveContainer } from './locate.ts';
import type { StreamDeps, StreamTarget } from './types.ts';

export const PROTOCOL_V5 = 'v5.channel.k8s.io';
export const PROTOCOL_V4 = 'v4.channel.k8s.io';

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** How long a tty exec waits for the client's first terminal size before starting the command. */
const FIRST_RESIZE_WAIT_MS = 150;

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (offered) =>
    offered.has(PROTOCOL_V5) ? PROTOCOL_V5 : offered.has(PROTOCOL_V4) ? PROTOCOL_V4 : false,
});

export interface StreamQuery {
  command: string[];
  container?: string;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

export function parseStreamQuery(q: URLSearchParams): StreamQuery {
  return {
    command: q.getAll('command'),
    container: q.get('container') ?? undefined,
    stdin: flag(q, 'stdin'),
    stdout: flag(q, 'stdout'),
    stderr: flag(q, 'stderr'),
    tty: flag(q, 'tty'),
  };
}

const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
};

/** Answer an upgrade request with a plain HTTP response and close the socket. */
function refuse(socket: Duplex, code: number, body: string, contentType: string): void {
  if (socket.destroyed) return;
  const head = [
    `HTTP/1.1 ${code} ${REASON_PHRASES[code] ?? 'Error'}`,
    `Content-Type: ${contentType}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-cache, private',
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  socket.end(head + body);
}

function refuseStatus(socket: Duplex, e: ApiError): void {
  refuse(socket, e.status.code || 500, JSON.stringify(e.status), 'application/json');
}

function isWebSocket(req: IncomingMessage): boolean {
  return String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

export function successStatus(): object {
  return { metadata: {}, status: 'Success' };
}

/** What the apiserver's stream translator sends for a command that exited non-zero. */
export function exitCodeStatus(code: number): object {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: command terminated with exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** apierrors.NewInternalError(err): what reaches kubectl for failures after the upgrade. */
export function internalErrorStatus(message: string): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  };
}

/**
 * Serve an upgrade request for pods/exec or pods/attach. Call it from the HTTP server's 'upgrade'
 * event; it owns the socket from then on.
 */
export function handlePodStreamUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: StreamTarget,
  query: URLSearchParams,
  deps: StreamDeps,
): void {
  socket.on('error', () => socket.destroy());
  let kubelet: ReturnType<typeof kubeletOf>;
  let container: string;
  let uid: string | undefined;
  const q = parseStreamQuery(query);
  try {
    const pod = getPod(deps, target);
    uid = pod.metadata.uid;
    container = resolveContainer(pod, q.container);
    if (target.subresource === 'exec' && !q.command.length)
      throw badRequest('you must specify at least one command for the container');
    if (!q.stdin && !q.stdout && !q.stderr)
      throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
    const nodeName: string | undefined = pod.spec?.nodeName;
    if (!nodeName) throw badRequest(`pod ${target.name} does not have a host assigned`);
    kubelet = kubeletOf(deps, nodeName, () => 'error dialing backend: ');
  } catch (e) {
    if (e instanceof ApiError) refuseStatus(socket, e);
    else refuse(socket, 500, String(e), 'text/plain');
    return;
  }
  if (!isWebSocket(req)) {
    // SPDY (client-go's fallback) is not served; WebSocket passed the same checks above.
    refuseStatus(
      socket,
      badRequest(
        'streaming over SPDY is not supported by this server; use a client with WebSocket support (v5.channel.k8s.io)',
      ),
    );
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const session = new StreamSession(ws, q);
    const ref = { namespace: target.namespace, name: target.name, uid };
    if (target.subresource === 'exec') void session.exec(kubelet, ref, container);
    else session.attach(kubelet, ref, container);
  });
}

/** One upgraded exec/attach connection. */
class StreamSession {
  private readonly ws: WebSocket;
  private readonly q: StreamQuery;
  private readonly v5: boolean;
  private input?: { write(b: Buffer): void; closeStdin(): void; resize(s: TerminalSize): void };
  private pending: Buffer[] = [];
  private stdinClosed = false;
  private firstSize?: TerminalSize;
  private gotFirstSize?: () => void;
  private closed = false;
  private onClientGone?: () => void;

  constructor(ws: WebSocket, q: StreamQuery) {
    this.ws = ws;
    this.q = q;
    this.v5 = ws.protocol === PROTOCOL_V5;
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', () => {
      this.closed = true;
      this.onClientGone?.();
    });
    ws.on('error', () => ws.terminate());
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (!isBinary || !data.length) return;
    const channel = data[0];
    const payload = data.subarray(1);
    if (channel === CHANNEL.resize) {
      try {
        const { Width, Height } = JSON.parse(payload.toString('utf8'));
        const size = { cols: Number(Width), rows: Number(Height) };
        if (!(size.cols > 0 && size.rows > 0)) return;
        if (!this.firstSize) {
          this.firstSize = size;
          this.gotFirstSize?.();
        }
        this.input?.resize(size);
      } catch {
        /* malformed resize: ignored, as the kubelet does */
      }
      return;
    }
    if (channel === CHANNEL.stdin) {
      if (!this.q.stdin || this.stdinClosed) return;
      if (this.input) this.input.write(Buffer.from(payload));
      else this.pending.push(Buffer.from(payload));
      return;
    }
    if (channel === CHANNEL.close && this.v5 && payload[0] === CHANNEL.stdin) {
      this.stdinClosed = true;
      this.input?.closeStdin();
    }
  }

  /** Output of the command or container, on channel 1 or 2 as requested. */
  private sink = (stream: StdStream, chunk: Buffer): void => {
    if (this.closed || !chunk.length) return;
    const wanted = stream === 'stdout' ? this.q.stdout : this.q.stderr || (this.q.tty && this.q.stdout);
    if (!wanted) return;
    const channel = stream === 'stdout' || this.q.tty ? CHANNEL.stdout : CHANNEL.stderr;
    this.ws.send(Buffer.concat([Buffer.of(channel), chunk]));
  };

  private bindInput(input: NonNullable<StreamSession['input']>): void {
    this.input = input;
    for (const b of this.pending) input.write(b);
    this.pending = [];
    if (this.stdinClosed) input.closeStdin();
  }

  /** Send the final Status on the error channel and close normally. */
  private finish(status: object): void {
    if (this.closed) return;
    this.closed = true;
    const body = Buffer.from(JSON.stringify(status));
    this.ws.send(Buffer.concat([Buffer.of(CHANNEL.error), body]), () => this.ws.close(1000));
  }

  private waitFirstSize(): Promise<void> {
    if (!this.q.tty || this.firstSize) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, FIRST_RESIZE_WAIT_MS);
      this.gotFirstSize = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  async exec(
    kubelet: ReturnType<typeof kubeletOf>,
    ref: { namespace: string; name: string; uid?: string },
    container: string,
  ): Promise<void> {
    await this.waitFirstSize();
    if (this.closed) return;
    let proc: ExecProcess;
    try {
      proc = await kubelet.exec(
        ref,
        container,
        { command: this.q.command, tty: this.q.tty, stdin: this.q.stdin, size: this.firstSize },
        this.sink,
      );
    } catch (e) {
      this.finish(internalErrorStatus(kubeletMessage(e)));
      return;
    }
    if (this.closed) {
      proc.kill();
      return;
    }
    this.onClientGone = () => proc.kill();
    this.bindInput({
      write: (b) => proc.writeStdin(b),
      closeStdin: () => proc.closeStdin(),
      resize: (s) => proc.resize(s),
    });
    const code = await proc.exited;
    this.finish(code === 0 ? successStatus() : exitCodeStatus(code));
  }

  attach(
    kubelet: ReturnType<typeof kubeletOf>,
    ref: { namespace: string; name: string; uid?: string },
    container: string,
  ): void {
    let session: ReturnType<typeof kubelet.attach>;
    try {
      session = kubelet.attach(ref, container, { stdin: this.q.stdin }, this.sink);
    } catch (e) {
      this.finish(internalErrorStatus(kubeletMessage(e)));
      return;
    }
    this.onClientGone = () => session.detach();
    this.bindInput({
      write: (b) => session.write(b),
      closeStdin: () => session.detach(),
      resize: (s) => session.resize(s),
    });
    if (this.firstSize) session.resize(this.firstSize);
    void session.ended.then(() => {
      session.detach();
      this.finish(successStatus());
    });
  }
}

/** The kubelet's complaint as the apiserver's translator relays it. */
function kubeletMessage(e: unknown): string {
  if (e instanceof KubeletError) {
    if (e.kind === 'upgrade') return `unable to upgrade connection: ${e.message}`;
    if (e.kind === 'exec')
      return `Internal error occurred: error executing command in container: ${e.message}`;
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}
