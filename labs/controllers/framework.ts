/**
 * The shape every controller shares, after client-go's informer + workqueue pattern: store changes
 * are mapped to keys, keys wait in a deduplicating queue, and one reconcile per key brings the world
 * in line with what the key's object asks for. A failed reconcile is retried with exponential
 * backoff; a reconcile may also ask to be woken again later (progress deadlines, minReadySeconds,
 * node heartbeats).
 *
 * The store is synchronous and in-process, so a reconcile reads the current state directly and
 * needs none of the "expectations" bookkeeping that real controllers use to survive stale caches.
 * Reconciles never run inside a store listener: the listener only queues, and a macrotask drains.
 */
import type { ControlPlaneCore } from '../controlplane/types.ts';
import { ApiError } from '../kube/errors.ts';
import type { KObject } from '../kube/object.ts';
import type { KindDefinition } from '../registry/strategy.ts';

export interface Change {
  def: KindDefinition;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KObject;
  old?: KObject;
}

export interface Controller {
  readonly name: string;
  /** Map a store change to keys (call queue.add); must not write to the store. */
  onChange(change: Change, queue: WorkQueue): void;
  /** Bring one key in line. Throwing retries the key with backoff. */
  reconcile(key: string, queue: WorkQueue): void;
  /** Keys to process at start and on every resync. */
  resyncKeys?(): Iterable<string>;
  /** Called once with the controller's own queue, for controllers woken from outside the store. */
  attach?(queue: WorkQueue): void;
  /** Release timers or other resources. */
  stop?(): void;
}

const BASE_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 30_000;

/** A deduplicating FIFO of keys with delayed adds and per-key failure backoff. */
export class WorkQueue {
  private readonly order: string[] = [];
  private readonly queued = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly wake: () => void;
  private stopped = false;

  constructor(wake: () => void) {
    this.wake = wake;
  }

  add(key: string): void {
    if (this.stopped || this.queued.has(key)) return;
    this.queued.add(key);
    this.order.push(key);
    this.wake();
  }

  /** Queue the key after `ms`; an earlier pending wake-up for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.delayed.set(key, { at, timer });
  }

  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** n));
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  pop(): string | undefined {
    const key = this.order.shift();
    if (key !== undefined) this.queued.delete(key);
    return key;
  }

  get length(): number {
    return this.order.length;
  }

  stop(): void {
    this.stopped = true;
    for (const d of this.delayed.values()) clearTimeout(d.timer);
    this.delayed.clear();
    this.order.length = 0;
    this.queued.clear();
  }
}

export interface ManagerOptions {
  /** Re-queue every controller's keys this often (ms); 0 disables. */
  resyncMs?: number;
  /** Where reconcile failures are reported once they repeat. */
  log?: (message: string) => void;
}

/** Runs controllers off one store subscription and one drain loop. */
export class ControllerManager {
  private readonly entries: { controller: Controller; queue: WorkQueue }[] = [];
  private readonly cp: ControlPlaneCore;
  private readonly opts: ManagerOptions;
  private scheduled = false;
  private stopped = false;
  private unsubscribe?: () => void;
  private resyncTimer?: NodeJS.Timeout;
  private waiters: (() => void)[] = [];

  constructor(cp: ControlPlaneCore, opts: ManagerOptions = {}) {
    this.cp = cp;
    this.opts = opts;
  }

  add(controller: Controller): WorkQueue {
    const queue = new WorkQueue(() => this.schedule());
    this.entries.push({ controller, queue });
    controller.attach?.(queue);
    return queue;
  }

  start(): void {
    this.unsubscribe = this.cp.store.onChange((change) => {
      if (this.stopped) return;
      for (const { controller, queue } of this.entries) {
        try {
          controller.onChange(change, queue);
        } catch (e) {
          this.report(`${controller.name}: handling a ${change.def.info.kind} change failed: ${describe(e)}`);
        }
      }
    });
    this.resync();
    if (this.opts.resyncMs) {
      this.resyncTimer = setInterval(() => this.resync(), this.opts.resyncMs);
      this.resyncTimer.unref();
    }
  }

  private resync(): void {
    for (const { controller, queue } of this.entries) {
      for (const key of controller.resyncKeys?.() ?? []) queue.add(key);
    }
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /** Round-robin over the controllers for a slice of time, then give I/O a turn. */
  private drain(): void {
    this.scheduled = false;
    if (this.stopped) return;
    const deadline = performance.now() + 25;
    let progressed = true;
    while (progressed && performance.now() < deadline) {
      progressed = false;
      for (const entry of this.entries) {
        const key = entry.queue.pop();
        if (key === undefined) continue;
        progressed = true;
        this.process(entry.controller, entry.queue, key);
      }
    }
    if (this.entries.some((e) => e.queue.length > 0)) this.schedule();
    else this.settle();
  }

  private process(controller: Controller, queue: WorkQueue, key: string): void {
    try {
      controller.reconcile(key, queue);
      queue.forget(key);
    } catch (e) {
      const failures = queue.failuresOf(key);
      // Conflicts and races with other writers are routine; only report what keeps failing.
      if (failures === 4) this.report(`${controller.name}: syncing ${key} keeps failing: ${describe(e)}`);
      queue.addRateLimited(key);
    }
  }

  private report(message: string): void {
    (this.opts.log ?? ((m: string) => console.error(m)))(message);
  }

  private settle(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once every queue is empty (delayed wake-ups do not count). */
  idle(): Promise<void> {
    if (this.stopped || (!this.scheduled && this.entries.every((e) => e.queue.length === 0))) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    for (const { controller, queue } of this.entries) {
      queue.stop();
      controller.stop?.();
    }
    this.settle();
  }
}

function describe(e: unknown): string {
  if (e instanceof ApiError) return `${e.reason}: ${e.message}`;
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

// ---------- helpers shared by controllers ----------

export function keyOf(obj: KObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: undefined, name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export function isApiError(e: unknown, reason: string): boolean {
  return e instanceof ApiError && e.reason === reason;
}

/** Resource lookups that tolerate kinds a lab (or a test) did not register. */
export function kindOf(cp: ControlPlaneCore, group: string, resource: string): KindDefinition | undefined {
  return cp.kinds.byResource(group, resource);
}

export function isKind(def: KindDefinition, group: string, resource: string): boolean {
  return def.info.group === group && def.info.resource === resource;
}
