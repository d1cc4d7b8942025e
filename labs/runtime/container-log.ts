/**
 * The log of one container instance, kept as the CRI log file keeps it: one entry per line with
 * the time it was read and its stream. What `kubectl logs` asks for (--tail, --since, --timestamps,
 * --limit-bytes, -f) is answered from here, in the order the kubelet applies them: tail first, then
 * since, then the byte limit over the formatted output.
 *
 * Memory is bounded: past `maxBytes` the oldest lines go, as log rotation would drop them.
 */
import type { StdStream } from './pod-runtime.ts';

export interface LogLine {
  /** Unix seconds and nanoseconds of the read. */
  sec: number;
  nsec: number;
  stream: StdStream;
  text: string;
  /** A piece of a line longer than the CRI's 16 KiB limit: printed without a newline. */
  partial?: boolean;
}

export interface LogReadOptions {
  tailLines?: number;
  /** Only lines at or after this time (ms since the epoch). */
  sinceTime?: number;
  timestamps?: boolean;
  limitBytes?: number;
}

export const DEFAULT_LOG_BYTES = 1024 * 1024;
const MAX_LINE = 16 * 1024;

const baseMs = Date.now();
const baseHr = process.hrtime.bigint();

/** Wall clock with nanosecond resolution, monotonic within the process. */
export function wallClock(): { sec: number; nsec: number } {
  const ns = BigInt(baseMs) * 1_000_000n + (process.hrtime.bigint() - baseHr);
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

/** RFC 3339 with nanoseconds and trailing zeros trimmed, as Go's time.RFC3339Nano prints. */
export function rfc3339Nano(sec: number, nsec: number): string {
  const base = new Date(sec * 1000).toISOString().slice(0, 19);
  if (!nsec) return `${base}Z`;
  return `${base}.${String(nsec).padStart(9, '0').replace(/0+$/, '')}Z`;
}

type Follower = (line: LogLine | null) => void;

export class ContainerLog {
  readonly containerId: string;
  private readonly maxBytes: number;
  private lines: LogLine[] = [];
  private head = 0;
  private bytes = 0;
  private readonly partial: Record<StdStream, Buffer | undefined> = { stdout: undefined, stderr: undefined };
  private readonly followers = new Set<Follower>();
  private ended = false;

  constructor(containerId: string, maxBytes = DEFAULT_LOG_BYTES) {
    this.containerId = containerId;
    this.maxBytes = maxBytes;
  }

  /** True once the instance has exited: followers end there. */
  get closed(): boolean {
    return this.ended;
  }

  append(stream: StdStream, chunk: Buffer): void {
    if (this.ended || !chunk.length) return;
    const t = wallClock();
    let buf = this.partial[stream] ? Buffer.concat([this.partial[stream]!, chunk]) : chunk;
    let nl = buf.indexOf(10);
    while (nl >= 0) {
      this.push({ ...t, stream, text: buf.subarray(0, nl).toString('utf8') });
      buf = buf.subarray(nl + 1);
      nl = buf.indexOf(10);
    }
    while (buf.length > MAX_LINE) {
      this.push({ ...t, stream, text: buf.subarray(0, MAX_LINE).toString('utf8'), partial: true });
      buf = buf.subarray(MAX_LINE);
    }
    this.partial[stream] = buf.length ? Buffer.from(buf) : undefined;
  }

  /** The instance exited: an unfinished last line becomes a line, followers finish. */
  close(): void {
    if (this.ended) return;
    const t = wallClock();
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.partial[stream];
      if (rest?.length) this.push({ ...t, stream, text: rest.toString('utf8') });
      this.partial[stream] = undefined;
    }
    this.ended = true;
    for (const f of this.followers) f(null);
    this.followers.clear();
  }

  private push(line: LogLine): void {
    this.lines.push(line);
    this.bytes += line.text.length + 40;
    while (this.bytes > this.maxBytes && this.head < this.lines.length - 1) {
      this.bytes -= this.lines[this.head].text.length + 40;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
    for (const f of this.followers) f(line);
  }

  /** Lines currently kept, oldest first. */
  entries(): LogLine[] {
    return this.lines.slice(this.head);
  }

  private select(opts: LogReadOptions): LogLine[] {
    let out = this.entries();
    if (opts.tailLines !== undefined) out = opts.tailLines <= 0 ? [] : out.slice(-opts.tailLines);
    if (opts.sinceTime !== undefined) {
      const since = opts.sinceTime;
      out = out.filter((l) => l.sec * 1000 + l.nsec / 1e6 >= since);
    }
    return out;
  }

  /** The answer to a non-follow request, formatted. */
  read(opts: LogReadOptions = {}): string {
    const w = new LimitedText(opts.limitBytes);
    const out: string[] = [];
    for (const l of this.select(opts)) {
      const { piece, more } = w.take(format(l, opts.timestamps));
      out.push(piece);
      if (!more) break;
    }
    return out.join('');
  }

  /**
   * `kubectl logs -f`: the selected lines, then every new line until the instance exits, the byte
   * limit is reached or `signal` aborts. `write` receives formatted text.
   */
  follow(opts: LogReadOptions, write: (text: string) => void, signal?: AbortSignal): Promise<void> {
    const limit = new LimitedText(opts.limitBytes);
    const emit = (l: LogLine): boolean => {
      const { piece, more } = limit.take(format(l, opts.timestamps));
      if (piece) write(piece);
      return more;
    };
    for (const l of this.select(opts)) {
      if (!emit(l)) return Promise.resolve();
    }
    if (this.ended || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const since = opts.sinceTime;
      const done = () => {
        this.followers.delete(follower);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const follower: Follower = (line) => {
        if (!line) return done();
        if (since !== undefined && line.sec * 1000 + line.nsec / 1e6 < since) return;
        if (!emit(line)) done();
      };
      this.followers.add(follower);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

function format(l: LogLine, timestamps?: boolean): string {
  const body = l.partial ? l.text : `${l.text}\n`;
  return timestamps ? `${rfc3339Nano(l.sec, l.nsec)} ${body}` : body;
}

/** Counts output against a byte limit, cutting the last piece as io.LimitedWriter would. */
class LimitedText {
  private readonly limit?: number;
  private used = 0;
  constructor(limit?: number) {
    this.limit = limit;
  }
  /** The part of `s` that fits, and whether more may follow. */
  take(s: string): { piece: string; more: boolean } {
    if (this.limit === undefined) return { piece: s, more: true };
    const room = this.limit - this.used;
    if (room <= 0) return { piece: '', more: false };
    const b = Buffer.from(s, 'utf8');
    const piece = b.length <= room ? s : b.subarray(0, room).toString('utf8');
    this.used += Math.min(b.length, room);
    return { piece, more: this.used < this.limit };
  }
}
