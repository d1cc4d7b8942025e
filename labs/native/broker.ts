/**
 * Client of `nsutil broker`: sockets that live inside lab network namespaces, served by this
 * process. The broker creates the socket in the namespace and passes its descriptor over Node's IPC
 * channel, where Node turns it into a ready net.Server, dgram.Socket or connected net.Socket.
 *
 * Outgoing connections are made by the broker (`tcp-connect`), not by calling connect() on an
 * unconnected socket handed over: Node starts reading such a socket at once, fails with ENOTCONN,
 * and a later connect() silently opens a fresh socket in this process's own namespace.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { ensureNsutil, nsutilEnv } from './build.ts';

export interface NetnsBrokerOptions {
  /** Enter this user namespace first (rootless sandboxes: /proc/<holder>/ns/user). */
  usernsPath?: string;
  /** Enter this mount namespace (so /run/netns/... paths of a rootless sandbox resolve). */
  mountnsPath?: string;
  /** Binary to run; default: ensureNsutil(). */
  nsutilPath?: string;
  /** How long to wait for a listen/bind answer before giving up. Default 5000 ms. */
  requestTimeoutMs?: number;
}

export interface TcpListenOptions {
  backlog?: number;
}

export interface UdpBindOptions {
  /** SO_REUSEADDR, off by default so a second server on the same port fails loudly. */
  reuseAddr?: boolean;
}

export interface TcpConnectOptions {
  /** Connect timeout, measured by the broker. Default 5000 ms. */
  timeoutMs?: number;
  /** Source address (and port) to bind before connecting. */
  localAddress?: string;
  localPort?: number;
}

/** A failure reported by the broker (errno name in `code`) or of the broker itself (EBROKER). */
export class BrokerError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'BrokerError';
    this.code = code;
  }
}

type Kind = 'server' | 'dgram' | 'socket' | 'pong';

interface Waiter {
  kind: Kind;
  what: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

interface Reply {
  id?: number;
  error?: string;
  message?: string;
  pong?: boolean;
}

const RESTART_WINDOW_MS = 10_000;
const MAX_DEATHS_IN_WINDOW = 3;

export class NetnsBroker {
  readonly #opts: NetnsBrokerOptions;
  #child: ChildProcess | undefined;
  #starting: Promise<ChildProcess> | undefined;
  readonly #waiters = new Map<number, Waiter>();
  #nextId = 1;
  #closed = false;
  #stderr = '';
  #deaths: number[] = [];

  constructor(opts: NetnsBrokerOptions = {}) {
    this.#opts = opts;
  }

  /** Process id of the running broker, if one is running. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** A listening TCP server bound to host:port inside the namespace at `netnsPath`. */
  tcpListen(netnsPath: string, host: string, port: number, opts: TcpListenOptions = {}): Promise<net.Server> {
    return this.#request('server', { op: 'tcp-listen', net: netnsPath, host, port, backlog: opts.backlog });
  }

  /** A bound UDP socket inside the namespace (port 0 for a client socket). */
  udpBind(netnsPath: string, host: string, port: number, opts: UdpBindOptions = {}): Promise<dgram.Socket> {
    return this.#request('dgram', {
      op: 'udp-bind',
      net: netnsPath,
      host,
      port,
      reuseAddr: opts.reuseAddr ? 1 : 0,
    });
  }

  /** A TCP connection made from inside the namespace, resolved once established. */
  tcpConnect(
    netnsPath: string,
    host: string,
    port: number,
    opts: TcpConnectOptions = {},
  ): Promise<net.Socket> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    return this.#request(
      'socket',
      {
        op: 'tcp-connect',
        net: netnsPath,
        host,
        port,
        timeoutMs,
        localHost: opts.localAddress,
        localPort: opts.localPort,
      },
      timeoutMs + 2000,
    );
  }

  /** One round trip through the broker (health check, latency measurement). */
  async ping(): Promise<void> {
    await this.#request('pong', { op: 'ping' });
  }

  /** Stop the broker; pending requests are rejected. Sockets already handed over stay open. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#rejectAll(new BrokerError('EBROKER', 'namespace broker closed'));
    const child = this.#child ?? (await this.#starting?.catch(() => undefined));
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.disconnect(); // EOF on the channel: the broker exits by itself
    const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
    await exited;
    clearTimeout(timer);
  }

  async #request<T>(kind: Kind, body: Record<string, unknown>, timeoutMs?: number): Promise<T> {
    if (this.#closed) throw new BrokerError('EBROKER', 'namespace broker closed');
    const child = await this.#ensureChild();
    const id = this.#nextId++;
    const what = `${body.op}${body.host !== undefined ? ` ${body.host}:${body.port}` : ''}${
      body.net ? ` in ${body.net}` : ''
    }`;
    return new Promise<T>((resolve, reject) => {
      const limit = timeoutMs ?? this.#opts.requestTimeoutMs ?? 5000;
      const timer = setTimeout(() => {
        this.#settle(id);
        reject(new BrokerError('ETIMEDOUT', `${what}: no answer from the namespace broker in ${limit} ms`));
      }, limit);
      this.#waiters.set(id, { kind, what, resolve: resolve as (v: unknown) => void, reject, timer });
      this.#updateRef();
      const message = Object.fromEntries(Object.entries({ id, ...body }).filter(([, v]) => v !== undefined));
      child.send(message, (err) => {
        if (err && this.#settle(id)) reject(new BrokerError('EBROKER', `${what}: ${err.message}`));
      });
    });
  }

  #settle(id: number): Waiter | undefined {
    const w = this.#waiters.get(id);
    if (!w) return undefined;
    clearTimeout(w.timer);
    this.#waiters.delete(id);
    this.#updateRef();
    return w;
  }

  #onMessage(msg: Reply, handle: unknown): void {
    const w = typeof msg?.id === 'number' ? this.#settle(msg.id) : undefined;
    if (!w) {
      closeHandle(handle); // answer to a request that already timed out
      return;
    }
    if (msg.error) {
      w.reject(new BrokerError(msg.error, msg.message ?? `${w.what}: ${msg.error}`));
      return;
    }
    const ok =
      (w.kind === 'pong' && msg.pong === true) ||
      (w.kind === 'server' && handle instanceof net.Server) ||
      (w.kind === 'socket' && handle instanceof net.Socket) ||
      (w.kind === 'dgram' && handle instanceof dgram.Socket);
    if (ok) {
      w.resolve(handle);
    } else {
      closeHandle(handle);
      w.reject(new BrokerError('EPROTO', `${w.what}: unexpected answer from the namespace broker`));
    }
  }

  async #ensureChild(): Promise<ChildProcess> {
    if (this.#child) return this.#child;
    this.#starting ??= this.#spawn().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #spawn(): Promise<ChildProcess> {
    const now = Date.now();
    this.#deaths = this.#deaths.filter((t) => now - t < RESTART_WINDOW_MS);
    if (this.#deaths.length >= MAX_DEATHS_IN_WINDOW) {
      throw new BrokerError(
        'EBROKER',
        `namespace broker keeps exiting: ${this.#stderr.trim() || 'no message'}`,
      );
    }
    const bin = this.#opts.nsutilPath ?? (await ensureNsutil());
    const args = ['broker'];
    if (this.#opts.usernsPath) args.push('--userns', this.#opts.usernsPath);
    if (this.#opts.mountnsPath) args.push('--mountns', this.#opts.mountnsPath);
    const child = spawn(bin, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
      env: nsutilEnv(),
    });
    this.#stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.#stderr = (this.#stderr + d).slice(-4000);
    });
    child.on('message', (msg, handle) => this.#onMessage(msg as Reply, handle));
    const onGone = (why: string) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      this.#deaths.push(Date.now());
      const detail = this.#stderr.trim();
      this.#rejectAll(new BrokerError('EBROKER', `namespace broker ${why}${detail ? `: ${detail}` : ''}`));
    };
    child.on('error', (err) => onGone(`failed: ${err.message}`));
    // 'close' rather than 'exit': by then stderr, which says why, has been read to the end
    child.on('close', (code, signal) => onGone(signal ? `killed by ${signal}` : `exited with code ${code}`));
    this.#child = child;
    this.#updateRef();
    return child;
  }

  #rejectAll(err: BrokerError): void {
    for (const [id, w] of [...this.#waiters]) {
      this.#settle(id);
      w.reject(new BrokerError(err.code, `${w.what}: ${err.message}`));
    }
  }

  /** The broker keeps this process alive only while requests are outstanding. */
  #updateRef(): void {
    const child = this.#child;
    if (!child) return;
    const busy = this.#waiters.size > 0;
    const channel = child.channel as { ref?: () => void; unref?: () => void } | undefined;
    if (busy) {
      child.ref();
      channel?.ref?.();
    } else {
      child.unref();
      channel?.unref?.();
    }
    const stderr = child.stderr as unknown as { ref?: () => void; unref?: () => void } | null;
    if (busy) stderr?.ref?.();
    else stderr?.unref?.();
  }
}

function closeHandle(handle: unknown): void {
  if (handle instanceof net.Server) handle.close();
  else if (handle instanceof net.Socket) handle.destroy();
  else if (handle instanceof dgram.Socket) handle.close();
}
