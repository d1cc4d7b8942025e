/**
 * Build and teardown cost of virtualbox-3node (3 nodes, 3 NAT routers, the host, 2 switches; no
 * pods yet). The design's budget is about a second for a whole lab with workloads and kubectl
 * answering, so the network underneath must take a small share of it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { virtualbox3Node } from '../../../labs/environments/index.ts';
import { buildLab } from '../../../labs/netns/build/index.ts';
import { createTestSandbox, namespacesWithPrefix } from './sandbox.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('virtualbox-3node build and teardown, repeated', () => {
  it('builds and tears down repeatedly without leaving a namespace (times are reported; npm run bench holds the budget)', async () => {
    const builds: number[] = [];
    const teardowns: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { sandbox, dispose } = await createTestSandbox();
      const labDir = await mkdtemp(join(tmpdir(), 'svcl-t-timing-'));
      try {
        const t0 = performance.now();
        const lab = await buildLab(virtualbox3Node(), sandbox, { labDir });
        const t1 = performance.now();
        await lab.teardown();
        const t2 = performance.now();
        builds.push(t1 - t0);
        teardowns.push(t2 - t1);
        expect(await namespacesWithPrefix(sandbox.prefix)).toEqual([]);
      } finally {
        await dispose();
        await rm(labDir, { recursive: true, force: true });
      }
    }
    console.log(
      `virtualbox-3node: build median ${median(builds).toFixed(0)} ms (${builds.map((b) => b.toFixed(0)).join(', ')}), ` +
        `teardown median ${median(teardowns).toFixed(0)} ms (${teardowns.map((b) => b.toFixed(0)).join(', ')})`,
    );
  });
});
