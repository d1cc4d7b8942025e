/**
 * The ports an image serves, as real sockets inside the pod's network namespace (made there by the
 * namespace broker) answered by this process's http module: one daemon serves every pod, so a pod
 * costs sockets and a few objects, not a server process.
 *
 * The image catalog says which ports a container serves and, per request, the status and the
 * access-log line; this module adds what goes on the wire - body and headers in the style of the
 * real server (Apache, nginx, Go's net/http) - and writes the log line to the container's log.
 */
import type dgram from 'node:dgram';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type net from 'node:net';
import type { NetnsBroker } from '../../native/broker.ts';
import type { HttpAnswer, ImageDefinition, VirtualListener } from '../../runtime/images/index.ts';
import type { OutputSink } from '../../runtime/pod-runtime.ts';

export interface ServeContext {
  broker: NetnsBroker;
  /** Namespace the sockets live in: the pod's, or the node's for hostNetwork pods. */
  netnsPath: string;
  /** What the server knows as its hostname (the pod's). */
  hostname: string;
  output: OutputSink;
}

export interface ServedPorts {
  readonly ports: { port: number; protocol: 'TCP' | 'UDP' }[];
  close(): void;
}

interface Request {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  clientIP: string;
  clientPort: number;
  now: Date;
}

interface Reply {
  status: number;
  headers: [string, string][];
  body: string;
}

type Responder = (req: Request, answer: HttpAnswer) => Reply;

const httpDate = (d: Date) => d.toUTCString();

// ---------- Apache httpd ----------

const APACHE_INDEX = '<html><body><h1>It works!</h1></body></html>\n';
const APACHE_NOT_FOUND =
  '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n' +
  '<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n';

function apache(version: string): Responder {
  const server = `Apache/${version} (Unix)`;
  return (req, answer) => {
    if (answer.status === 200) {
      return {
        status: 200,
        headers: [
          ['Date', httpDate(req.now)],
          ['Server', server],
          // The stock htdocs/index.html: its mtime and Apache's inode-less ETag (size-mtime).
          ['Last-Modified', 'Mon, 11 Jun 2007 18:53:14 GMT'],
          ['ETag', '"2d-432a5e4a73a80"'],
          ['Accept-Ranges', 'bytes'],
          ['Content-Length', String(Buffer.byteLength(APACHE_INDEX))],
          ['Content-Type', 'text/html'],
        ],
        body: APACHE_INDEX,
      };
    }
    return {
      status: answer.status,
      headers: [
        ['Date', httpDate(req.now)],
        ['Server', server],
        ['Content-Length', String(Buffer.byteLength(APACHE_NOT_FOUND))],
        ['Content-Type', 'text/html; charset=iso-8859-1'],
      ],
      body: APACHE_NOT_FOUND,
    };
  };
}

// ---------- nginx ----------

const NGINX_INDEX = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`;

function nginx(version: string): Responder {
  const server = `nginx/${version}`;
  const notFound = `<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>${server}</center>\r\n</body>\r\n</html>\r\n`;
  return (req, answer) => {
    if (answer.status === 200) {
      return {
        status: 200,
        headers: [
          ['Server', server],
          ['Date', httpDate(req.now)],
          ['Content-Type', 'text/html'],
          ['Content-Length', String(Buffer.byteLength(NGINX_INDEX))],
          ['Last-Modified', 'Wed, 05 Feb 2025 11:06:32 GMT'],
          ['Connection', 'keep-alive'],
          ['ETag', `"67a34638-${Buffer.byteLength(NGINX_INDEX).toString(16)}"`],
          ['Accept-Ranges', 'bytes'],
        ],
        body: NGINX_INDEX,
      };
    }
    return {
      status: answer.status,
      headers: [
        ['Server', server],
        ['Date', httpDate(req.now)],
        ['Content-Type', 'text/html'],
        ['Content-Length', String(Buffer.byteLength(notFound))],
        ['Connection', 'keep-alive'],
      ],
      body: notFound,
    };
  };
}

// ---------- Go's net/http (serve_hostname, agnhost) ----------

/** Go writes header keys sorted; text bodies are sniffed as text/plain. */
function goReply(status: number, body: string, now: Date): Reply {
  const headers: [string, string][] = [
    ['Content-Length', String(Buffer.byteLength(body))],
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Date', httpDate(now)],
  ];
  if (status === 404) headers.push(['X-Content-Type-Options', 'nosniff']);
  return { status, headers, body };
}

const GO_NOT_FOUND = '404 page not found\n';

function goText(text: (req: Request) => string): Responder {
  return (req, answer) =>
    answer.status === 404 ? goReply(404, GO_NOT_FOUND, req.now) : goReply(answer.status, text(req), req.now);
}

/** Go's time.Time String() with a monotonic reading, as agnhost netexec's `/` prints it. */
function goNow(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const mono = (performance.now() / 1000).toFixed(9);
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}000000 +0000 UTC m=+${mono}`;
}

function netexec(hostname: string): Responder {
  return (req, answer) => {
    if (answer.status === 404) return goReply(404, GO_NOT_FOUND, req.now);
    switch (req.path) {
      case '/':
        return goReply(200, `NOW: ${goNow(req.now)}`, req.now);
      case '/hostname':
        return goReply(200, hostname, req.now);
      case '/clientip':
        return goReply(200, `${req.clientIP}:${req.clientPort}`, req.now);
      case '/echo':
        return goReply(200, req.query.get('msg') ?? '', req.now);
      default:
        return goReply(answer.status, '', req.now);
    }
  };
}

/** How a container of this image answers on the wire. */
export function responderFor(image: ImageDefinition, argv: string[], hostname: string): Responder {
  const repos = image.repositories;
  if (repos.includes('docker.io/library/httpd')) return apache(image.env.HTTPD_VERSION ?? '2.4');
  if (repos.includes('docker.io/library/nginx')) return nginx(image.env.NGINX_VERSION ?? '1.27');
  if (repos.some((r) => r.endsWith('/agnhost'))) {
    const sub = argv[1] ?? 'pause';
    if (sub === 'netexec') return netexec(hostname);
    if (sub === 'liveness') return goText((req) => (req.path === '/healthz' ? 'ok' : ''));
  }
  // serve_hostname and agnhost serve-hostname answer their hostname, without a newline.
  return goText(() => hostname);
}

// ---------- sockets ----------

function serveHttp(
  server: net.Server,
  listener: VirtualListener,
  respond: Responder,
  ctx: ServeContext,
): () => void {
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://pod');
    const socket = req.socket;
    const r: Request = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      clientIP: socket.remoteAddress ?? '',
      clientPort: socket.remotePort ?? 0,
      now: new Date(),
    };
    const answer = listener.http!({
      method: r.method,
      path: r.path,
      clientIP: r.clientIP,
      clientPort: r.clientPort,
      userAgent: String(req.headers['user-agent'] ?? '-'),
      now: r.now,
    });
    if (answer.log) ctx.output(answer.log.stream, Buffer.from(`${answer.log.line}\n`));
    const reply = respond(r, answer);
    res.sendDate = false;
    // The servers imitated here name their connection handling themselves (or not at all).
    if (!reply.headers.some(([k]) => k.toLowerCase() === 'connection')) res.removeHeader('Connection');
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  });
  http.keepAliveTimeout = 5000;
  server.on('connection', (socket) => http.emit('connection', socket));
  return () => {
    server.close();
    http.closeAllConnections();
  };
}

/** agnhost netexec's UDP protocol: `hostname`, `echo <text>`, `clientip`. */
function serveUdp(socket: dgram.Socket, hostname: string): () => void {
  socket.on('message', (msg, rinfo) => {
    const text = msg.toString('utf8').trim();
    let reply = '';
    if (text === 'hostname') reply = hostname;
    else if (text.startsWith('echo ')) reply = text.slice(5);
    else if (text === 'clientip') reply = `${rinfo.address}:${rinfo.port}`;
    socket.send(reply, rinfo.port, rinfo.address);
  });
  socket.on('error', () => {});
  return () => socket.close();
}

/**
 * Open every port the container serves. A port that cannot be opened is reported in the
 * container's log the way a Go server words it, and the rest are still served.
 */
export async function servePorts(
  image: ImageDefinition,
  argv: string[],
  ctx: ServeContext,
): Promise<ServedPorts> {
  const listeners = image.listeners?.(argv) ?? [];
  const respond = responderFor(image, argv, ctx.hostname);
  const closers: (() => void)[] = [];
  const ports: ServedPorts['ports'] = [];
  await Promise.all(
    listeners.map(async (l) => {
      try {
        if (l.protocol === 'TCP') {
          const server = await ctx.broker.tcpListen(ctx.netnsPath, '0.0.0.0', l.port);
          closers.push(l.http ? serveHttp(server, l, respond, ctx) : acceptAndHold(server));
        } else {
          const socket = await ctx.broker.udpBind(ctx.netnsPath, '0.0.0.0', l.port);
          closers.push(serveUdp(socket, ctx.hostname));
        }
        ports.push({ port: l.port, protocol: l.protocol });
      } catch (e) {
        const code = (e as { code?: string }).code;
        const why = code === 'EADDRINUSE' ? 'address already in use' : (e as Error).message;
        const proto = l.protocol === 'TCP' ? 'tcp' : 'udp';
        ctx.output('stderr', Buffer.from(`listen ${proto} 0.0.0.0:${l.port}: bind: ${why}\n`));
      }
    }),
  );
  let closed = false;
  return {
    ports,
    close() {
      if (closed) return;
      closed = true;
      for (const c of closers) c();
    },
  };
}

/** A TCP port without a protocol of its own: accept and keep connections open until closed. */
function acceptAndHold(server: net.Server): () => void {
  const open = new Set<net.Socket>();
  server.on('connection', (s) => {
    open.add(s);
    s.on('error', () => {});
    s.on('close', () => open.delete(s));
  });
  return () => {
    server.close();
    for (const s of open) s.destroy();
  };
}
