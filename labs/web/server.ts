/**
 * The web server `npm start` runs: the built lesson site, the browser's lab API (labs/web/types.ts
 * lists the routes) and the terminal WebSockets, on 127.0.0.1. Labs themselves live in the lab
 * daemon, reached over its unix socket; this server only says which lab belongs to which learner.
 *
 * Security, since a lab terminal is a root shell on a lab node: the session is an HttpOnly,
 * SameSite=Strict cookie; requests that change anything and every WebSocket must carry our own
 * Origin; the Host header must be a loopback name.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { DaemonApiError, type DaemonClient, DaemonUnavailableError } from '../daemon/client.ts';
import { checkLesson, LessonLabs, WebError } from './lessons.ts';
import { hostIsLocal, sameOrigin } from './origin.ts';
import { parseCookies, SESSION_COOKIE, type Session, SessionStore, sessionCookie } from './sessions.ts';
import { serveStatic } from './static.ts';
import { TerminalHub } from './terminals.ts';
import type { SessionView } from './types.ts';

const MAX_BODY = 2 * 1024 * 1024;

export interface WebServerOptions {
  client: DaemonClient;
  /** site/dist */
  siteDir: string;
  /** Where sessions and progress are kept; in memory when omitted. */
  sessionsFile?: string;
  host?: string;
  port?: number;
  drivers?: string[];
  /** Host names besides loopback that browsers may use to reach this server. */
  allowedHosts?: string[];
  log?: (line: string) => void;
}

export interface WebServer {
  server: Server;
  url: string;
  sessions: SessionStore;
  labs: LessonLabs;
  terminals: TerminalHub;
  close(): Promise<void>;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new WebError(413, 'TooLarge', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new WebError(400, 'BadRequest', 'the body is not valid JSON');
  }
}

function errorBody(e: unknown): { status: number; body: { error: string; reason: string } } {
  if (e instanceof WebError) return { status: e.status, body: { error: e.message, reason: e.reason } };
  if (e instanceof DaemonApiError) {
    // The daemon's own status is meaningful to the browser (409 not ready, 412 driver unavailable).
    const status = e.status >= 500 ? 502 : e.status;
    return { status, body: { error: e.message, reason: e.reason } };
  }
  if (e instanceof DaemonUnavailableError)
    return { status: 503, body: { error: e.message, reason: 'DaemonUnavailable' } };
  return {
    status: 500,
    body: { error: e instanceof Error ? e.message : String(e), reason: 'InternalError' },
  };
}

/** Proxy the daemon's Server-Sent Events for a lab to the browser, unchanged. */
function proxyEvents(client: DaemonClient, lab: string, req: IncomingMessage, res: ServerResponse): void {
  const upstream = request(
    { socketPath: client.paths.socket, path: `/labs/${encodeURIComponent(lab)}/events`, method: 'GET' },
    (up) => {
      if ((up.statusCode ?? 500) >= 400) {
        res.writeHead(up.statusCode === 404 ? 409 : 502, { 'content-type': 'application/json' });
        up.pipe(res);
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.flushHeaders();
      up.pipe(res);
    },
  );
  upstream.on('error', (e) => sendJson(res, 503, { error: e.message, reason: 'DaemonUnavailable' }));
  req.on('close', () => upstream.destroy());
  upstream.end();
}

type Route = {
  method: string;
  pattern: RegExp;
  /** Changes state: needs our Origin. */
  mutating: boolean;
  run: (ctx: Ctx, m: RegExpExecArray) => Promise<unknown> | undefined;
};

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  session: Session;
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const log = opts.log ?? (() => {});
  const sessions = new SessionStore(opts.sessionsFile);
  const labs = new LessonLabs({ client: opts.client, sessions, drivers: opts.drivers });
  const hub = new TerminalHub(opts.client);
  const allowed = (opts.allowedHosts ?? []).map((h) => h.toLowerCase());

  const L = '/api/lessons/([^/]+)';
  const routes: Route[] = [
    {
      method: 'GET',
      pattern: /^\/api\/session$/,
      mutating: false,
      run: async ({ session }) => ({ id: session.id, lessons: session.lessons }) satisfies SessionView,
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${L}$`),
      mutating: false,
      run: ({ session }, m) => labs.view(session, m[1]),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${L}/lab$`),
      mutating: true,
      run: async ({ session, req, res }, m) => {
        const view = await labs.start(session, m[1], await readJson(req));
        sendJson(res, 202, view);
        return undefined;
      },
    },
    {
      method: 'DELETE',
      pattern: new RegExp(`^${L}/lab$`),
      mutating: true,
      run: async ({ session }, m) => {
        const name = session.lessons[m[1]]?.lab;
        if (name) hub.closeLab(session.id, name);
        return labs.stop(session, m[1]);
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${L}/lab/reset$`),
      mutating: true,
      run: async ({ session, req, res }, m) => {
        const body = await readJson(req);
        const name = session.lessons[m[1]]?.lab;
        const view = await labs.reset(session, m[1], body);
        if (name && view.lab?.name !== name) hub.closeLab(session.id, name);
        sendJson(res, 202, view);
        return undefined;
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${L}/lab/events$`),
      mutating: false,
      run: async ({ session, req, res }, m) => {
        proxyEvents(opts.client, await labs.labName409(session, m[1]), req, res);
        return undefined;
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${L}/lab/check$`),
      mutating: true,
      run: async ({ session, req }, m) => labs.check(session, m[1], await readJson(req)),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${L}/lab/hint$`),
      mutating: true,
      run: async ({ session, req }, m) => labs.hint(session, m[1], await readJson(req)),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${L}/lab/topology$`),
      mutating: false,
      run: ({ session }, m) => labs.topology(session, m[1]),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${L}/lab/object$`),
      mutating: false,
      run: ({ session, url }, m) => labs.getObject(session, m[1], url.searchParams),
    },
    {
      method: 'PUT',
      pattern: new RegExp(`^${L}/lab/object$`),
      mutating: true,
      run: async ({ session, req, res }, m) => {
        const r = await labs.applyObject(session, m[1], await readJson(req));
        sendJson(res, r.ok ? 200 : 422, r);
        return undefined;
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${L}/lab/file$`),
      mutating: false,
      run: ({ session, url }, m) => labs.readFile(session, m[1], url.searchParams),
    },
    {
      method: 'PUT',
      pattern: new RegExp(`^${L}/lab/file$`),
      mutating: true,
      run: async ({ session, req, res }, m) => {
        const r = await labs.writeFile(session, m[1], await readJson(req));
        sendJson(res, r.ok ? 200 : 422, r);
        return undefined;
      },
    },
  ];

  /** The request's session; a page load without one gets a new cookie. */
  const sessionOf = (req: IncomingMessage): { session?: Session; setCookie?: string } => {
    const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    const found = sessions.find(token);
    if (found) return { session: found };
    return {};
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const method = req.method ?? 'GET';
    let path = url.pathname;
    try {
      path = decodeURIComponent(path);
    } catch {
      sendJson(res, 400, { error: 'bad path', reason: 'BadRequest' });
      return;
    }
    let { session } = sessionOf(req);
    let cookie: string | undefined;
    // Only the session route hands out sessions: other calls without a cookie are refused.
    if (!session && method === 'GET' && path === '/api/session') {
      const made = sessions.create();
      session = made.session;
      cookie = sessionCookie(made.token);
    }
    let pathMatched = false;
    for (const r of routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      if (r.mutating && !sameOrigin(req, true, allowed)) {
        sendJson(res, 403, {
          error: 'requests that change a lab must come from this site',
          reason: 'Forbidden',
        });
        return;
      }
      if (!session) {
        sendJson(res, 401, { error: 'no session: load a page of the site first', reason: 'NoSession' });
        return;
      }
      try {
        if (m[1] !== undefined) checkLesson(m[1]);
        const body = await r.run({ req, res, url, session }, m);
        if (body !== undefined) sendJson(res, 200, body, cookie ? { 'set-cookie': cookie } : {});
      } catch (e) {
        const { status, body } = errorBody(e);
        if (status >= 500 && status !== 501 && status !== 503) log(`${method} ${path}: ${body.error}`);
        sendJson(res, status, body);
      }
      return;
    }
    sendJson(res, pathMatched ? 405 : 404, {
      error: pathMatched ? `${method} is not allowed on ${path}` : `no route ${method} ${path}`,
      reason: pathMatched ? 'MethodNotAllowed' : 'NotFound',
    });
  };

  const server = createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://web');
    } catch {
      sendJson(res, 400, { error: 'bad request target', reason: 'BadRequest' });
      return;
    }
    if (!hostIsLocal(req.headers.host, allowed)) {
      sendJson(res, 421, {
        error: 'this server answers to 127.0.0.1 and localhost only',
        reason: 'MisdirectedRequest',
      });
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      void handleApi(req, res, url);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: 'the site is read-only', reason: 'MethodNotAllowed' });
      return;
    }
    serveStatic(opts.siteDir, req, res, url.pathname);
  });
  // SSE and long checks must not be cut short.
  server.requestTimeout = 0;

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const SHELL = new RegExp(`^${L}/lab/shell$`);
  const refuse = (socket: Duplex, status: number, message: string) => {
    const body = `${JSON.stringify({ error: message })}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : status === 401 ? 'Unauthorized' : status === 409 ? 'Conflict' : 'Not Found'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  };
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://web');
    } catch {
      refuse(socket, 404, 'bad request target');
      return;
    }
    const m = SHELL.exec(url.pathname);
    if (!m) {
      refuse(socket, 404, 'no WebSocket here');
      return;
    }
    if (!sameOrigin(req, true, allowed)) {
      refuse(socket, 403, 'terminals open only from pages of this site');
      return;
    }
    const { session } = sessionOf(req);
    if (!session) {
      refuse(socket, 401, 'no session');
      return;
    }
    void (async () => {
      try {
        const lesson = checkLesson(decodeURIComponent(m[1]));
        const lab = await labs.readyLab(session, lesson);
        const node = url.searchParams.get('node') ?? lab.nodes.find((n) => n.role === 'control-plane')?.name;
        if (!node || !lab.nodes.some((n) => n.name === node)) {
          refuse(socket, 404, `lab has no node "${node}"`);
          return;
        }
        const term = url.searchParams.get('term') ?? '';
        const num = (v: string | null, d: number) => {
          const n = Number(v);
          return Number.isInteger(n) && n > 0 && n <= 1000 ? n : d;
        };
        wss.handleUpgrade(req, socket, head, (ws) =>
          hub.attach(
            ws,
            {
              session: session.id,
              lab: lab.name,
              node,
              term: /^[a-z0-9-]{1,40}$/.test(term) ? term : 'default',
            },
            { cols: num(url.searchParams.get('cols'), 80), rows: num(url.searchParams.get('rows'), 24) },
          ),
        );
      } catch (e) {
        const { status, body } = errorBody(e);
        refuse(socket, status, body.error);
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 4321, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.address}:${addr.port}`;

  return {
    server,
    url,
    sessions,
    labs,
    terminals: hub,
    close: async () => {
      hub.closeAll();
      sessions.flush();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
