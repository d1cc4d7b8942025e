/** The daemon's log: one line per event, appended to `<state>/daemon.log`. */
import { appendFileSync } from 'node:fs';

export interface Logger {
  info(message: string): void;
  error(message: string, e?: unknown): void;
}

export function fileLogger(file: string): Logger {
  const write = (level: string, message: string) => {
    try {
      appendFileSync(file, `${new Date().toISOString()} ${level} ${message}\n`, { mode: 0o600 });
    } catch {
      /* a log that cannot be written must not take the daemon down */
    }
  };
  return {
    info: (message) => write('info ', message),
    error: (message, e) =>
      write(
        'error',
        e === undefined ? message : `${message}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      ),
  };
}
