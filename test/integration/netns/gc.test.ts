import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox, gcSandboxes, newPrefix } from '../../../labs/netns/sandbox/index.ts';
import { findProcesses } from '../../../labs/netns/sandbox/proc.ts';
import type { NativeSandbox } from '../../../labs/netns/sandbox/types.ts';
import { isRoot } from './helpers.ts';

const NODE = process.execPath;
const OWNER = path.join(import.meta.dirname, 'fixtures', 'sandbox-owner.ts');

/** Live processes running `sleep <marker>`: what a sandbox owner started inside its namespaces. */
function markerProcesses(marker: string): number[] {
  return findProcesses((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `sleep\0${marker}\0`;
    } catch {
      return false;
    }
  });
}

/** Everything on the machine whose name starts with `family` (a prefix or a family of prefixes). */
function traces(family: string, stateDir: string): string[] {
  const found: string[] = [];
  const list = (dir: string) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  found.push(
    ...list('/run/netns')
      .filter((n) => n.startsWith(family))
      .map((n) => `/run/netns/${n}`),
  );
  found.push(
    ...execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter((l) => l.startsWith(family))
      .map((l) => `ip netns: ${l}`),
  );
  found.push(
    ...readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(family))
      .map((l) => `mount: ${l}`),
  );
  for (const dir of [path.join(stateDir, 'sandboxes'), '/run/svc-labs/sandboxes']) {
    found.push(
      ...list(dir)
        .filter((f) => f.startsWith(family))
        .map((f) => path.join(dir, f)),
    );
  }
  return found;
}

function startOwner(args: string[]): { child: ChildProcess; lines: string[]; ready: Promise<void> } {
  const child = spawn(NODE, [OWNER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const ready = new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts);
      if (parts.includes('ready')) resolve();
    });
    child.on('exit', (code, signal) => reject(new Error(`owner exited ${code ?? signal}: ${err}`)));
  });
  ready.catch(() => {});
  return { child, lines, ready };
}

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${cond}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe.skipIf(!isRoot)('gcSandboxes after the owner was killed with SIGKILL', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'svcl-t-state-'));
  const owners: ChildProcess[] = [];
  const mine: NativeSandbox[] = [];

  afterAll(async () => {
    for (const c of owners) await kill9(c);
    for (const sb of mine) await sb.destroy().catch(() => {});
    await gcSandboxes(stateDir);
    rmSync(stateDir, { recursive: true, force: true });
  });

  for (const mode of ['root', 'userns'] as const) {
    it(`${mode}: removes namespaces, processes, mounts and files of a killed owner`, async () => {
      const prefix = newPrefix('t');
      const marker = String(6000 + Math.floor(Math.random() * 1000));
      const owner = startOwner(['hold', mode, stateDir, prefix, marker]);
      owners.push(owner.child);
      await owner.ready;
      await until(() => markerProcesses(marker).length === 4);
      expect(traces(prefix, stateDir).length).toBeGreaterThan(0);

      await kill9(owner.child);
      const report = await gcSandboxes(stateDir);

      expect(report.errors).toEqual([]);
      expect(report.removed.map((r) => r.prefix)).toContain(prefix);
      expect(markerProcesses(marker)).toEqual([]);
      expect(traces(prefix, stateDir)).toEqual([]);
    });
  }

  it('root: finds namespaces by prefix when no record or claim was ever written', async () => {
    const prefix = newPrefix('t');
    const marker = String(7000 + Math.floor(Math.random() * 1000));
    // a crashed owner of an older or foreign kind: raw `ip netns` with a process inside
    const script = `ip netns add ${prefix}node && ip netns exec ${prefix}node sh -c 'sleep ${marker} & sleep ${marker} & wait' & sleep 0.3; echo ready; wait`;
    const owner = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    owners.push(owner);
    await new Promise<void>((resolve) =>
      owner.stdout!.on('data', (d) => String(d).includes('ready') && resolve()),
    );
    await until(() => markerProcesses(marker).length === 2);
    expect(traces(prefix, stateDir)).toContain(`/run/netns/${prefix}node`);
    await kill9(owner); // the shell inside the namespace and its sleeps stay

    const report = await gcSandboxes(stateDir);

    // (a collector in a parallel test file may have got there first: unclaimed is anyone's to remove)
    expect(report.errors).toEqual([]);
    for (const r of report.removed.filter((x) => x.prefix === prefix)) {
      expect(r).toMatchObject({ mode: 'root', reason: 'unclaimed', netns: [`${prefix}node`] });
    }
    expect(markerProcesses(marker)).toEqual([]);
    expect(traces(prefix, stateDir)).toEqual([]);
  });

  it('leaves sandboxes of live owners alone, in its own state dir and in others', async () => {
    const otherState = mkdtempSync(path.join(os.tmpdir(), 'svcl-t-state-'));
    try {
      const here = await createSandbox({ stateDir, mode: 'userns', prefix: newPrefix('t') });
      const there = await createSandbox({ stateDir: otherState, mode: 'root', prefix: newPrefix('t') });
      mine.push(here, there);
      await here.addNetns('a');
      await there.addNetns('a');

      const report = await gcSandboxes(stateDir);

      expect(report.kept).toEqual(expect.arrayContaining([here.prefix, there.prefix]));
      expect(report.removed.map((r) => r.prefix)).not.toContain(here.prefix);
      expect(report.removed.map((r) => r.prefix)).not.toContain(there.prefix);
      expect((await here.run(['ip', 'link'], { netns: 'a', bare: true })).code).toBe(0);
      expect((await there.run(['ip', 'link'], { netns: 'a', bare: true })).code).toBe(0);
      await there.destroy();
    } finally {
      rmSync(otherState, { recursive: true, force: true });
    }
  });

  for (const mode of ['root', 'userns'] as const) {
    it(`${mode}: leaves nothing when the owner is killed at any point of building or tearing down`, async () => {
      const tag = `tc${Math.random().toString(36).slice(2, 7)}`;
      const family = `svcl-${tag}`;
      const marker = String(8000 + Math.floor(Math.random() * 1000));
      for (let round = 0; round < 6; round++) {
        const owner = startOwner(['churn', mode, stateDir, `${tag}r${round}`, marker]);
        owners.push(owner.child);
        // wait for the first sandbox to be under way, then kill at a random moment
        await new Promise<void>((resolve) => {
          const t = setInterval(() => {
            if (owner.lines.length > 0 || owner.child.exitCode !== null) {
              clearInterval(t);
              resolve();
            }
          }, 2);
        });
        await new Promise((r) => setTimeout(r, Math.random() * 120));
        await kill9(owner.child);

        const report = await gcSandboxes(stateDir);

        expect(report.errors).toEqual([]);
        expect(markerProcesses(marker)).toEqual([]);
        expect(traces(family, stateDir)).toEqual([]);
      }
    });
  }
});
