import { describe, expect, it } from 'vitest';
import { applyMergePatch, PatchError } from '../../../labs/apiserver/patch/index.ts';

describe('JSON merge patch (RFC 7386)', () => {
  // The examples of RFC 7386 appendix A whose answers the API server shares.
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j patched with %j is %j', (original, patch, expected) => {
    expect(applyMergePatch(original, patch)).toEqual(expected);
  });

  it('is what kubectl label and annotate send: labels merge and a null removes one', () => {
    const live = { metadata: { name: 'web', labels: { app: 'web', tier: 'fe' }, annotations: { a: '1' } } };
    const out = applyMergePatch(live, { metadata: { labels: { env: 'prod', tier: null } } });
    expect(out).toEqual({
      metadata: { name: 'web', labels: { app: 'web', env: 'prod' }, annotations: { a: '1' } },
    });
  });

  it('replaces lists wholesale, unlike a strategic merge patch', () => {
    const live = { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b' }] } };
    expect(applyMergePatch(live, { spec: { containers: [{ name: 'a', image: 'y' }] } })).toEqual({
      spec: { containers: [{ name: 'a', image: 'y' }] },
    });
  });

  it('does not modify its inputs', () => {
    const live = { a: { b: 1 } };
    const patch = { a: { c: 2 } };
    applyMergePatch(live, patch);
    expect(live).toEqual({ a: { b: 1 } });
    expect(patch).toEqual({ a: { c: 2 } });
  });

  it('prunes nulls inside a value that lands on a missing member, even in arrays of objects (server library)', () => {
    expect(applyMergePatch({}, { a: [{ b: null, c: 1 }] })).toEqual({ a: [{ c: 1 }] });
    // Where the member exists as an object, an array value is taken as it is.
    expect(applyMergePatch({ a: {} }, { a: [{ b: null }] })).toEqual({ a: [{ b: null }] });
  });

  it.each([null, 'bar', 3, true])(
    'a top-level %j patch is refused with 400 "Invalid JSON Patch" by the server',
    (patch) => {
      let err: unknown;
      try {
        applyMergePatch({ a: 'foo' }, patch);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PatchError);
      expect((err as PatchError).toStatus()).toMatchObject({
        code: 400,
        reason: 'BadRequest',
        message: 'Invalid JSON Patch',
      });
    },
  );
});
