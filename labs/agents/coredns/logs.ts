/**
 * What `kubectl logs -n kube-system coredns-...` shows. CoreDNS prints plain lines without
 * timestamps (kubectl adds them with --timestamps):
 *   .:53
 *   [INFO] plugin/reload: Running configuration SHA512 = <sha512 of the Corefile>
 *   CoreDNS-1.11.3
 *   linux/amd64, go1.21.11, a6338e9
 * With the `log` plugin, one line per query in its common format:
 *   [INFO] 10.244.1.5:38241 - 5 "A IN hostnames.default.svc.cluster.local. udp 53 false 512" NOERROR qr,aa,rd 106 0.000128s
 * and the `errors` plugin reports plugin failures:
 *   [ERROR] plugin/errors: 2 example.com. A: read udp 10.244.0.2:42314->10.0.2.3:53: i/o timeout
 */
import { createHash } from 'node:crypto';
import type { DnsHeader } from './message.ts';
import { className, rcodeName, typeName } from './message.ts';

export const COREDNS_VERSION = '1.11.3';
export const COREDNS_PLATFORM = 'linux/amd64';
export const COREDNS_GO_VERSION = 'go1.21.11';
export const COREDNS_COMMIT = 'a6338e9';

export function corefileSha512(corefile: string): string {
  return createHash('sha512').update(corefile).digest('hex');
}

export function startupLines(listen: string[], corefile: string): string[] {
  return [
    ...listen,
    `[INFO] plugin/reload: Running configuration SHA512 = ${corefileSha512(corefile)}`,
    `CoreDNS-${COREDNS_VERSION}`,
    `${COREDNS_PLATFORM}, ${COREDNS_GO_VERSION}, ${COREDNS_COMMIT}`,
  ];
}

export function reloadLines(corefile: string): string[] {
  return [
    '[INFO] Reloading',
    `[INFO] plugin/reload: Running configuration SHA512 = ${corefileSha512(corefile)}`,
    '[INFO] Reloading complete',
  ];
}

export function shutdownLines(lameduckSeconds = 5): string[] {
  return [
    '[INFO] SIGTERM: Shutting down servers then terminating',
    `[INFO] plugin/health: Going into lameduck mode for ${lameduckSeconds}s`,
  ];
}

/** Response flags as the log plugin prints them: qr,aa,tc,rd,ra,z,ad,cd - the ones set. */
export function flagsText(h: DnsHeader): string {
  const flags: [boolean, string][] = [
    [h.qr, 'qr'],
    [h.aa, 'aa'],
    [h.tc, 'tc'],
    [h.rd, 'rd'],
    [h.ra, 'ra'],
    [h.z, 'z'],
    [h.ad, 'ad'],
    [h.cd, 'cd'],
  ];
  return flags
    .filter(([on]) => on)
    .map(([, name]) => name)
    .join(',');
}

/** Go's strconv.FormatFloat(seconds, 'f', -1, 64) + "s". */
export function durationText(nanoseconds: bigint): string {
  const s = Number(nanoseconds) / 1e9;
  const text = s !== 0 && Math.abs(s) < 1e-6 ? s.toFixed(9).replace(/0+$/, '') : String(s);
  return `${text}s`;
}

/** Go prints IPv6 hosts in brackets, and IPv4-mapped IPv6 addresses as plain IPv4. */
export function hostPort(address: string, port: number): string {
  const plain = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  return plain.includes(':') ? `[${plain}]:${port}` : `${plain}:${port}`;
}

export interface QueryLogEntry {
  remoteAddress: string;
  remotePort: number;
  id: number;
  type: number;
  class: number;
  /** Lower-cased question name. */
  name: string;
  proto: 'udp' | 'tcp';
  requestSize: number;
  dnssecOk: boolean;
  bufsize: number;
  rcode: number;
  header: DnsHeader;
  responseSize: number;
  durationNs: bigint;
}

export function queryLogLine(e: QueryLogEntry): string {
  return (
    `[INFO] ${hostPort(e.remoteAddress, e.remotePort)} - ${e.id} ` +
    `"${typeName(e.type)} ${className(e.class)} ${e.name} ${e.proto} ${e.requestSize} ${e.dnssecOk} ${e.bufsize}" ` +
    `${rcodeName(e.rcode)} ${flagsText(e.header)} ${e.responseSize} ${durationText(e.durationNs)}`
  );
}

export function errorLogLine(rcode: number, name: string, type: number, message: string): string {
  return `[ERROR] plugin/errors: ${rcode} ${name} ${typeName(type)}: ${message}`;
}
