/**
 * flanneld logs through klog with printf-style messages (never klog's structured form), so a line
 * reads exactly as `kubectl logs` shows it on a real node:
 *   I1122 19:14:05.123456       1 main.go:211] CLI flags config: {...}
 * Severity letter, month+day, UTC time with microseconds, thread id right-aligned in 7 columns
 * (1: flanneld is PID 1 in its container), source file:line, message.
 */

export type Severity = 'I' | 'W' | 'E';

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Microseconds since the epoch from the high-resolution clock. */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

export function klogLine(
  severity: Severity,
  source: string,
  message: string,
  epochMicros: number,
  threadId = 1,
): string {
  const when = new Date(Math.floor(epochMicros / 1000));
  return (
    `${severity}${pad(when.getUTCMonth() + 1, 2)}${pad(when.getUTCDate(), 2)} ` +
    `${pad(when.getUTCHours(), 2)}:${pad(when.getUTCMinutes(), 2)}:${pad(when.getUTCSeconds(), 2)}.` +
    `${pad(epochMicros % 1_000_000, 6)} ${String(threadId).padStart(7, ' ')} ${source}] ${message}`
  );
}
