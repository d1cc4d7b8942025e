import { describe, expect, it } from 'vitest';
import { applyJsonPatch, type JsonValue, PatchError } from '../../../labs/apiserver/patch/index.ts';

function deployment() {
  return {
    metadata: {
      name: 'web',
      annotations: { 'example.com/note': 'hi', 'a~b': 'tilde' },
      labels: { app: 'web' },
    },
    spec: {
      replicas: 2,
      template: {
        spec: {
          containers: [
            { name: 'web', image: 'nginx', args: ['-g', 'daemon off;'] },
            { name: 'log', image: 'busybox' },
          ],
        },
      },
    },
  };
}

function failure(ops: unknown, doc: unknown = deployment()): PatchError {
  try {
    applyJsonPatch(doc, ops);
  } catch (e) {
    if (e instanceof PatchError) return e;
    throw e;
  }
  throw new Error('expected a PatchError');
}

const at = (doc: JsonValue, ...path: (string | number)[]) => path.reduce((v: any, k) => v?.[k], doc);

describe('JSON patch (RFC 6902)', () => {
  it('add, replace and remove members and array elements', () => {
    const out = applyJsonPatch(deployment(), [
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/metadata/labels/tier', value: 'fe' },
      { op: 'remove', path: '/metadata/labels/app' },
      { op: 'add', path: '/spec/template/spec/containers/0/args/1', value: '-c' },
      { op: 'remove', path: '/spec/template/spec/containers/1' },
    ]);
    expect(at(out, 'spec', 'replicas')).toBe(3);
    expect(at(out, 'metadata', 'labels')).toEqual({ tier: 'fe' });
    expect(at(out, 'spec', 'template', 'spec', 'containers')).toEqual([
      { name: 'web', image: 'nginx', args: ['-g', '-c', 'daemon off;'] },
    ]);
  });

  it('"-" appends to an array and negative indexes count from the end', () => {
    const out = applyJsonPatch(deployment(), [
      { op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'third' } },
      { op: 'replace', path: '/spec/template/spec/containers/-1/name', value: 'last' },
      { op: 'add', path: '/spec/template/spec/containers/0/args/-1', value: 'x' },
    ]);
    const cs = at(out, 'spec', 'template', 'spec', 'containers');
    expect(cs.map((c: any) => c.name)).toEqual(['web', 'log', 'last']);
    expect(cs[0].args).toEqual(['-g', 'daemon off;', 'x']);
  });

  it('~1 and ~0 escape "/" and "~" in member names, as annotation keys need', () => {
    const out = applyJsonPatch(deployment(), [
      { op: 'replace', path: '/metadata/annotations/example.com~1note', value: 'bye' },
      { op: 'remove', path: '/metadata/annotations/a~0b' },
    ]);
    expect(at(out, 'metadata', 'annotations')).toEqual({ 'example.com/note': 'bye' });
  });

  it('move and copy', () => {
    const out = applyJsonPatch(deployment(), [
      { op: 'copy', from: '/metadata/labels', path: '/spec/template/metadata' },
      { op: 'move', from: '/spec/template/metadata', path: '/spec/selector' },
    ]);
    expect(at(out, 'spec', 'selector')).toEqual({ app: 'web' });
    expect(at(out, 'spec', 'template', 'metadata')).toBeUndefined();
    expect(at(out, 'metadata', 'labels')).toEqual({ app: 'web' });
  });

  it('test guards the patch: a match lets it through, a mismatch fails it as a whole', () => {
    const ok = applyJsonPatch(deployment(), [
      { op: 'test', path: '/spec/replicas', value: 2 },
      { op: 'replace', path: '/spec/replicas', value: 5 },
    ]);
    expect(at(ok, 'spec', 'replicas')).toBe(5);

    const doc = deployment();
    const e = failure(
      [
        { op: 'replace', path: '/spec/replicas', value: 5 },
        { op: 'test', path: '/spec/replicas', value: 2 },
      ],
      doc,
    );
    expect(e.detail).toBe('testing value /spec/replicas failed: test failed');
    expect(doc.spec.replicas).toBe(2);
  });

  it('replace of a missing member adds it, as the server library does; replace of a missing index fails', () => {
    expect(
      at(
        applyJsonPatch(deployment(), [{ op: 'replace', path: '/spec/paused', value: true }]),
        'spec',
        'paused',
      ),
    ).toBe(true);
    expect(failure([{ op: 'replace', path: '/spec/template/spec/containers/5', value: {} }]).detail).toBe(
      'replace operation does not apply: doc is missing key: /spec/template/spec/containers/5: missing value',
    );
  });
});

describe('JSON patch failures', () => {
  it('are the 422 the server sends, with its generic message; the library text is kept as detail', () => {
    const e = failure([{ op: 'remove', path: '/spec/paused' }]);
    expect(e.toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server rejected our request due to an error in our request',
      reason: 'Invalid',
      details: {},
      code: 422,
    });
    expect(e.detail).toBe(
      "error in remove for path: '/spec/paused': Unable to remove nonexistent key: paused: missing value",
    );
  });

  it.each([
    [
      { op: 'add', path: '/spec/nope/x', value: 1 },
      'add operation does not apply: doc is missing path: "/spec/nope/x": missing value',
    ],
    [
      { op: 'remove', path: '/spec/nope/x' },
      'remove operation does not apply: doc is missing path: "/spec/nope/x": missing value',
    ],
    [
      { op: 'replace', path: '/spec/nope/x', value: 1 },
      'replace operation does not apply: doc is missing path: /spec/nope/x: missing value',
    ],
    [
      { op: 'move', from: '/spec/nope/x', path: '/a' },
      'move operation does not apply: doc is missing from path: /spec/nope/x: missing value',
    ],
    [
      { op: 'copy', from: '/spec/replicas', path: '/nope/x' },
      'copy operation does not apply: doc is missing destination path: /nope/x: missing value',
    ],
    [
      { op: 'test', path: '/spec/nope/x', value: 1 },
      'test operation does not apply: is missing path: /spec/nope/x: missing value',
    ],
    [
      { op: 'add', path: '/spec/template/spec/containers/9', value: {} },
      "error in add for path: '/spec/template/spec/containers/9': Unable to access invalid index: 9: invalid index referenced",
    ],
    [
      { op: 'add', path: '/spec/template/spec/containers/x', value: {} },
      `error in add for path: '/spec/template/spec/containers/x': value was not a proper array index: 'x': strconv.Atoi: parsing "x": invalid syntax`,
    ],
    [{ op: 'frobnicate', path: '/spec' }, 'Unexpected kind: frobnicate'],
    [{ path: '/spec' }, 'Unexpected kind: unknown'],
  ])('%j fails with "%s"', (op, detail) => {
    const e = failure([op]);
    expect(e.code).toBe(422);
    expect(e.detail).toBe(detail);
  });

  it('a body that is not a list of operations is a 400 with the decoder message', () => {
    const e = failure({ op: 'add' });
    expect(e.code).toBe(400);
    expect(e.message).toBe('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    expect(failure(['add']).message).toBe(
      'json: cannot unmarshal string into Go value of type jsonpatch.Operation',
    );
  });

  it('more than 10000 operations are refused with 413', () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/spec/replicas', value: 2 }));
    const e = failure(ops);
    expect(e.code).toBe(413);
    expect(e.message).toBe(
      'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001',
    );
  });
});
