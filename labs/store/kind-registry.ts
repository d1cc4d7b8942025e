/**
 * The kinds a control plane serves, registered by name. Built-in kinds register at start-up;
 * CustomResourceDefinitions add theirs at run time, and discovery reflects both.
 */
import { parseApiVersion } from '../kube/object.ts';
import type { KindDefinition } from '../registry/strategy.ts';

export class KindRegistry {
  private readonly defs: KindDefinition[] = [];
  private generation = 0;

  register(def: KindDefinition): void {
    const clash = this.defs.find(
      (d) =>
        d.info.group === def.info.group &&
        d.info.resource === def.info.resource &&
        d.info.version === def.info.version,
    );
    if (clash)
      throw new Error(
        `resource ${def.info.resource}.${def.info.group} ${def.info.version} is already registered`,
      );
    this.defs.push(def);
    this.generation++;
  }

  unregister(group: string, resource: string): void {
    const before = this.defs.length;
    for (let i = this.defs.length - 1; i >= 0; i--) {
      if (this.defs[i].info.group === group && this.defs[i].info.resource === resource)
        this.defs.splice(i, 1);
    }
    if (this.defs.length !== before) this.generation++;
  }

  /** Changes whenever the set of kinds changes: discovery and OpenAPI hashes are derived from it. */
  get version(): number {
    return this.generation;
  }

  all(): readonly KindDefinition[] {
    return this.defs;
  }

  byResource(group: string, resource: string, version?: string): KindDefinition | undefined {
    return this.defs.find(
      (d) =>
        d.info.group === group && d.info.resource === resource && (!version || d.info.version === version),
    );
  }

  byKind(group: string, kind: string, version?: string): KindDefinition | undefined {
    return this.defs.find(
      (d) => d.info.group === group && d.info.kind === kind && (!version || d.info.version === version),
    );
  }

  byApiVersionKind(apiVersion: string, kind: string): KindDefinition | undefined {
    const { group, version } = parseApiVersion(apiVersion);
    return this.byKind(group, kind, version);
  }

  /** group -> versions served, core group first, for /api and /apis. */
  groups(): { group: string; versions: string[] }[] {
    const map = new Map<string, Set<string>>();
    for (const d of this.defs) {
      if (!map.has(d.info.group)) map.set(d.info.group, new Set());
      map.get(d.info.group)!.add(d.info.version);
    }
    return [...map.entries()].map(([group, versions]) => ({ group, versions: [...versions] }));
  }

  inGroupVersion(group: string, version: string): KindDefinition[] {
    return this.defs.filter((d) => d.info.group === group && d.info.version === version);
  }
}
