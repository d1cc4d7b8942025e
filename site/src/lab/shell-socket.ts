/**
 * One terminal's WebSocket to the web server (labs/web/terminals.ts), reconnecting after a network
 * blip with a growing delay. The server keeps the shell for a while after a drop, so a reconnect
 * with the same terminal id finds the same shell and its recent output.
 */

export type SocketStatus = 'connecting' | 'open' | 'reconnecting' | 'exited' | 'taken-over' | 'refused';

export interface ShellSocketOptions {
  url: () => string;
  onOutput: (data: Uint8Array) => void;
  onStatus: (status: SocketStatus, detail?: string) => void;
  /** The server joined us to a shell; `resumed` when it was already running (its output is replayed). */
  onAttached?: (resumed: boolean) => void;
}

const MAX_DELAY_MS = 8000;

export class ShellSocket {
  private ws: WebSocket | undefined;
  private readonly opts: ShellSocketOptions;
  private delay = 250;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private pending: (string | Uint8Array)[] = [];
  status: SocketStatus = 'connecting';

  constructor(opts: ShellSocketOptions) {
    this.opts = opts;
    this.connect();
    // Coming back online is the moment to try again, not after the back-off.
    window.addEventListener('online', this.onOnline);
  }

  private readonly onOnline = () => {
    if (this.status === 'reconnecting') {
      clearTimeout(this.timer);
      this.connect();
    }
  };

  private setStatus(s: SocketStatus, detail?: string): void {
    this.status = s;
    this.opts.onStatus(s, detail);
  }

  connect(): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    const ws = new WebSocket(this.opts.url());
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    if (this.status !== 'reconnecting') this.setStatus('connecting');
    let errorMessage: string | undefined;
    ws.onopen = () => {
      this.delay = 250;
      this.setStatus('open');
      for (const m of this.pending.splice(0)) ws.send(m);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') {
        this.opts.onOutput(new Uint8Array(ev.data as ArrayBuffer));
        return;
      }
      let msg: { type?: string; resumed?: boolean; message?: string; code?: number };
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (msg.type === 'attached') this.opts.onAttached?.(!!msg.resumed);
      else if (msg.type === 'exit') this.setStatus('exited', String(msg.code ?? ''));
      else if (msg.type === 'error') errorMessage = msg.message;
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws || this.disposed) return;
      if (this.status === 'exited') return;
      if (ev.code === 4000) {
        this.setStatus('taken-over');
        return;
      }
      if (ev.code === 4404 || ev.code === 1008) {
        this.setStatus('refused', errorMessage ?? ev.reason);
        return;
      }
      if (ev.code === 1000 && !errorMessage) {
        this.setStatus('exited');
        return;
      }
      this.setStatus('reconnecting', errorMessage);
      this.timer = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
    };
  }

  /** Keystrokes; kept until the socket is open again. */
  send(data: string): void {
    const bytes = new TextEncoder().encode(data);
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(bytes);
    else this.pending.push(bytes);
  }

  resize(cols: number, rows: number): void {
    const msg = JSON.stringify({ type: 'resize', cols, rows });
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(msg);
  }

  /** Drop the connection as a network failure would (tests, and the "reconnect" button). */
  drop(): void {
    this.ws?.close(4001, 'dropped');
    // close() with our own code reaches onclose as 4001: treated as a blip.
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    window.removeEventListener('online', this.onOnline);
    this.ws?.close(1000);
  }
}
