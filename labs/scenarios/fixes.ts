/**
 * Applying a reference solution or a known wrong fix the way a learner would: a `.sh` file is the
 * commands they would type on a node (real kubectl, ip, iptables, editors replaced by sed), run
 * with bash on the node(s) its `on:` names; a `.ts` file drives the Lab itself when the commands
 * depend on what it finds (a hand-made vxlan entry needs the peer's MAC). Either way every command
 * is recorded as a step, and the lab is left to settle afterwards.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandError, type LabContext } from './context.ts';
import type { FixSpec } from './format.ts';
import type { LoadedScenario } from './loader.ts';

/** Nodes a `.sh` fix runs on, in order. */
export function fixNodes(ctx: LabContext, on: string | undefined): string[] {
  const where = on ?? 'control-plane';
  if (where === 'control-plane') return [ctx.controlPlane()];
  if (where === 'all-nodes') return ctx.nodes.map((n) => n.name);
  return [where];
}

export async function runFix(ctx: LabContext, scenario: LoadedScenario, fix: FixSpec): Promise<void> {
  if (fix.run.endsWith('.ts')) {
    const fn = scenario.fixes.get(fix.run);
    if (!fn) throw new Error(`${fix.run} was not loaded`);
    await fn(ctx);
  } else {
    const script = readFileSync(join(scenario.dir, fix.run), 'utf8');
    // Nodes are independent machines: a per-node script runs on all of them at once.
    await Promise.all(
      fixNodes(ctx, fix.on).map(async (node) => {
        const started = performance.now();
        const r = await ctx.lab.exec({ node }, ['bash', '-c', script, fix.run], {
          timeoutMs: 180_000,
          env: { LAB_NODE: node, ...(ctx.variant ? { LAB_VARIANT: ctx.variant } : {}) },
        });
        ctx.record({
          ran: `bash ${fix.run}`,
          target: node,
          exitCode: r.code,
          output: `${r.stdout}${r.stderr}`,
          ms: Math.round(performance.now() - started),
        });
        if (r.code !== 0) throw new CommandError(`bash ${fix.run}`, node, r);
      }),
    );
  }
  await ctx.settle({ timeoutMs: 90_000 });
}
