/**
 * Sandboxes for the netns driver: `createSandbox()` picks or honours a mode; `gcSandboxes()` cleans
 * up after dead owners; `probeSandboxSupport()` answers `labctl doctor`.
 */
import { randomBytes } from 'node:crypto';
import type { SandboxMode } from '../sandbox.ts';
import { RootSandbox, type SandboxCreateOptions } from './root.ts';
import type { NativeSandbox } from './types.ts';
import { UsernsSandbox } from './userns.ts';

export { SandboxCommandError } from './base.ts';
export { type GcOptions, type GcRemoved, type GcReport, gcSandboxes } from './gc.ts';
export { type ModeSupport, type ProbeFinding, probeSandboxSupport, type SandboxProbe } from './probe.ts';
export { PREFIX_RE, ROOT_CLAIMS_DIR, readRecords, type SandboxRecord } from './registry.ts';
export { RootSandbox, type SandboxCreateOptions } from './root.ts';
export type {
  BindMount,
  CommandOptions,
  CommandSpec,
  NativeSandbox,
  NetnsView,
  SandboxRunOptions,
} from './types.ts';
export { UsernsSandbox } from './userns.ts';

/** A fresh prefix `svcl-<tag><random>-` (tag: lowercase letters and digits, e.g. 't' in tests). */
export function newPrefix(tag = ''): string {
  if (!/^[a-z0-9]{0,20}$/.test(tag)) throw new Error(`invalid prefix tag '${tag}'`);
  return `svcl-${tag}${randomBytes(4).toString('hex')}-`;
}

export interface CreateSandboxOptions extends Omit<SandboxCreateOptions, 'prefix'> {
  prefix?: string;
  /** 'auto' (default): userns where it works, otherwise root when running as root. */
  mode?: SandboxMode | 'auto';
}

export async function createSandbox(opts: CreateSandboxOptions): Promise<NativeSandbox> {
  const prefix = opts.prefix ?? newPrefix();
  const base = { ...opts, prefix };
  const mode = opts.mode ?? 'auto';
  if (mode === 'root') return RootSandbox.create(base);
  if (mode === 'userns') return UsernsSandbox.create(base);
  try {
    return await UsernsSandbox.create(base);
  } catch (err) {
    if (process.getuid?.() !== 0) throw err;
    return RootSandbox.create(base);
  }
}
