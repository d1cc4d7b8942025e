/** Root mode: namespaces are ordinary `ip netns` names (`<prefix><name>` in /run/netns). */

import type { NetnsBrokerOptions } from '../../native/broker.ts';
import { ensureNsutil } from '../../native/build.ts';
import { SandboxBase } from './base.ts';
import { cleanupRootPrefix, ROOT_NETNS_DIR, rootNetnsWithPrefix } from './cleanup.ts';
import { selfRef } from './proc.ts';
import {
  PREFIX_RE,
  removeClaim,
  removeRecord,
  type SandboxRecord,
  writeClaim,
  writeRecord,
} from './registry.ts';

export interface SandboxCreateOptions {
  /** Where the sandbox registry lives (`<stateDir>/sandboxes/<prefix>.json`). */
  stateDir: string;
  /** `svcl-<segment>-`; default a random one. */
  prefix?: string;
  nsutilPath?: string;
}

export class RootSandbox extends SandboxBase {
  readonly mode = 'root' as const;
  protected readonly netnsDir = ROOT_NETNS_DIR;

  static async create(opts: SandboxCreateOptions & { prefix: string }): Promise<RootSandbox> {
    if (process.getuid?.() !== 0) {
      throw new Error('a root-mode sandbox needs root; run as root or use the userns mode');
    }
    const { prefix, stateDir } = opts;
    if (!PREFIX_RE.test(prefix)) throw new Error(`invalid sandbox prefix '${prefix}' (want svcl-<a-z0-9>-)`);
    const nsutil = opts.nsutilPath ?? (await ensureNsutil());
    if (rootNetnsWithPrefix(prefix).length > 0) {
      throw new Error(`namespaces with prefix ${prefix} already exist in ${ROOT_NETNS_DIR} (run labctl gc)`);
    }
    const rec: SandboxRecord = {
      version: 1,
      prefix,
      mode: 'root',
      owner: selfRef(),
      createdAt: new Date().toISOString(),
    };
    // Claimed before anything exists, so a collector never mistakes our namespaces for orphans.
    writeClaim(rec);
    writeRecord(stateDir, rec);
    return new RootSandbox(prefix, stateDir, nsutil);
  }

  protected enterArgs(): string[] {
    return [];
  }

  protected ownNetArgs(): string[] {
    return [];
  }

  protected extraEnv(): Record<string, string> {
    return {};
  }

  protected brokerOptions(): NetnsBrokerOptions {
    return {};
  }

  netnsPath(name: string): string {
    return `${ROOT_NETNS_DIR}/${this.fullName(name)}`;
  }

  protected async teardown(): Promise<void> {
    const res = await cleanupRootPrefix(this.prefix, this.nsutil);
    const left = rootNetnsWithPrefix(this.prefix);
    if (res.survivors.length > 0 || left.length > 0 || res.errors.length > 0) {
      // The record stays, so `labctl gc` can finish the job once this process has exited.
      throw new Error(
        `sandbox ${this.prefix}: teardown incomplete (processes left: ${res.survivors.join(', ') || 'none'}; ` +
          `namespaces left: ${left.join(', ') || 'none'}${res.errors.length ? `; ${res.errors.join('; ')}` : ''})`,
      );
    }
    removeRecord(this.stateDir, this.prefix);
    removeClaim(this.prefix);
  }
}
