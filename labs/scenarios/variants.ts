/**
 * Which variant a lab gets: the one asked for (`--variant`), or one chosen from a seed so that the
 * same lab name gives the same variant (an instructor can hand out names; a learner cannot
 * memorise one answer for the scenario).
 */
import type { ScenarioSpec } from './format.ts';

export class VariantError extends Error {
  override readonly name = 'VariantError';
  readonly valid: string[];
  constructor(message: string, valid: string[]) {
    super(message);
    this.valid = valid;
  }
}

/** FNV-1a, 32 bits: small, stable across Node versions. */
export function seedHash(seed: string): number {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(seed, 'utf8')) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function pickVariant(
  spec: ScenarioSpec,
  requested: string | undefined,
  seed: string,
): string | undefined {
  const ids = (spec.variants ?? []).map((v) => v.id);
  if (requested !== undefined) {
    if (ids.length === 0)
      throw new VariantError(`scenario ${spec.id} has no variants (leave out --variant)`, []);
    if (!ids.includes(requested))
      throw new VariantError(
        `scenario ${spec.id} has no variant "${requested}" (variants: ${ids.join(', ')})`,
        ids,
      );
    return requested;
  }
  if (ids.length === 0) return undefined;
  return ids[seedHash(seed) % ids.length];
}
