/**
 * client-go's flowcontrol.Backoff as the kubelet uses it for CrashLoopBackOff and image pulls:
 * per key, the delay starts at `initial`, doubles on every further failure up to `max`, and is
 * forgotten when nothing happened for twice `max`.
 */

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(initialMs: number, maxMs: number, now: () => number = Date.now) {
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.now = now;
  }

  private expired(eventTime: number, e: Entry): boolean {
    return eventTime - e.lastUpdate > this.maxMs * 2;
  }

  /** Current delay for key (0 when none). */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** Record a failure at eventTime: start or double the delay. */
  next(key: string, eventTime: number): void {
    const e = this.entries.get(key);
    if (!e || this.expired(eventTime, e)) {
      this.entries.set(key, { backoffMs: this.initialMs, lastUpdate: this.now() });
      return;
    }
    e.backoffMs = Math.min(e.backoffMs * 2, this.maxMs);
    e.lastUpdate = this.now();
  }

  /** Still waiting, counting from eventTime (a container's finish time)? */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(eventTime, e)) return false;
    return this.now() - eventTime < e.backoffMs;
  }

  /** Still waiting, counting from the last recorded failure? (image pulls) */
  isInBackOffSinceUpdate(key: string): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(this.now(), e)) return false;
    return this.now() - e.lastUpdate < e.backoffMs;
  }

  /** Milliseconds left of the back-off counted from the last recorded failure. */
  remainingSinceUpdate(key: string): number {
    const e = this.entries.get(key);
    return e ? Math.max(0, e.lastUpdate + e.backoffMs - this.now()) : 0;
  }

  /** When the back-off that started at eventTime ends (ms since epoch). */
  until(key: string, eventTime: number): number {
    return eventTime + this.get(key);
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Drop keys by prefix (a pod went away). */
  forgetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}

/** Go's time.Duration.String() for a number of milliseconds: `10s`, `1m20s`, `5m0s`, `500ms`. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${trim(ms.toFixed(3))}ms`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const sec = `${trim(s.toFixed(3))}s`;
  if (h) return `${h}h${m}m${sec}`;
  if (m) return `${m}m${sec}`;
  return sec;
}

function trim(n: string): string {
  return n.includes('.') ? n.replace(/0+$/, '').replace(/\.$/, '') : n;
}
