/**
 * Talking to the lab daemon over its unix socket: find it, start it when asked (detached, on the
 * Node running this process), and call its API. labctl uses this; so can the web server.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { RunResult } from '../drivers/driver.ts';
import type { Catalogue } from './catalogue.ts';
import { readDaemonInfo } from './gc.ts';
import { type DaemonPaths, daemonPaths, ensureStateDir, REPO_ROOT } from './paths.ts';
import { isAlive } from './proc.ts';
import type {
  ApiErrorBody,
  CheckRequest,
  CreateLabRequest,
  DaemonInfo,
  ExecRequest,
  FixReport,
  GradeReport,
  HintAnswer,
  HintRequest,
  LabStatus,
  LabStreamEvent,
  ResetReport,
  SolveRequest,
  StateGcReport,
} from './types.ts';

const DAEMON_MAIN = join(REPO_ROOT, 'labs', 'daemon', 'main.ts');
const START_TIMEOUT_MS = 20_000;

/** The daemon answered with an error status. */
export class DaemonApiError extends Error {
  override readonly name = 'DaemonApiError';
  readonly status: number;
  readonly reason: string;
  readonly valid?: string[];
  constructor(status: number, body: Partial<ApiErrorBody>) {
    super(body.error ?? `the lab daemon answered ${status}`);
    this.status = status;
    this.reason = body.reason ?? 'Unknown';
    this.valid = body.valid;
  }
}

/** The daemon could not be reached or started. */
export class DaemonUnavailableError extends Error {
  override readonly name = 'DaemonUnavailableError';
}

export interface RequestOptions {
  timeoutMs?: number;
}

export class DaemonClient {
  readonly paths: DaemonPaths;

  constructor(paths: DaemonPaths) {
    this.paths = paths;
  }

  request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          socketPath: this.paths.socket,
          path,
          method,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = { error: text };
            }
            if ((res.statusCode ?? 500) >= 400)
              reject(new DaemonApiError(res.statusCode ?? 500, (parsed ?? {}) as ApiErrorBody));
            else resolve(parsed as T);
          });
          res.on('error', reject);
        },
      );
      if (opts.timeoutMs)
        req.setTimeout(opts.timeoutMs, () =>
          req.destroy(new DaemonUnavailableError('the lab daemon did not answer')),
        );
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e instanceof DaemonUnavailableError) reject(e);
        else if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED')
          reject(new DaemonUnavailableError(`no lab daemon is running (${this.paths.socket})`));
        else reject(e);
      });
      req.end(payload);
    });
  }

  info(): Promise<Omit<DaemonInfo, 'token'>> {
    return this.request('GET', '/daemon', undefined, { timeoutMs: 3000 });
  }

  catalogue(): Promise<Catalogue> {
    return this.request('GET', '/catalogue');
  }

  listLabs(): Promise<LabStatus[]> {
    return this.request('GET', '/labs');
  }

  getLab(name: string): Promise<LabStatus> {
    return this.request('GET', `/labs/${encodeURIComponent(name)}`);
  }

  createLab(req: CreateLabRequest): Promise<LabStatus> {
    return this.request('POST', '/labs', req);
  }

  deleteLab(name: string): Promise<{ deleted: string }> {
    return this.request('DELETE', `/labs/${encodeURIComponent(name)}`);
  }

  deleteAll(): Promise<{ deleted: string[]; errors: string[] }> {
    return this.request('DELETE', '/labs');
  }

  exec(name: string, req: ExecRequest): Promise<RunResult> {
    return this.request('POST', `/labs/${encodeURIComponent(name)}/exec`, req);
  }

  reboot(name: string, node: string): Promise<{ node: string; ms: number }> {
    return this.request('POST', `/labs/${encodeURIComponent(name)}/reboot/${encodeURIComponent(node)}`);
  }

  gc(): Promise<StateGcReport> {
    return this.request('POST', '/gc');
  }

  check(name: string, req: CheckRequest = {}): Promise<GradeReport> {
    return this.request('POST', `/labs/${encodeURIComponent(name)}/check`, req);
  }

  hint(name: string, req: HintRequest = {}): Promise<HintAnswer> {
    return this.request('POST', `/labs/${encodeURIComponent(name)}/hint`, req);
  }

  solve(name: string, req: SolveRequest = {}): Promise<FixReport> {
    return this.request('POST', `/labs/${encodeURIComponent(name)}/solve`, req);
  }

  reset(name: string): Promise<ResetReport> {
    return this.request('POST', `/labs/${encodeURIComponent(name)}/reset`);
  }

  /**
   * Follow a lab's build: `onEvent` sees every event (history first); resolves with the last one
   * (ready or failed). Rejects if the stream ends without one (the daemon went away).
   */
  events(name: string, onEvent: (e: LabStreamEvent) => void): Promise<LabStreamEvent> {
    return new Promise((resolve, reject) => {
      const req = request(
        { socketPath: this.paths.socket, path: `/labs/${encodeURIComponent(name)}/events`, method: 'GET' },
        (res) => {
          if ((res.statusCode ?? 500) >= 400) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              let body: ApiErrorBody | undefined;
              try {
                body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
              } catch {
                body = undefined;
              }
              reject(new DaemonApiError(res.statusCode ?? 500, body ?? {}));
            });
            return;
          }
          let buffer = '';
          let last: LabStreamEvent | undefined;
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const event = parseSseBlock(block);
              if (!event) continue;
              if (event.type !== 'progress') last = event;
              onEvent(event);
            }
          });
          res.on('end', () =>
            last
              ? resolve(last)
              : reject(new DaemonUnavailableError('the lab daemon closed the event stream')),
          );
          res.on('error', reject);
        },
      );
      req.on('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
            ? new DaemonUnavailableError(`no lab daemon is running (${this.paths.socket})`)
            : e,
        ),
      );
      req.end();
    });
  }

  /** A WebSocket carrying a terminal (see labs/daemon/shell.ts for the protocol). */
  shell(
    name: string,
    target: { node?: string; pod?: string; container?: string },
    size: { cols: number; rows: number },
  ): WebSocket {
    const q = new URLSearchParams();
    if (target.node) q.set('node', target.node);
    if (target.pod) q.set('pod', target.pod);
    if (target.container) q.set('container', target.container);
    q.set('cols', String(size.cols));
    q.set('rows', String(size.rows));
    return new WebSocket(`ws+unix://${this.paths.socket}:/labs/${encodeURIComponent(name)}/shell?${q}`);
  }
}

function parseSseBlock(block: string): LabStreamEvent | undefined {
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  if (data.length === 0 || !['progress', 'ready', 'failed'].includes(type)) return undefined;
  try {
    return { type, data: JSON.parse(data.join('\n')) } as LabStreamEvent;
  } catch {
    return undefined;
  }
}

/** A client for the daemon serving `paths`, if one answers; never starts one. */
export async function findDaemon(paths: DaemonPaths = daemonPaths()): Promise<DaemonClient | undefined> {
  if (!existsSync(paths.socket)) return undefined;
  const client = new DaemonClient(paths);
  try {
    await client.info();
    return client;
  } catch {
    return undefined;
  }
}

function logTail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface EnsureOptions {
  paths?: DaemonPaths;
  /** Passed to a daemon this call starts: also serve on 127.0.0.1:tcpPort. */
  tcpPort?: number;
  timeoutMs?: number;
}

/** A client for the running daemon, starting one (detached) when none answers. */
export async function ensureDaemon(opts: EnsureOptions = {}): Promise<DaemonClient> {
  const paths = opts.paths ?? daemonPaths();
  const found = await findDaemon(paths);
  if (found) return found;
  ensureStateDir(paths);
  const info = readDaemonInfo(paths);
  if (info && isAlive({ pid: info.pid, start: info.pidStart }) && existsSync(paths.socket))
    throw new DaemonUnavailableError(
      `the lab daemon (pid ${info.pid}) is running but does not answer on ${paths.socket}; stop it (kill ${info.pid}) and run labctl gc\n--- ${paths.log} ---\n${logTail(paths.log)}`,
    );

  const logFd = openSync(paths.log, 'a', 0o600);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  try {
    const child = spawn(
      process.execPath,
      [DAEMON_MAIN, ...(opts.tcpPort !== undefined ? ['--tcp', String(opts.tcpPort)] : [])],
      {
        detached: true,
        stdio: ['ignore', logFd, logFd],
        cwd: REPO_ROOT,
        env: { ...process.env, SVC_LABS_STATE: paths.state },
      },
    );
    child.once('exit', (code, signal) => {
      exited = { code, signal };
    });
    child.once('error', (e) => {
      exited = { code: 1, signal: null };
      void e;
    });
    child.unref();
  } finally {
    closeSync(logFd);
  }

  const deadline = Date.now() + (opts.timeoutMs ?? START_TIMEOUT_MS);
  while (Date.now() < deadline) {
    const client = await findDaemon(paths);
    if (client) return client;
    // Exit 0 means another daemon won the race to the socket: keep waiting for it to answer.
    if (exited && exited.code !== 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const why = exited
    ? `it exited (${exited.signal ?? `code ${exited.code}`})`
    : `it did not answer within ${opts.timeoutMs ?? START_TIMEOUT_MS} ms`;
  throw new DaemonUnavailableError(
    `the lab daemon failed to start: ${why}\n--- last lines of ${paths.log} ---\n${logTail(paths.log)}`,
  );
}
