/**
 * Where a kube-proxy agent gets Services and EndpointSlices: a snapshot on demand plus a change
 * signal (the agent re-reads the whole snapshot on every sync, like kube-proxy's informer caches).
 * The control plane adapts its store to this; MemoryServiceSource is the plain in-memory form.
 */
import type { EndpointSliceObject, ServiceObject } from './model.ts';

export interface ServiceSnapshot {
  services: ServiceObject[];
  endpointSlices: EndpointSliceObject[];
}

export interface ServiceSource {
  list(): ServiceSnapshot | Promise<ServiceSnapshot>;
  /** Call onChange after any Service or EndpointSlice change; returns an unsubscribe function. */
  subscribe(onChange: () => void): () => void;
}

export class MemoryServiceSource implements ServiceSource {
  #snapshot: ServiceSnapshot;
  readonly #listeners = new Set<() => void>();

  constructor(snapshot: Partial<ServiceSnapshot> = {}) {
    this.#snapshot = { services: snapshot.services ?? [], endpointSlices: snapshot.endpointSlices ?? [] };
  }

  list(): ServiceSnapshot {
    return { services: [...this.#snapshot.services], endpointSlices: [...this.#snapshot.endpointSlices] };
  }

  subscribe(onChange: () => void): () => void {
    this.#listeners.add(onChange);
    return () => this.#listeners.delete(onChange);
  }

  /** Replace the snapshot (either half) and notify subscribers. */
  set(snapshot: Partial<ServiceSnapshot>): void {
    this.#snapshot = {
      services: snapshot.services ?? this.#snapshot.services,
      endpointSlices: snapshot.endpointSlices ?? this.#snapshot.endpointSlices,
    };
    for (const listener of this.#listeners) listener();
  }
}
