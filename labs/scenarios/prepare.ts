/**
 * What the engine puts into a lab for any scenario that asks for it: the grader's probe pods (one
 * netshoot pod per node, in a namespace of their own so that nothing a learner does to `default`
 * touches them) and the scenario's files on the nodes where the learner will edit them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabContext } from './context.ts';
import { fixNodes } from './fixes.ts';
import type { LoadedScenario } from './loader.ts';
import { PROBE_NAMESPACE } from './probes.ts';

export const PROBE_IMAGE = 'nicolaka/netshoot';

export function probeManifests(): object[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: PROBE_NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'svc-labs-grader' } },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: {
        name: 'probe',
        namespace: PROBE_NAMESPACE,
        labels: { app: 'probe' },
        annotations: {
          'svc-labs/purpose':
            'the grader curls from these pods (one per node) to see the cluster as a pod does',
        },
      },
      spec: {
        selector: { matchLabels: { app: 'probe' } },
        template: {
          metadata: { labels: { app: 'probe' } },
          spec: {
            terminationGracePeriodSeconds: 0,
            tolerations: [{ operator: 'Exists' }],
            containers: [{ name: 'netshoot', image: PROBE_IMAGE, command: ['sleep', 'infinity'] }],
          },
        },
      },
    },
  ];
}

export async function installProbes(ctx: LabContext): Promise<void> {
  await ctx.apply(probeManifests());
}

/** Put the scenario's files on their nodes (again, on reset: a learner may have edited them). */
export async function placeFiles(ctx: LabContext, scenario: LoadedScenario): Promise<void> {
  await Promise.all(
    (scenario.spec.files ?? []).flatMap((f) =>
      fixNodes(ctx, f.node).map((node) =>
        ctx.writeNodeFile(node, f.path, readFileSync(join(scenario.dir, f.src), 'utf8')),
      ),
    ),
  );
}
