/**
 * The kind driver's prerequisites, cheap enough for `labctl up` to ask before it starts a daemon:
 * a missing Docker daemon is the user's to fix (exit 2 with what to do), not a failed build.
 */
import { evaluateKind, probeKind } from './prereqs.ts';

/** What is missing and how to get it, one item a line; undefined when kind labs can be built. */
export async function preflight(): Promise<string | undefined> {
  const failed = evaluateKind(await probeKind()).filter((f) => f.level === 'fail');
  if (failed.length === 0) return undefined;
  return [
    'the kind driver cannot build labs here:',
    ...failed.flatMap((f) => [`  ${f.item}: ${f.detail}`, ...(f.fix ? [`    fix: ${f.fix}`] : [])]),
    'See `labctl doctor --driver kind`.',
  ].join('\n');
}
