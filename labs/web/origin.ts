/**
 * Who may drive labs: only pages this server served. A lab terminal is a root shell, so a
 * WebSocket (which browsers open cross-origin, cookies included) must come from our own origin,
 * and so must every request that changes something. The Host header is checked as well, so a
 * DNS-rebound name pointing at 127.0.0.1 does not count as "our origin".
 */
import type { IncomingMessage } from 'node:http';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The Host header names this machine's loopback (any port: the server may sit behind a port map). */
export function hostIsLocal(host: string | undefined, extraHosts: readonly string[] = []): boolean {
  if (!host) return false;
  const m = /^(\[[0-9a-f:.]+\]|[^:]+)(?::(\d+))?$/i.exec(host);
  if (!m) return false;
  const name = m[1].toLowerCase();
  return LOCAL_HOSTS.has(name) || extraHosts.includes(name);
}

/**
 * Whether the request's Origin is this server as the browser addressed it. `required`: a missing
 * Origin is refused too (WebSockets always carry one from a browser; other clients must send it).
 */
export function sameOrigin(
  req: IncomingMessage,
  required: boolean,
  extraHosts: readonly string[] = [],
): boolean {
  const host = req.headers.host;
  if (!hostIsLocal(host, extraHosts)) return false;
  const origin = req.headers.origin;
  if (origin === undefined) return !required;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return url.protocol === 'http:' && url.host === host;
}
