/**
 * Sandbox modes and crashes: a lab built as root works like the rootless one, and a lab daemon
 * killed with SIGKILL in the middle of a build (agents, kubelets and pods running) leaves nothing
 * after the driver's gc - no namespace, process, mount or record - in either mode.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NetnsDriver } from '../../../labs/drivers/netns/driver.ts';
import { readRecords } from '../../../labs/netns/sandbox/registry.ts';
import { buildTestLab, kubectlJson, leftovers, probeFrom } from './lab.ts';

const isRoot = process.getuid?.() === 0;
const FIXTURE = join(import.meta.dirname, 'fixtures', 'build-lab.ts');

describe.skipIf(!isRoot)('netns driver: sandbox modes and crashes', () => {
  it('builds a working lab as root, with its namespaces under /run/netns, and removes them', async () => {
    const t = await buildTestLab({ name: 'asroot', mode: 'root' });
    try {
      expect(t.lab.sandbox.mode).toBe('root');
      expect(leftovers(t.prefix, t.stateDir).filter((l) => l.startsWith('netns '))).toContain(
        `netns ${t.prefix}ubuntu01`,
      );
      const pods = (await kubectlJson(t.lab, ['get', 'pods'])).items.filter(
        (p: any) => p.spec.nodeName === 'ubuntu03',
      );
      const results = await probeFrom(
        t.lab,
        { node: 'ubuntu01' },
        pods.map((p: any) => ({
          name: p.metadata.name,
          url: `http://${p.status.podIP}:${p.metadata.labels.app === 'hostnames' ? 9376 : 80}/`,
        })),
      );
      expect(results.length).toBeGreaterThan(0);
      expect(results.filter((r) => r.code !== 0)).toEqual([]);
    } finally {
      const { prefix, stateDir } = t;
      await t.dispose();
      expect(leftovers(prefix, stateDir)).toEqual([]);
    }
  });

  for (const mode of ['auto', 'root'] as const) {
    it(`leaves nothing after SIGKILL during a build and gc (${mode} mode)`, async () => {
      const stateDir = await mkdtemp(join(tmpdir(), 'svcl-t-ndcrash-'));
      const dir = await mkdtemp(join(tmpdir(), 'svcl-t-ndcrashlab-'));
      try {
        const child = spawn(process.execPath, [FIXTURE, stateDir, dir, mode], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        // Killed once the pod network is up: kubelets, agents, pods and the broker all run by then.
        await new Promise<void>((resolve, reject) => {
          let buf = '';
          child.stdout.setEncoding('utf8').on('data', (d: string) => {
            buf += d;
            if (/"step":"pod-network","title":"[^"]*","done":\d+,"total":\d+,"state":"done"/.test(buf))
              resolve();
          });
          child.once('exit', (code) =>
            reject(new Error(`builder exited (${code}) before the pod network was up: ${buf}`)),
          );
        });
        const prefix = readRecords(stateDir)[0]?.prefix;
        expect(prefix).toMatch(/^svcl-t[0-9a-f]{8}-$/);
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        const report = await new NetnsDriver().gc(stateDir);
        expect(report.errors).toEqual([]);
        expect(report.removed.join('\n')).toContain(prefix);
        expect(leftovers(prefix!, stateDir)).toEqual([]);
      } finally {
        await rm(dir, { recursive: true, force: true });
        await rm(stateDir, { recursive: true, force: true });
      }
    });
  }
});
