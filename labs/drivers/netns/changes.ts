/**
 * One store listener per lab, fanned out to everything in the driver that follows the cluster
 * (agents' informers, readiness waits, the mirror-pod keeper). The store copies each changed
 * object for every listener it calls, so one listener instead of one per subscriber keeps a busy
 * build from spending its time copying objects nobody changes.
 */
import type { ControlPlane } from '../../controlplane/controlplane.ts';
import type { ChangeListener } from '../../store/store.ts';

export type Change = Parameters<ChangeListener>[0];

export interface Kind {
  group: string;
  resource: string;
}

interface Subscriber {
  kinds?: Kind[];
  fn: (change: Change) => void;
}

export class ChangeHub {
  readonly #subs = new Set<Subscriber>();
  readonly #off: () => void;

  constructor(cp: ControlPlane) {
    this.#off = cp.store.onChange((change) => {
      const info = change.def.info;
      for (const s of this.#subs) {
        if (s.kinds && !s.kinds.some((k) => k.group === info.group && k.resource === info.resource)) continue;
        try {
          s.fn(change);
        } catch (e) {
          console.error('netns driver: change subscriber failed:', e);
        }
      }
    });
  }

  /** Every change of the given kinds (all kinds when omitted), as the store reports it. Read only. */
  on(kinds: Kind[] | undefined, fn: (change: Change) => void): () => void {
    const sub: Subscriber = { kinds, fn };
    this.#subs.add(sub);
    return () => this.#subs.delete(sub);
  }

  /**
   * `fn` once after a burst of changes of these kinds, when the store's listeners have all run
   * (never inside a listener: others have not seen the change yet).
   */
  onSettled(kinds: Kind[] | undefined, fn: () => void): () => void {
    let queued = false;
    return this.on(kinds, () => {
      if (queued) return;
      queued = true;
      queueMicrotask(() => {
        queued = false;
        fn();
      });
    });
  }

  close(): void {
    this.#subs.clear();
    this.#off();
  }
}
