import { UsageError } from '../args.ts';

export type CliTarget = { node: string } | { pod: { namespace: string; name: string } };

/** `<node>`, `pod/<namespace>/<pod>` or `pod/<pod>` (namespace default). */
export function parseTarget(text: string): CliTarget {
  if (!text.startsWith('pod/')) return { node: text };
  const parts = text.split('/').slice(1);
  if (parts.length === 1 && parts[0]) return { pod: { namespace: 'default', name: parts[0] } };
  if (parts.length === 2 && parts[0] && parts[1]) return { pod: { namespace: parts[0], name: parts[1] } };
  throw new UsageError(`"${text}" is not a target: use <node> or pod/<namespace>/<pod>`);
}
