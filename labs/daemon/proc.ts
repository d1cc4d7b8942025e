/** A process named by pid and start time, so a recycled pid is never mistaken for the one we knew. */
import { readFileSync } from 'node:fs';

export interface ProcessRef {
  pid: number;
  start: string;
}

/** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat), undefined if gone. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie has exited; it only waits for its parent.
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

export function selfRef(): ProcessRef {
  return { pid: process.pid, start: startTime(process.pid) ?? '' };
}

export function isAlive(ref: ProcessRef | undefined): boolean {
  if (!ref || !Number.isInteger(ref.pid) || ref.pid <= 0) return false;
  const start = startTime(ref.pid);
  return start !== undefined && start === ref.start;
}
