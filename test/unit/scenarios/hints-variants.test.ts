/** Progressive hints and the choice of a lab's variant. */
import { describe, expect, it } from 'vitest';
import type { ScenarioSpec } from '../../../labs/scenarios/format.ts';
import { revealHint, UnknownHintError } from '../../../labs/scenarios/hints.ts';
import { pickVariant, seedHash, type VariantError } from '../../../labs/scenarios/variants.ts';

const spec = {
  id: 'demo',
  hints: [
    { id: 'h1', text: { en: 'first', 'zh-CN': '第一' } },
    { id: 'h2', text: { en: 'second', 'zh-CN': '第二' } },
    { id: 'h3', text: { en: 'third\n', 'zh-CN': '第三' } },
  ],
  variants: [
    { id: 'selector', title: { en: 's', 'zh-CN': 's' } },
    { id: 'readiness', title: { en: 'r', 'zh-CN': 'r' } },
    { id: 'manual', title: { en: 'm', 'zh-CN': 'm' } },
  ],
} as unknown as ScenarioSpec;

describe('hints', () => {
  it('reveal one at a time, in order, until none is left', () => {
    let revealed: string[] = [];
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      const r = revealHint(spec, revealed);
      revealed = r.revealed;
      seen.push(r.answer.hint?.text);
    }
    expect(seen).toEqual(['first', 'second', 'third', undefined]);
    const last = revealHint(spec, revealed);
    expect(last.answer.exhausted).toBe(true);
    expect(last.answer.revealed.map((h) => h.number)).toEqual([1, 2, 3]);
  });

  it('reveal the one a failing check points to, keeping the revealed list in hint order', () => {
    const a = revealHint(spec, [], { id: 'h3', lang: 'zh-CN' });
    expect(a.answer.hint).toEqual({ id: 'h3', number: 3, text: '第三' });
    const b = revealHint(spec, a.revealed);
    expect(b.answer.hint?.id).toBe('h1');
    expect(b.revealed).toEqual(['h1', 'h3']);
  });

  it('peek shows what was revealed without revealing more', () => {
    const r = revealHint(spec, ['h2'], { peek: true });
    expect(r.answer.hint).toBeUndefined();
    expect(r.answer.revealed.map((h) => h.id)).toEqual(['h2']);
    expect(r.answer.exhausted).toBe(false);
  });

  it('an unknown hint id names the hints there are', () => {
    expect(() => revealHint(spec, [], { id: 'h9' })).toThrow(UnknownHintError);
    expect(() => revealHint(spec, [], { id: 'h9' })).toThrow(
      'scenario demo has no hint "h9" (hints: h1, h2, h3)',
    );
  });
});

describe('variants', () => {
  it('the one asked for, if the scenario has it', () => {
    expect(pickVariant(spec, 'manual', 'any')).toBe('manual');
    expect(() => pickVariant(spec, 'typo', 'any')).toThrow(
      'scenario demo has no variant "typo" (variants: selector, readiness, manual)',
    );
    try {
      pickVariant(spec, 'typo', 'any');
    } catch (e) {
      expect((e as VariantError).valid).toEqual(['selector', 'readiness', 'manual']);
    }
  });

  it('otherwise one chosen from the seed: the same seed, the same variant; every variant turns up', () => {
    expect(pickVariant(spec, undefined, 'lab-1')).toBe(pickVariant(spec, undefined, 'lab-1'));
    const picked = new Set(
      Array.from({ length: 60 }, (_, i) => pickVariant(spec, undefined, `no-endpoints-${i}`)),
    );
    expect(picked).toEqual(new Set(['selector', 'readiness', 'manual']));
  });

  it('none for a scenario without variants, and asking for one is an error', () => {
    const plain = { ...spec, variants: undefined } as ScenarioSpec;
    expect(pickVariant(plain, undefined, 'x')).toBeUndefined();
    expect(() => pickVariant(plain, 'selector', 'x')).toThrow(
      'scenario demo has no variants (leave out --variant)',
    );
  });

  it('the seed hash is FNV-1a', () => {
    expect(seedHash('')).toBe(0x811c9dc5);
    expect(seedHash('a')).toBe(0xe40c292c);
  });
});
