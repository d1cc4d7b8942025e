/**
 * The CoreDNS `cache` plugin as kubeadm configures it (`cache 30`): answers are kept for their
 * smallest TTL clamped to [min, max] (5..30 s here), every record of a reply - fresh or cached -
 * carries that remaining TTL, and SERVFAIL is remembered for 5 s. A learner therefore sees TTLs
 * count down in `dig`, and a name looked up just before its Service existed stays NXDOMAIN until
 * the negative entry expires, as on a kubeadm 1.32 cluster.
 */
import type { CacheSettings } from './corefile.ts';
import { canonicalName, isSubdomain, type Question, RCODE, type ResourceRecord, TYPE } from './message.ts';

/** The parts of a reply the cache keeps. */
export interface CachedReply {
  rcode: number;
  authoritative: boolean;
  recursionAvailable: boolean;
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

type Kind = 'success' | 'denial' | 'servfail' | 'other';

interface Item {
  reply: CachedReply;
  storedMs: number;
  ttl: number;
}

const MINIMAL_DEFAULT_TTL = 5;
const MAXIMUM_DEFAULT_TTL = 3600;

function classify(reply: CachedReply): Kind {
  // NOERROR without answers is NODATA, cached with the denials.
  if (reply.rcode === RCODE.NOERROR) return reply.answers.length > 0 ? 'success' : 'denial';
  if (reply.rcode === RCODE.NXDOMAIN) return 'denial';
  if (reply.rcode === RCODE.SERVFAIL || reply.rcode === RCODE.NOTIMP) return 'servfail';
  return 'other';
}

function minimalTtl(reply: CachedReply, kind: Kind): number {
  if (kind === 'servfail' || kind === 'other') return MINIMAL_DEFAULT_TTL;
  const all = [...reply.answers, ...reply.authority, ...reply.additional];
  if (all.length === 0) return MINIMAL_DEFAULT_TTL;
  return Math.min(MAXIMUM_DEFAULT_TTL, ...all.map((r) => r.ttl));
}

function withTtl(records: ResourceRecord[], ttl: number): ResourceRecord[] {
  return records.map((r) => ({ ...r, ttl }));
}

export class ResponseCache {
  readonly settings: CacheSettings;
  readonly #now: () => number;
  readonly #positive = new Map<string, Item>();
  readonly #negative = new Map<string, Item>();

  constructor(settings: CacheSettings, now: () => number = Date.now) {
    this.settings = settings;
    this.#now = now;
  }

  /** Whether the cache sits in front of this name at all (its zones). */
  covers(name: string): boolean {
    return this.settings.zones.some((z) => isSubdomain(name, z));
  }

  #key(q: Question, dnssecOk: boolean, checkingDisabled: boolean): string {
    return `${canonicalName(q.name)}|${q.type}|${dnssecOk ? 1 : 0}|${checkingDisabled ? 1 : 0}`;
  }

  /** A cached reply with its TTLs counted down, or undefined on a miss. */
  get(q: Question, dnssecOk = false, checkingDisabled = false): CachedReply | undefined {
    const k = this.#key(q, dnssecOk, checkingDisabled);
    const now = this.#now();
    for (const map of [this.#positive, this.#negative]) {
      const item = map.get(k);
      if (!item) continue;
      const left = item.ttl - Math.floor((now - item.storedMs) / 1000);
      if (left <= 0) {
        map.delete(k);
        continue;
      }
      const r = item.reply;
      return {
        rcode: r.rcode,
        // CoreDNS marks cached replies authoritative so clients that drop non-authoritative ones keep working.
        authoritative: true,
        recursionAvailable: r.recursionAvailable,
        answers: withTtl(r.answers, left),
        authority: withTtl(r.authority, left),
        additional: withTtl(r.additional, left),
      };
    }
    return undefined;
  }

  /**
   * Remember a fresh reply (when its kind and zone are cached) and return it with every TTL set to
   * the cache duration, as CoreDNS rewrites the reply it passes on.
   */
  store(q: Question, reply: CachedReply, dnssecOk = false, checkingDisabled = false): CachedReply {
    const kind = classify(reply);
    const s = this.settings;
    const clamp = (ttl: number, min: number, max: number) => Math.min(Math.max(ttl, min), max);
    const msgTtl = minimalTtl(reply, kind);
    let duration: number;
    if (kind === 'denial') duration = clamp(msgTtl, s.denialMinTtl, s.denialMaxTtl);
    else if (kind === 'servfail') duration = s.servfailTtl;
    else duration = clamp(msgTtl, s.successMinTtl, s.successMaxTtl);

    const cacheable = kind !== 'other' && q.type !== TYPE.AXFR && q.type !== TYPE.IXFR && duration > 0;
    if (cacheable) {
      const disabled = kind === 'success' ? s.disableSuccess : s.disableDenial;
      if (!disabled.some((z) => isSubdomain(q.name, z))) {
        const map = kind === 'success' ? this.#positive : this.#negative;
        const capacity = kind === 'success' ? s.successCapacity : s.denialCapacity;
        const k = this.#key(q, dnssecOk, checkingDisabled);
        map.delete(k);
        if (map.size >= capacity) {
          const oldest = map.keys().next();
          if (!oldest.done) map.delete(oldest.value);
        }
        map.set(k, { reply, storedMs: this.#now(), ttl: Math.floor(duration) });
      }
    }
    const ttl = Math.floor(duration);
    return {
      ...reply,
      answers: withTtl(reply.answers, ttl),
      authority: withTtl(reply.authority, ttl),
      additional: withTtl(reply.additional, ttl),
    };
  }

  clear(): void {
    this.#positive.clear();
    this.#negative.clear();
  }
}
