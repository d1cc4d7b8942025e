/**
 * The daemon's JSON HTTP API (bodies in labs/daemon/types.ts):
 *
 *   GET    /daemon                      who is serving: DaemonInfo without the token
 *   GET    /catalogue                   environments and scenarios that can be built
 *   GET    /labs                        LabStatus[]
 *   POST   /labs                        CreateLabRequest -> 202 LabStatus (building); the build goes on
 *   DELETE /labs                        delete every lab -> {deleted, errors}
 *   GET    /labs/:name                  LabStatus
 *   DELETE /labs/:name                  tear down -> {deleted}
 *   GET    /labs/:name/events           Server-Sent Events: progress..., then ready | failed
 *   POST   /labs/:name/exec             ExecRequest -> RunResult {code, stdout, stderr, ms}
 *   POST   /labs/:name/reboot/:node     -> {node, ms}
 *   POST   /labs/:name/check            CheckRequest -> GradeReport (labs/scenarios/types.ts)
 *   POST   /labs/:name/hint             HintRequest -> HintAnswer (the next hint, or the one named)
 *   POST   /labs/:name/solve            SolveRequest -> FixReport (a reference solution or a wrong fix)
 *   POST   /labs/:name/reset            -> ResetReport (the lab as freshly injected)
 *   GET    /labs/:name/shell?node=N     WebSocket terminal (labs/daemon/shell.ts)
 *   POST   /gc                          StateGcReport
 *
 * Errors are {error, reason, valid?} with 400 (bad input, a lab without a scenario, an unknown
 * variant, hint or solution), 404 (no such lab/node/pod), 409 (name taken, lab not ready), 412
 * (driver cannot run here), 500 (a driver, a solution or a reset failed). Nothing a client sends
 * can throw past this module.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { catalogue } from './catalogue.ts';
import { ApiError, badRequest, notFound } from './errors.ts';
import type { LabManager } from './labs.ts';
import type { Logger } from './log.ts';
import { invalidLabName } from './names.ts';
import type { ApiErrorBody, DaemonInfo, LabStreamEvent, StateGcReport } from './types.ts';

const MAX_BODY = 1024 * 1024;
const SSE_KEEPALIVE_MS = 15_000;

export interface ApiDeps {
  labs: LabManager;
  log: Logger;
  info(): DaemonInfo;
  gc(): Promise<StateGcReport>;
}

type Params = Record<string, string>;
type Handler = (req: IncomingMessage, res: ServerResponse, params: Params) => Promise<void> | void;

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, e: unknown, log: Logger, what: string): void {
  if (e instanceof ApiError) {
    const body: ApiErrorBody = { error: e.message, reason: e.reason, ...(e.valid ? { valid: e.valid } : {}) };
    send(res, e.status, body);
    return;
  }
  log.error(what, e);
  send(res, 500, {
    error: e instanceof Error ? e.message : String(e),
    reason: 'InternalError',
  } as ApiErrorBody);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY)
      throw new ApiError(413, 'TooLarge', `request bodies are limited to ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('the body is not valid JSON');
  }
}

/** A path segment naming a lab; checked before it is used anywhere. */
function labName(params: Params): string {
  const name = params.name;
  if (invalidLabName(name)) throw notFound(`no lab named "${name}"`);
  return name;
}

function streamEvents(deps: ApiDeps, req: IncomingMessage, res: ServerResponse, name: string): void {
  const write = (e: LabStreamEvent) => res.write(`event: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
  let keepalive: NodeJS.Timeout | undefined;
  let sub: ReturnType<LabManager['subscribe']> | undefined;
  const finish = () => {
    clearInterval(keepalive);
    sub?.unsubscribe();
    res.end();
  };
  const listener = (e: LabStreamEvent) => {
    write(e);
    if (e.type !== 'progress') finish();
  };
  sub = deps.labs.subscribe(name, listener);
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  for (const e of sub.history) write(e);
  if (sub.history.some((e) => e.type !== 'progress')) {
    finish();
    return;
  }
  keepalive = setInterval(() => res.write(': keepalive\n\n'), SSE_KEEPALIVE_MS);
  req.on('close', finish);
}

const routes: { method: string; pattern: RegExp; keys: string[]; handler: (deps: ApiDeps) => Handler }[] = [];

function route(method: string, path: string, handler: (deps: ApiDeps) => Handler): void {
  const keys: string[] = [];
  const pattern = new RegExp(
    `^${path.replace(/:([a-z]+)/g, (_m, key: string) => {
      keys.push(key);
      return '([^/]+)';
    })}/?$`,
  );
  routes.push({ method, pattern, keys, handler });
}

route('GET', '/daemon', (d) => (_req, res) => {
  const { token: _token, ...info } = d.info();
  send(res, 200, info);
});
route('GET', '/catalogue', () => (_req, res) => send(res, 200, catalogue()));
route('GET', '/labs', (d) => (_req, res) => send(res, 200, d.labs.list()));
route('POST', '/labs', (d) => async (req, res) => send(res, 202, await d.labs.create(await readJson(req))));
route('DELETE', '/labs', (d) => async (_req, res) => send(res, 200, await d.labs.deleteAll()));
route('GET', '/labs/:name', (d) => (_req, res, p) => send(res, 200, d.labs.get(labName(p))));
route('DELETE', '/labs/:name', (d) => async (_req, res, p) => {
  const name = labName(p);
  await d.labs.delete(name);
  send(res, 200, { deleted: name });
});
route('GET', '/labs/:name/events', (d) => (req, res, p) => streamEvents(d, req, res, labName(p)));
route('POST', '/labs/:name/exec', (d) => async (req, res, p) => {
  const name = labName(p);
  send(res, 200, await d.labs.exec(name, await readJson(req)));
});
route(
  'POST',
  '/labs/:name/reboot/:node',
  (d) => async (_req, res, p) => send(res, 200, await d.labs.reboot(labName(p), p.node)),
);
route('POST', '/labs/:name/check', (d) => async (req, res, p) => {
  const name = labName(p);
  send(res, 200, await d.labs.check(name, await readJson(req)));
});
route('POST', '/labs/:name/hint', (d) => async (req, res, p) => {
  const name = labName(p);
  send(res, 200, await d.labs.hint(name, await readJson(req)));
});
route('POST', '/labs/:name/solve', (d) => async (req, res, p) => {
  const name = labName(p);
  send(res, 200, await d.labs.solve(name, await readJson(req)));
});
route(
  'POST',
  '/labs/:name/reset',
  (d) => async (_req, res, p) => send(res, 200, await d.labs.reset(labName(p))),
);
route('POST', '/gc', (d) => async (_req, res) => send(res, 200, await d.gc()));

export function createApiHandler(deps: ApiDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const method = req.method ?? 'GET';
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://daemon').pathname;
    } catch {
      send(res, 400, { error: 'bad request target', reason: 'BadRequest' });
      return;
    }
    let matchedPath = false;
    for (const r of routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      matchedPath = true;
      if (r.method !== method) continue;
      const params: Params = {};
      try {
        r.keys.forEach((k, i) => {
          params[k] = decodeURIComponent(m[i + 1]);
        });
      } catch {
        send(res, 400, { error: 'bad percent-encoding in the path', reason: 'BadRequest' });
        return;
      }
      Promise.resolve()
        .then(() => r.handler(deps)(req, res, params))
        .catch((e) => sendError(res, e, deps.log, `${method} ${path}`));
      return;
    }
    if (matchedPath)
      send(res, 405, { error: `${method} is not allowed on ${path}`, reason: 'MethodNotAllowed' });
    else send(res, 404, { error: `no route ${method} ${path}`, reason: 'NotFound' });
  };
}
