import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gcSandboxes, newPrefix, readRecords } from '../../../labs/netns/sandbox/index.ts';
import { selfRef } from '../../../labs/netns/sandbox/proc.ts';
import { type SandboxRecord, writeRecord } from '../../../labs/netns/sandbox/registry.ts';

/** The pid and start time of a process that has exited. */
function deadOwner(): { pid: number; start: string } {
  const r = spawnSync('sh', ['-c', 'echo $$ $(cut -d" " -f22 /proc/$$/stat)'], { encoding: 'utf8' });
  const [pid, start] = r.stdout.trim().split(' ');
  return { pid: Number(pid), start };
}

function record(prefix: string, owner: { pid: number; start: string }): SandboxRecord {
  return { version: 1, prefix, mode: 'userns', owner, createdAt: new Date().toISOString() };
}

describe('sandbox registry and gcSandboxes', () => {
  const dirs: string[] = [];
  const stateDir = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'svcl-t-state-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('names sandboxes svcl-<tag><random>- and rejects other shapes', () => {
    expect(newPrefix('t')).toMatch(/^svcl-t[0-9a-f]{8}-$/);
    expect(newPrefix()).not.toBe(newPrefix());
    expect(() => newPrefix('T-1')).toThrow(/invalid prefix tag/);
    expect(() => writeRecord(stateDir(), record('svcl-a-b-', selfRef()))).toThrow(/invalid sandbox prefix/);
  });

  it('keeps sandboxes whose owner runs and removes those whose owner is gone', async () => {
    const dir = stateDir();
    const live = newPrefix('t');
    const dead = newPrefix('t');
    writeRecord(dir, record(live, selfRef()));
    writeRecord(dir, record(dead, deadOwner()));

    const report = await gcSandboxes(dir);

    expect(report.kept).toContain(live);
    expect(report.removed).toContainEqual({
      prefix: dead,
      mode: 'userns',
      reason: 'owner-gone',
      netns: [],
      killed: 0,
    });
    expect(readRecords(dir).map((r) => r.prefix)).toEqual([live]);
  });

  it('treats a reused pid as a different owner', async () => {
    const dir = stateDir();
    const prefix = newPrefix('t');
    writeRecord(dir, record(prefix, { pid: process.pid, start: '1' }));
    const report = await gcSandboxes(dir);
    expect(report.removed.map((r) => r.prefix)).toEqual([prefix]);
    expect(readRecords(dir)).toEqual([]);
  });

  it("follows the caller's judgement of liveness for its own records", async () => {
    const dir = stateDir();
    const prefix = newPrefix('t');
    writeRecord(dir, record(prefix, selfRef()));
    const seen: string[] = [];
    const report = await gcSandboxes(dir, {
      isAlive: (rec) => {
        seen.push(rec.prefix);
        return false;
      },
    });
    expect(seen).toEqual([prefix]);
    expect(report.removed.map((r) => r.prefix)).toEqual([prefix]);
  });

  it('removes records torn by a writer that died mid-write, and nothing it does not own', async () => {
    const dir = stateDir();
    const sandboxes = path.join(dir, 'sandboxes');
    writeRecord(dir, record(newPrefix('t'), selfRef()));
    const torn = path.join(sandboxes, `${newPrefix('t')}.json.${deadOwner().pid}.tmp`);
    const inProgress = path.join(sandboxes, `${newPrefix('t')}.json.${process.pid}.tmp`);
    const foreign = path.join(sandboxes, 'notes.txt');
    writeFileSync(torn, '{"ver');
    writeFileSync(inProgress, '{"ver');
    writeFileSync(foreign, 'keep me');

    await gcSandboxes(dir);

    expect(existsSync(torn)).toBe(false);
    expect(existsSync(inProgress)).toBe(true);
    expect(existsSync(foreign)).toBe(true);
    expect(readdirSync(sandboxes)).toHaveLength(3);
  });
});
