/**
 * The project's root-mode sandbox for these tests, with a unique `svcl-t…` prefix and a private
 * state directory; `dispose()` destroys it (killing anything left in its namespaces) and removes
 * the state directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RootSandbox } from '../../../labs/netns/sandbox/root.ts';

export interface TestSandbox {
  sandbox: RootSandbox;
  dispose(): Promise<void>;
}

export async function createTestSandbox(): Promise<TestSandbox> {
  const stateDir = await mkdtemp(join(tmpdir(), 'svcl-t-state-'));
  const sandbox = await RootSandbox.create({ stateDir, prefix: `svcl-t${randomBytes(4).toString('hex')}-` });
  return {
    sandbox,
    async dispose() {
      try {
        await sandbox.destroy();
      } finally {
        await rm(stateDir, { recursive: true, force: true });
      }
    },
  };
}

export async function namespacesWithPrefix(prefix: string): Promise<string[]> {
  try {
    return (await readdir('/run/netns')).filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}
