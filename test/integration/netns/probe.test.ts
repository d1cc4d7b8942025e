import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ProbeFinding, probeSandboxSupport } from '../../../labs/netns/sandbox/index.ts';
import { isRoot } from './helpers.ts';

const SANDBOX_INDEX = path.resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'labs',
  'netns',
  'sandbox',
  'index.ts',
);

function byItem(findings: ProbeFinding[], item: string): ProbeFinding | undefined {
  return findings.find((f) => f.item === item);
}

describe.skipIf(!isRoot)('probeSandboxSupport', () => {
  it('as root: both modes work, userns is recommended, and the kernel features are checked in a namespace', async () => {
    const probe = await probeSandboxSupport();

    expect(probe.modes.root).toMatchObject({ ok: true });
    expect(probe.modes.userns).toMatchObject({ ok: true });
    expect(probe.recommended).toBe('userns');
    for (const item of [
      'ip',
      'iptables',
      'iptables-save',
      'conntrack',
      'tcpdump',
      'nsenter',
      'unshare',
      'C compiler',
      'nsutil',
    ]) {
      expect(byItem(probe.findings, item), item).toMatchObject({ ok: true });
    }
    expect(byItem(probe.findings, 'iptables')?.detail).toMatch(
      /iptables v\d+\.\d+\.\d+ \((nf_tables|legacy)\)/,
    );
    expect(byItem(probe.findings, 'br_netfilter')).toMatchObject({
      ok: true,
      detail: 'net.bridge.bridge-nf-call-iptables=1 in a fresh namespace',
    });
    for (const item of ['veth links', 'bridge links', 'vxlan links', 'iptables in a namespace']) {
      expect(byItem(probe.findings, item), item).toMatchObject({ ok: true });
    }
    // every failed item says what to install or set
    for (const f of probe.findings.filter((x) => !x.ok)) expect(f.fix, f.item).toBeTruthy();
    // the trial sandboxes are gone
    expect(readdirSync('/run/netns').filter((n) => n.startsWith('svcl-probe'))).toEqual([]);
  });

  it('as an unprivileged user: says root mode needs root and recommends userns', () => {
    const script = `import { probeSandboxSupport } from ${JSON.stringify(SANDBOX_INDEX)};
console.log(JSON.stringify(await probeSandboxSupport()));`;
    const res = spawnSync(
      'runuser',
      ['-u', 'nobody', '--', process.execPath, '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(res.status).toBe(0);
    const probe = JSON.parse(res.stdout);
    expect(probe.modes.root).toEqual({ ok: false, detail: 'needs root (this process is not)' });
    expect(probe.modes.userns.ok).toBe(true);
    expect(probe.unprivilegedUserns.ok).toBe(true);
    expect(probe.recommended).toBe('userns');
  });
});
