/**
 * core/v1 Events as client-go's legacy recorder writes them. A repeat of the same event (same
 * object, source, type, reason and message) is folded into the first one: count goes up and
 * lastTimestamp moves, which is what `kubectl describe` shows as `(x4 over 2m)`. Events live an
 * hour, as with the apiserver's default --event-ttl; expired ones are swept lazily on write.
 */
import type { EventSink, EventSource } from '../controlplane/types.ts';
import type { KObject } from '../kube/object.ts';
import { nowTimestamp } from '../kube/object.ts';
import type { ObjectStore } from '../store/store.ts';

export const EVENT_TTL_MS = 60 * 60 * 1000;
const SWEEP_EVERY_MS = 60 * 1000;

export interface EventRecorderOptions {
  ttlMs?: number;
}

interface Seen {
  namespace: string;
  name: string;
}

export class EventRecorder implements EventSink {
  private readonly store: ObjectStore;
  private readonly ttlMs: number;
  /** aggregation key -> the Event that carries its count */
  private readonly seen = new Map<string, Seen>();
  private lastSweep = 0;
  private lastNano = 0n;

  constructor(cp: { store: ObjectStore }, opts: EventRecorderOptions = {}) {
    this.store = cp.store;
    this.ttlMs = opts.ttlMs ?? EVENT_TTL_MS;
  }

  private get def() {
    return this.store.kinds.byResource('', 'events');
  }

  private now(): number {
    return this.store.ctx.now();
  }

  record(
    involved: KObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    source: EventSource,
    fieldPath?: string,
  ): void {
    const def = this.def;
    if (!def) return;
    const now = this.now();
    this.sweep(now);
    const meta = involved.metadata;
    // Cluster-scoped objects (nodes, namespaces) get their events in `default`, as client-go does.
    const namespace = meta.namespace || 'default';
    const key = [meta.uid, fieldPath ?? '', source.component, source.host ?? '', type, reason, message].join(
      '\u0000',
    );
    const stamp = nowTimestamp(now);
    const prior = this.seen.get(key);
    if (prior) {
      const existing = this.store.tryGet(def, prior.namespace, prior.name);
      if (existing) {
        existing.count = (existing.count ?? 1) + 1;
        existing.lastTimestamp = stamp;
        try {
          this.store.update(def, existing);
          return;
        } catch {
          // The namespace is going away or the event was removed meanwhile: write a fresh one.
        }
      }
      this.seen.delete(key);
    }
    const event: KObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${meta.name}.${this.nanoHex(now)}`, namespace },
      involvedObject: {
        kind: involved.kind,
        namespace: meta.namespace,
        name: meta.name,
        uid: meta.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: meta.resourceVersion,
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      source: { component: source.component, ...(source.host ? { host: source.host } : {}) },
      firstTimestamp: stamp,
      lastTimestamp: stamp,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    };
    if (!meta.namespace) delete event.involvedObject.namespace;
    try {
      const created = this.store.create(def, event);
      this.seen.set(key, { namespace, name: created.metadata.name! });
    } catch {
      // Events are best effort, as in client-go: a terminating namespace refuses them.
    }
  }

  /** `<name>.<unix nanos in hex>`: unique even when two events land in the same millisecond. */
  private nanoHex(now: number): string {
    let nano = BigInt(Math.floor(now)) * 1_000_000n;
    if (nano <= this.lastNano) nano = this.lastNano + 1n;
    this.lastNano = nano;
    return nano.toString(16);
  }

  /** Drop events older than the TTL; runs at most once a minute. */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    this.expire(now);
  }

  /** Delete every event whose last occurrence is older than the TTL. */
  expire(now = this.now()): number {
    const def = this.def;
    if (!def) return 0;
    const stale: { namespace: string; name: string }[] = [];
    for (const e of this.store.peek(def)) {
      const last = Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '');
      if (Number.isFinite(last) && now - last > this.ttlMs) {
        stale.push({ namespace: e.metadata.namespace!, name: e.metadata.name! });
      }
    }
    for (const s of stale) {
      try {
        this.store.delete(def, s.namespace, s.name);
      } catch {
        /* already gone */
      }
    }
    if (stale.length) {
      for (const [k, v] of this.seen)
        if (stale.some((s) => s.namespace === v.namespace && s.name === v.name)) this.seen.delete(k);
    }
    return stale.length;
  }
}
