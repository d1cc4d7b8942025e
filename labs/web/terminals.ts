/**
 * Browser terminals bridged to the daemon's node shells (labs/daemon/shell.ts protocol, both ways:
 * binary frames are keystrokes and output, text frames JSON {type: input|resize|exit|error}).
 *
 * A shell outlives its browser socket for a grace period, keyed by the terminal id the page keeps
 * in sessionStorage: a network blip or a reload re-attaches to the same shell and gets the recent
 * output replayed, as with a tmux session. The server adds one text message of its own:
 * {"type":"attached","resumed":bool} when a browser socket is joined to a shell.
 */
import type { RawData, WebSocket } from 'ws';
import type { DaemonClient } from '../daemon/client.ts';

const GRACE_MS = 60_000;
const REPLAY_BYTES = 128 * 1024;

export interface TerminalKey {
  session: string;
  lab: string;
  node: string;
  term: string;
}

interface Shell {
  key: string;
  upstream: WebSocket;
  open: boolean;
  queue: { data: Buffer | string; binary: boolean }[];
  replay: Buffer[];
  replaySize: number;
  browser?: WebSocket;
  grace?: NodeJS.Timeout;
  closed: boolean;
}

function keyOf(k: TerminalKey): string {
  return [k.session, k.lab, k.node, k.term].join('\u0000');
}

function toBuffer(data: RawData): Buffer {
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
}

export class TerminalHub {
  private readonly client: DaemonClient;
  private readonly shells = new Map<string, Shell>();
  private readonly graceMs: number;

  constructor(client: DaemonClient, opts: { graceMs?: number } = {}) {
    this.client = client;
    this.graceMs = opts.graceMs ?? GRACE_MS;
  }

  /** How many shells are open (attached or waiting for their browser to come back). */
  get size(): number {
    return this.shells.size;
  }

  attach(browser: WebSocket, key: TerminalKey, size: { cols: number; rows: number }): void {
    const k = keyOf(key);
    let shell = this.shells.get(k);
    const resumed = !!shell && !shell.closed;
    if (!shell || shell.closed) shell = this.open(k, key, size);
    const s = shell;
    if (s.browser && s.browser !== browser) s.browser.close(4000, 'the terminal was opened elsewhere');
    clearTimeout(s.grace);
    s.grace = undefined;
    s.browser = browser;
    browser.send(JSON.stringify({ type: 'attached', resumed }));
    if (resumed) {
      for (const chunk of s.replay) browser.send(chunk, { binary: true });
      this.send(s, JSON.stringify({ type: 'resize', cols: size.cols, rows: size.rows }), false);
    }
    browser.on('message', (data: RawData, isBinary: boolean) => {
      if (s.browser !== browser) return;
      const buf = toBuffer(data);
      this.send(s, isBinary ? buf : buf.toString('utf8'), isBinary);
    });
    browser.on('close', () => {
      if (s.browser !== browser) return;
      s.browser = undefined;
      if (s.closed) return;
      s.grace = setTimeout(() => this.close(s), this.graceMs);
      s.grace.unref();
    });
    browser.on('error', () => {});
  }

  private open(k: string, key: TerminalKey, size: { cols: number; rows: number }): Shell {
    const upstream = this.client.shell(key.lab, { node: key.node }, size);
    const shell: Shell = {
      key: k,
      upstream,
      open: false,
      queue: [],
      replay: [],
      replaySize: 0,
      closed: false,
    };
    this.shells.set(k, shell);
    upstream.on('open', () => {
      shell.open = true;
      for (const m of shell.queue.splice(0)) upstream.send(m.data, { binary: m.binary });
    });
    upstream.on('message', (data: RawData, isBinary: boolean) => {
      const buf = toBuffer(data);
      if (isBinary) {
        shell.replay.push(buf);
        shell.replaySize += buf.length;
        while (shell.replaySize > REPLAY_BYTES && shell.replay.length > 1)
          shell.replaySize -= shell.replay.shift()!.length;
      }
      if (shell.browser?.readyState === shell.browser?.OPEN)
        shell.browser?.send(isBinary ? buf : buf.toString('utf8'), { binary: isBinary });
    });
    upstream.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let message = `the lab refused the shell (${res.statusCode})`;
        try {
          message =
            (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: string }).error ?? message;
        } catch {
          /* keep the status line */
        }
        shell.browser?.send(JSON.stringify({ type: 'error', message }));
        this.close(shell, 4404);
      });
    });
    upstream.on('error', (e) => {
      shell.browser?.send(JSON.stringify({ type: 'error', message: `shell: ${e.message}` }));
      this.close(shell, 1011);
    });
    upstream.on('close', () => this.close(shell, 1000));
    return shell;
  }

  private send(s: Shell, data: Buffer | string, binary: boolean): void {
    if (s.closed) return;
    if (s.open) s.upstream.send(data, { binary });
    else s.queue.push({ data, binary });
  }

  private close(s: Shell, code = 1000): void {
    if (s.closed) return;
    s.closed = true;
    clearTimeout(s.grace);
    if (this.shells.get(s.key) === s) this.shells.delete(s.key);
    try {
      s.upstream.close();
    } catch {
      s.upstream.terminate();
    }
    if (s.browser && s.browser.readyState === s.browser.OPEN) s.browser.close(code === 1011 ? 1011 : code);
  }

  /** Every shell of a lab (it was stopped or reset). */
  closeLab(session: string, lab: string): void {
    for (const s of [...this.shells.values()]) {
      const [sess, name] = s.key.split('\u0000');
      if (sess === session && name === lab) this.close(s);
    }
  }

  /** Cut every browser socket without a close handshake, as a network failure would; the shells stay. */
  dropBrowsers(): number {
    let n = 0;
    for (const s of this.shells.values()) {
      if (s.browser) {
        s.browser.terminate();
        n++;
      }
    }
    return n;
  }

  closeAll(): void {
    for (const s of [...this.shells.values()]) this.close(s, 1001);
  }
}
