/**
 * Twenty labs at once on one machine: every lab has the same node names, the same addresses
 * (192.168.56.x, 10.0.2.15, 10.244.x.y, the same ClusterIPs) and yet none sees another's.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildTestLab, leftovers, type TestLab } from './lab.ts';

const isRoot = process.getuid?.() === 0;
const LABS = 20;
const built: TestLab[] = [];

afterAll(async () => {
  for (const t of built.splice(0)) await t.dispose().catch(() => {});
});

describe.skipIf(!isRoot)(`netns driver: ${LABS} labs side by side`, () => {
  it('builds them, each answering only for itself, and removes them all', async () => {
    // Four at a time: the labs must not clash whatever the interleaving of their builds.
    for (let i = 0; i < LABS; i += 4) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(4, LABS - i) }, (_, k) => buildTestLab({ name: `many${i + k}` })),
      );
      built.push(...batch);
    }
    expect(new Set(built.map((t) => t.prefix)).size).toBe(LABS);

    // Each lab gets its own marker object; a lab only ever sees its own.
    await Promise.all(
      built.map((t, i) => t.lab.kubectl(['create', 'configmap', 'whoami', `--from-literal=lab=${i}`])),
    );
    const seen = await Promise.all(
      built.map((t) => t.lab.kubectl(['get', 'configmap', 'whoami', '-o', 'jsonpath={.data.lab}'])),
    );
    expect(seen.map((r) => r.stdout)).toEqual(built.map((_, i) => String(i)));

    // The same Service address answers in every lab, from inside that lab's own node.
    const answers = await Promise.all(
      built.map(async (t) => {
        const ip = (await t.lab.kubectl(['get', 'svc', 'hostnames', '-o', 'jsonpath={.spec.clusterIP}']))
          .stdout;
        const r = await t.lab.exec({ node: 'ubuntu02' }, ['curl', '-s', '--max-time', '3', `http://${ip}/`]);
        const pods = (await t.lab.kubectl(['get', 'pods', '-l', 'app=hostnames', '-o', 'name'])).stdout;
        return { code: r.code, answer: r.stdout.trim(), pods };
      }),
    );
    for (const a of answers) {
      expect(a.code).toBe(0);
      expect(a.pods).toContain(`pod/${a.answer}`);
    }

    const prefixes = built.map((t) => ({ prefix: t.prefix, stateDir: t.stateDir }));
    for (const t of built.splice(0)) await t.dispose();
    for (const p of prefixes) expect(leftovers(p.prefix, p.stateDir)).toEqual([]);
  }, 300_000);
});
