/**
 * Drivers by name. A driver module calls `registerDriver` when it is imported; the built-in ones
 * live at `labs/drivers/<name>/index.ts` and are imported on first use, so adding a driver is adding
 * that folder. A driver whose module fails to load does not take the others down: asking for it
 * gives the load error.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LabDriver } from './lab-driver.ts';

export type DriverFactory = () => LabDriver | Promise<LabDriver>;

export interface DriverRegistration {
  name: string;
  /** Kept out of help text and the catalogue (development drivers). */
  hidden: boolean;
  factory: DriverFactory;
}

/** The drivers svc-labs ships, in the order help text lists them. */
const BUILTIN = ['netns', 'kind', 'process'] as const;

const registrations = new Map<string, DriverRegistration>();
const instances = new Map<string, Promise<LabDriver>>();
const loadErrors = new Map<string, Error>();
let loading: Promise<void> | undefined;

export class UnknownDriverError extends Error {
  override readonly name = 'UnknownDriverError';
  /** Every registered driver, hidden ones included. */
  readonly supported: string[];
  constructor(requested: string, visible: string[], hidden: string[]) {
    const listed = [...visible, ...hidden.map((h) => `${h} (development)`)];
    const what = (BUILTIN as readonly string[]).includes(requested)
      ? `the ${requested} driver is not part of this build`
      : `unknown driver "${requested}"`;
    super(listed.length ? `${what}; supported: ${listed.join(', ')}` : `${what}; no driver is installed`);
    this.supported = [...visible, ...hidden];
  }
}

export function registerDriver(name: string, factory: DriverFactory, opts: { hidden?: boolean } = {}): void {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`invalid driver name "${name}"`);
  if (registrations.has(name)) throw new Error(`driver "${name}" is already registered`);
  registrations.set(name, { name, factory, hidden: !!opts.hidden });
}

function builtinModule(name: string): URL {
  return new URL(`./${name}/index.ts`, import.meta.url);
}

/**
 * Whether a driver of this name is registered or shipped, without importing any driver (which
 * costs a command line its start-up time). It may still fail to load.
 */
export function isDriverInstalled(name: string): boolean {
  return (
    registrations.has(name) ||
    ((BUILTIN as readonly string[]).includes(name) && existsSync(fileURLToPath(builtinModule(name))))
  );
}

/** Import the built-in driver modules once (each registers itself). */
export function loadBuiltinDrivers(): Promise<void> {
  loading ??= (async () => {
    for (const name of BUILTIN) {
      const url = builtinModule(name);
      if (!existsSync(fileURLToPath(url))) continue;
      try {
        await import(url.href);
      } catch (e) {
        loadErrors.set(name, e instanceof Error ? e : new Error(String(e)));
      }
    }
  })();
  return loading;
}

/** Registered drivers, built-ins first in their order; hidden ones only when asked for. */
export async function listDrivers(opts: { includeHidden?: boolean } = {}): Promise<DriverRegistration[]> {
  await loadBuiltinDrivers();
  const order = (n: string) => {
    const i = (BUILTIN as readonly string[]).indexOf(n);
    return i < 0 ? BUILTIN.length : i;
  };
  return [...registrations.values()]
    .filter((r) => opts.includeHidden || !r.hidden)
    .sort((a, b) => order(a.name) - order(b.name) || a.name.localeCompare(b.name));
}

/** The driver registered as `name` (one instance per process), or UnknownDriverError. */
export async function getDriver(name: string): Promise<LabDriver> {
  await loadBuiltinDrivers();
  const reg = registrations.get(name);
  if (!reg) {
    const failed = loadErrors.get(name);
    if (failed) throw new Error(`the ${name} driver failed to load: ${failed.message}`);
    const all = await listDrivers({ includeHidden: true });
    throw new UnknownDriverError(
      name,
      all.filter((r) => !r.hidden).map((r) => r.name),
      all.filter((r) => r.hidden).map((r) => r.name),
    );
  }
  let inst = instances.get(name);
  if (!inst) {
    inst = Promise.resolve().then(reg.factory);
    instances.set(name, inst);
    inst.catch(() => instances.delete(name));
  }
  return inst;
}
