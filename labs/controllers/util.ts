/** Small helpers shared by the workload controllers: template hashes, int-or-percent, conditions. */
import { type KObject, nowTimestamp } from '../kube/object.ts';

/** JSON with object keys sorted, so equal objects always serialise the same way. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: every character mapped into an alphabet without vowels or look-alikes. */
export function safeEncode(s: string): string {
  let out = '';
  for (const ch of s) out += SAFE_ALPHABET[ch.codePointAt(0)! % SAFE_ALPHABET.length];
  return out;
}

function fnv32a(data: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (const byte of Buffer.from(data, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * controller.ComputeHash: FNV-32a of the pod template (plus the collision count), printed in
 * decimal and safe-encoded. The real one hashes Go's struct dump; this one hashes canonical JSON,
 * so values differ from a real cluster's but have the same shape and stability.
 */
export function computeTemplateHash(template: unknown, collisionCount?: number): string {
  let data = canonicalJson(template ?? {});
  if (collisionCount) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(collisionCount >>> 0);
    data += b.toString('latin1');
  }
  return safeEncode(String(fnv32a(data)));
}

/** intstr.GetScaledValueFromIntOrPercent */
export function scaledValue(
  value: number | string | undefined,
  total: number,
  roundUp: boolean,
  fallback: string,
): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    const n = Number(v);
    return Number.isFinite(n) ? n : 0;
  }
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  [extra: string]: unknown;
}

export function getCondition(status: any, type: string): Condition | undefined {
  return (status?.conditions ?? []).find((c: Condition) => c.type === type);
}

/**
 * Set a condition the way the workload controllers do: an identical status+reason is left alone;
 * an unchanged status keeps its lastTransitionTime.
 */
export function setCondition(status: any, cond: Condition): void {
  const conditions: Condition[] = status.conditions ?? [];
  const current = conditions.find((c) => c.type === cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  if (current && current.status === cond.status) cond.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...conditions.filter((c) => c.type !== cond.type), cond];
}

export function removeCondition(status: any, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c: Condition) => c.type !== type);
}

export function stamp(now: number): string {
  return nowTimestamp(now);
}

export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

export function labelsOf(obj: KObject): Record<string, string> {
  return obj.metadata.labels ?? {};
}
