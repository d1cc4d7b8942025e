/**
 * Go's fmt output for the few values flanneld prints with %v / %#v, so its log lines carry the same
 * text as on a real node: node annotation maps (`map[string]string{"k":"v", ...}`, keys sorted as
 * fmt sorts them) and lease events (`lease.Event{Type:0, Lease:lease.Lease{...}}`, with addresses as
 * the hex integers flannel's ip.IP4 type is).
 */
import { ipToInt, parseCidr } from '../../kube/ipnet.ts';

/** strconv.Quote for the strings found in annotations: JSON escaping with Go's \x form for control bytes. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
}

/** %#v of a map[string]string. */
export function goStringMap(m: Readonly<Record<string, string>>): string {
  const keys = Object.keys(m).sort();
  return `map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(m[k]!)}`).join(', ')}}`;
}

/** %#v of an unsigned integer: 0x-prefixed lowercase hex without padding. */
export function goHex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** %#v of a json.RawMessage holding `text` (undefined: a nil slice). */
export function goRawMessage(text: string | undefined): string {
  if (text === undefined) return 'json.RawMessage(nil)';
  const bytes = [...Buffer.from(text, 'utf8')].map(goHex);
  return `json.RawMessage{${bytes.join(', ')}}`;
}

/** %v of a Go slice of strings: `[a b]`. */
export function goSlice(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

export interface LeaseText {
  /** The node's pod subnet, e.g. 10.244.2.0/24. */
  subnet: string;
  publicIP: string;
  backendType: string;
  /** The backend-data annotation as stored (undefined when absent). */
  backendData: string | undefined;
}

/** %#v of the lease.Event flannel's subnet watcher logs as `Batch elem [0] is { ... }`. */
export function goLeaseEvent(type: 'added' | 'removed', lease: LeaseText): string {
  const sn = parseCidr(lease.subnet);
  return (
    `lease.Event{Type:${type === 'added' ? 0 : 1}, Lease:lease.Lease{EnableIPv4:true, EnableIPv6:false, ` +
    `Subnet:ip.IP4Net{IP:${goHex(sn.base)}, PrefixLen:${goHex(sn.bits)}}, ` +
    'IPv6Subnet:ip.IP6Net{IP:(*ip.IP6)(nil), PrefixLen:0x0}, ' +
    `Attrs:lease.LeaseAttrs{PublicIP:${goHex(ipToInt(lease.publicIP))}, PublicIPv6:(*ip.IP6)(nil), ` +
    `BackendType:${goQuote(lease.backendType)}, BackendData:${goRawMessage(lease.backendData ?? '')}, ` +
    'BackendV6Data:json.RawMessage(nil)}, ' +
    'Expiration:time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC), Asof:0}}'
  );
}

/** LeaseAttrs.String(), as in `Received Subnet Event with VxLan: ...`. */
export function goLeaseAttrs(lease: LeaseText): string {
  return (
    `BackendType: ${lease.backendType}, PublicIP: ${lease.publicIP}, PublicIPv6: (nil), ` +
    `BackendData: ${lease.backendData ?? ''}, BackendV6Data: (nil)`
  );
}
