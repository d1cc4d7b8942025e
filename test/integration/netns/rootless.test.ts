import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNsutil } from '../../../labs/native/build.ts';
import { findProcesses, killMatching } from '../../../labs/netns/sandbox/proc.ts';
import { isRoot } from './helpers.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'rootless-pair.ts');

function uidOf(pid: number): number | undefined {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

describe.skipIf(!isRoot)('rootless sandbox run by an unprivileged user', () => {
  const user = `svcl-t${Math.random().toString(36).slice(2, 8)}`;
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'svcl-t-state-'));
  let uid = -1;

  beforeAll(async () => {
    await ensureNsutil(); // the user cannot write the repository's build cache
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]);
    uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    chownSync(stateDir, uid, uid);
  });

  afterAll(async () => {
    if (uid > 0) await killMatching((pid) => uidOf(pid) === uid);
    spawnSync('userdel', [user]);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('builds and uses a namespace pair, then leaves no process or file', () => {
    const res = spawnSync('runuser', ['-u', user, '--', process.execPath, FIXTURE, stateDir], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const report = JSON.parse(res.stdout);

    expect(report.uid).toBe(uid);
    expect(report.mode).toBe('userns');
    expect(report.ping).toContain('1 received');
    expect(report.view).toBe('0\nubuntu02\nenp0s3\nlo\n');
    expect(report.iptables).toContain('-A INPUT -p tcp -m tcp --dport 6443 -j ACCEPT');
    expect(report.tcp).toBe('hello 192.168.56.12');

    expect(findProcesses((pid) => uidOf(pid) === uid)).toEqual([]);
    expect(readdirSync(path.join(stateDir, 'sandboxes'))).toEqual([]);
  });
});
