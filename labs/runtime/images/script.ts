/**
 * Building blocks for the busybox sh scripts that stand in for an image's own programs. A script
 * prints what the real program prints at start, then idles; on its stop signal it prints the
 * program's goodbye and exits with the program's exit code. One shell plus one sleeping child.
 */

/** Single-quote for sh. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Apache error-log time: `Mon Jan 15 10:00:00.123456 2024` (UTC, as in a container). */
export function apacheErrorTime(d: Date, micros = d.getUTCMilliseconds() * 1000): string {
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(micros, 6)} ${d.getUTCFullYear()}`;
}

/** Common-log-format time: `15/Jan/2024:10:00:00 +0000`. */
export function clfTime(d: Date): string {
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** Go's log package / nginx error-log time: `2024/01/15 10:00:00`. */
export function goLogTime(d: Date): string {
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** sh snippet printing the current UTC time in Go log format. */
export const SH_GO_TIME = '$($BB date -u "+%Y/%m/%d %H:%M:%S")';
/** sh snippet printing the current UTC time as Apache's error log does (microseconds made up). */
export const SH_APACHE_TIME =
  '$($BB date -u "+%a %b %d %H:%M:%S").$($BB printf %06d $((RANDOM * 30 % 1000000))) $($BB date -u +%Y)';

export interface IdleScript {
  busybox: string;
  /** Lines printed at start: [stream, text]. */
  startup?: ['stdout' | 'stderr', string][];
  /** Signals the program handles, with what it prints (sh text, may use $BB) and its exit code. */
  onSignal?: {
    signals: string[];
    print?: ['stdout' | 'stderr', string][];
    exitCode: number;
    thenSleep?: number;
  }[];
}

function printLines(lines: ['stdout' | 'stderr', string][]): string {
  return lines.map(([stream, text]) => `echo "${text}"${stream === 'stderr' ? ' >&2' : ''}`).join('; ');
}

/** Escape text for use inside sh double quotes (no expansion intended). */
export function dq(text: string): string {
  return text.replace(/[\\"$`]/g, (c) => `\\${c}`);
}

/**
 * A program that prints its start-up lines and then waits for a signal. `sleep` runs as a child
 * so that the trap fires at once; the runtime reaps the child with the rest of the container.
 */
export function idleScript(s: IdleScript): string {
  const parts = [`BB=${shq(s.busybox)}`];
  for (const h of s.onSignal ?? []) {
    const body = [
      h.print?.length ? printLines(h.print) : '',
      h.thenSleep ? `$BB sleep ${h.thenSleep}` : '',
      `exit ${h.exitCode}`,
    ]
      .filter(Boolean)
      .join('; ');
    parts.push(`trap ${shq(body)} ${h.signals.join(' ')}`);
  }
  if (s.startup?.length) parts.push(printLines(s.startup));
  parts.push('while :; do $BB sleep 2147483647 & wait $!; done');
  return parts.join('\n');
}
