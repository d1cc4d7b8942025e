/**
 * Progressive hints: each `labctl hint` reveals the next one in the order scenario.yaml gives
 * them; asking for a hint by id (the pointer a failing check shows) reveals that one. What was
 * revealed is kept with the lab, so hints survive a daemon restart of the CLI and are the same
 * in the browser and the terminal.
 */
import { type Language, type ScenarioSpec, text } from './format.ts';
import type { HintAnswer } from './types.ts';

export class UnknownHintError extends Error {
  override readonly name = 'UnknownHintError';
}

/** Reveal the next hint (or `id`); returns the answer and the new list of revealed ids. */
export function revealHint(
  spec: ScenarioSpec,
  revealed: readonly string[],
  opts: { id?: string; lang?: Language; peek?: boolean } = {},
): { answer: HintAnswer; revealed: string[] } {
  const lang = opts.lang ?? 'en';
  const ids = spec.hints.map((h) => h.id);
  let next: string | undefined;
  if (opts.id !== undefined) {
    if (!ids.includes(opts.id))
      throw new UnknownHintError(`scenario ${spec.id} has no hint "${opts.id}" (hints: ${ids.join(', ')})`);
    next = opts.id;
  } else if (!opts.peek) next = ids.find((id) => !revealed.includes(id));
  const now = next && !revealed.includes(next) ? [...revealed, next] : [...revealed];
  const view = (id: string) => {
    const i = ids.indexOf(id);
    return { id, number: i + 1, text: text(spec.hints[i].text, lang).trim() };
  };
  const ordered = ids.filter((id) => now.includes(id));
  return {
    answer: {
      ...(next ? { hint: view(next) } : {}),
      revealed: ordered.map(view),
      total: ids.length,
      exhausted: !opts.peek && opts.id === undefined && next === undefined,
    },
    revealed: ordered,
  };
}
