/**
 * The JSON forms of the Kubernetes wrapper messages: metav1.Time / MicroTime ({seconds, nanos}),
 * written as RFC 3339 in UTC with second (Time) or microsecond (MicroTime) precision.
 */
import { ProtobufError } from './wire.ts';

/** Seconds of Go's zero time.Time (0001-01-01T00:00:00Z), which JSON writes as null. */
export const GO_ZERO_TIME_SECONDS = -62135596800n;

const MAX_SECONDS = 253402300799n; // 9999-12-31T23:59:59Z, the last instant RFC 3339 can write

export function formatTime(seconds: bigint, nanos: number, micro: boolean): string | null {
  if (seconds === GO_ZERO_TIME_SECONDS && nanos === 0) return null;
  if (seconds < GO_ZERO_TIME_SECONDS || seconds > MAX_SECONDS || nanos < 0 || nanos > 999_999_999) {
    throw new ProtobufError(`timestamp ${seconds}s ${nanos}ns is outside the years 0001-9999`);
  }
  const iso = new Date(Number(seconds) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  const base = iso.slice(0, 19);
  return micro ? `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${base}Z`;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Parses an RFC 3339 timestamp into Unix seconds and nanoseconds; throws on anything else. */
export function parseTime(text: string): { seconds: bigint; nanos: number } {
  const m = RFC3339.exec(text);
  if (!m) throw new Error(`"${text}" is not an RFC 3339 timestamp`);
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms) || Number(y) < 1) throw new Error(`"${text}" is not a valid date`);
  // Date.UTC maps years 0-99 to 1900-1999; correct for the rare year < 100.
  const date = new Date(ms);
  if (Number(y) < 100) date.setUTCFullYear(Number(y));
  let seconds = BigInt(Math.floor(date.getTime() / 1000));
  if (sign) seconds -= BigInt((sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60));
  const nanos = frac ? Number(frac.padEnd(9, '0')) : 0;
  return { seconds, nanos };
}
