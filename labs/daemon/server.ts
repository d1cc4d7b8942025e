/**
 * The lab daemon: one process holding every lab, serving the API on `<state>/daemon.sock` (mode
 * 0600: the socket's owner is trusted) and, when asked, on 127.0.0.1:<port> for the web server
 * (a bearer token from daemon.json is required there, since any local user or web page can reach
 * a TCP port).
 *
 * The socket is the lock: a daemon that finds it answered exits; one that finds it dead replaces it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createApiHandler } from './api.ts';
import { collectGarbage, readDaemonInfo, socketAnswers } from './gc.ts';
import { LabManager } from './labs.ts';
import type { Logger } from './log.ts';
import { type DaemonPaths, daemonVersion, ensureStateDir } from './paths.ts';
import { selfRef } from './proc.ts';
import { createShellUpgrade } from './shell.ts';
import type { DaemonInfo } from './types.ts';

export class DaemonAlreadyRunning extends Error {
  override readonly name = 'DaemonAlreadyRunning';
}

export interface DaemonOptions {
  paths: DaemonPaths;
  log: Logger;
  /** Also serve on 127.0.0.1:tcpPort (0 picks a free port). */
  tcpPort?: number;
}

export interface RunningDaemon {
  info: DaemonInfo;
  labs: LabManager;
  /** Destroy every lab, stop serving, remove the socket and daemon.json. */
  close(): Promise<void>;
}

function listenSocket(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // Created 0600 from the start, not chmod-ed after a window in which others could connect.
    const umask = process.umask(0o177);
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
    process.umask(umask);
  });
}

async function claimSocket(server: Server, path: string): Promise<void> {
  try {
    await listenSocket(server, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    if (await socketAnswers(path)) throw new DaemonAlreadyRunning(`a lab daemon already serves ${path}`);
    rmSync(path, { force: true });
    await listenSocket(server, path);
  }
  chmodSync(path, 0o600);
}

function tokenMatches(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization;
  let given = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
  if (!given) {
    try {
      given = new URL(req.url ?? '/', 'http://daemon').searchParams.get('token') ?? undefined;
    } catch {
      return false;
    }
  }
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  const { paths, log } = opts;
  ensureStateDir(paths);
  const labs = new LabManager(paths, log);
  const token = randomBytes(24).toString('hex');
  let info: DaemonInfo | undefined;
  const handle = createApiHandler({
    labs,
    log,
    info: () => info!,
    gc: () => collectGarbage(paths, { held: labs.names() }),
  });
  const shell = createShellUpgrade(labs, log);
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!shell(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
  };

  const unix = createServer(handle);
  unix.on('upgrade', onUpgrade);
  // SSE streams and long execs must not be cut by the default request timeout.
  unix.requestTimeout = 0;
  unix.on('clientError', (_e, socket) => socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n'));
  await claimSocket(unix, paths.socket);

  let tcp: Server | undefined;
  let tcpAddress: DaemonInfo['tcp'];
  if (opts.tcpPort !== undefined) {
    const guarded = (req: IncomingMessage, res: ServerResponse) => {
      if (tokenMatches(req, token)) handle(req, res);
      else {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(
          `${JSON.stringify({ error: 'a bearer token from daemon.json is required', reason: 'Unauthorized' })}\n`,
        );
      }
    };
    tcp = createServer(guarded);
    tcp.requestTimeout = 0;
    tcp.on('upgrade', (req, socket, head) => {
      if (tokenMatches(req, token)) onUpgrade(req, socket, head);
      else socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\n\r\n');
    });
    tcp.on('clientError', (_e, socket) =>
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n'),
    );
    await new Promise<void>((resolve, reject) => {
      tcp!.once('error', reject);
      tcp!.listen(opts.tcpPort, '127.0.0.1', () => resolve());
    }).catch((e) => {
      unix.close();
      rmSync(paths.socket, { force: true });
      throw e;
    });
    tcpAddress = { host: '127.0.0.1', port: (tcp.address() as AddressInfo).port };
  }

  const me = selfRef();
  info = {
    pid: me.pid,
    pidStart: me.start,
    startedAt: new Date().toISOString(),
    socket: paths.socket,
    version: daemonVersion(),
    tcp: tcpAddress,
    token,
  };
  const tmp = `${paths.info}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, paths.info);
  log.info(
    `daemon ${me.pid} serving ${paths.socket}${tcpAddress ? ` and 127.0.0.1:${tcpAddress.port}` : ''}`,
  );

  // What an earlier daemon left when it died goes now, in the background.
  void collectGarbage(paths, { held: labs.names() }).then(
    (r) => {
      if (r.labs.length) log.info(`gc at start-up removed labs of dead daemons: ${r.labs.join(', ')}`);
      for (const e of r.errors) log.error(`gc at start-up: ${e}`);
    },
    (e) => log.error('gc at start-up', e),
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      log.info('shutting down: destroying labs');
      await labs.shutdown();
      for (const s of [unix, tcp]) {
        if (!s) continue;
        s.closeAllConnections();
        // Upgraded sockets (shells) are not closed by closeAllConnections; their labs are gone by now.
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          setTimeout(resolve, 1000).unref();
        });
      }
      rmSync(paths.socket, { force: true });
      const current = readDaemonInfo(paths);
      if (current?.pid === me.pid) rmSync(paths.info, { force: true });
      log.info('daemon stopped');
    })();
    return closing;
  };
  return { info, labs, close };
}
