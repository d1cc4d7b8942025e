/**
 * klog's text format, as `kubectl logs` shows a Kubernetes component:
 *   I1122 19:14:05.123456       1 proxier.go:805] "Syncing iptables rules" ipFamily="IPv4" fullSync=true
 * Severity letter, month+day, UTC time with microseconds, the thread id right-aligned in 7 columns
 * (1: the process is PID 1 in its container), source file:line, then the message and key=value pairs.
 * Structured messages are quoted; old-style printf messages (some client-go lines) are not.
 */

export type Severity = 'I' | 'W' | 'E';

export type LogValue =
  | string
  | number
  | boolean
  | readonly string[]
  | null
  | undefined
  | { durationMs: number };

export interface KlogLine {
  severity: Severity;
  source: string;
  message: string;
  /** Structured (InfoS) messages are quoted; printf-style ones are not. */
  structured?: boolean;
  values?: [string, LogValue][];
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Go's time.Duration String() for durations under a minute. */
export function goDuration(ms: number): string {
  const ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  const trim = (value: number, digits: number) => value.toFixed(digits).replace(/\.?0+$/, '');
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3, 3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6, 6)}ms`;
  return `${trim(ns / 1e9, 9)}s`;
}

function formatValue(value: LogValue): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(',')}]`;
  return JSON.stringify(goDuration((value as { durationMs: number }).durationMs));
}

/** Microseconds since the epoch, from the high-resolution clock (klog prints microseconds). */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

export function formatKlog(line: KlogLine, epochMicros: number, threadId = 1): string {
  const when = new Date(Math.floor(epochMicros / 1000));
  const header =
    `${line.severity}${pad(when.getUTCMonth() + 1, 2)}${pad(when.getUTCDate(), 2)} ` +
    `${pad(when.getUTCHours(), 2)}:${pad(when.getUTCMinutes(), 2)}:${pad(when.getUTCSeconds(), 2)}.` +
    `${pad(epochMicros % 1_000_000, 6)} ` +
    `${String(threadId).padStart(7, ' ')} ${line.source}] `;
  const message = line.structured === false ? line.message : JSON.stringify(line.message);
  const kvs = (line.values ?? []).map(([k, v]) => ` ${k}=${formatValue(v)}`).join('');
  return header + message + kvs;
}
