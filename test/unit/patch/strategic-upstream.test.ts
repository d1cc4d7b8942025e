/**
 * Cases from the upstream strategic merge patch test suite (k8s.io/apimachinery strategicpatch),
 * restated as data: inputs and the results the upstream library produces. They pin down item
 * order, duplicates and directive handling where the rules are easiest to get subtly wrong.
 */
import { describe, expect, it } from 'vitest';
import {
  applyStrategicMergePatch,
  computeStrategicMergePatch,
  type JsonObject,
} from '../../../labs/apiserver/patch/index.ts';
import type { FieldDef } from '../../../labs/apiserver/schema/types.ts';
import { schemaOf } from './fixtures.ts';

const ITEM = 'test.MergeItem';
const RETAIN = 'test.RetainKeysMergeItem';
const f = (name: string, type: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  proto: 0,
  type,
  ...extra,
});
const merging = (name: string) => f(name, ITEM, { list: true, patchStrategy: 'merge', mergeKey: 'name' });

/** The upstream test type: every kind of list and map a patch can meet. */
const schema = schemaOf([
  {
    name: ITEM,
    fields: [
      f('name', 'string'),
      f('value', 'string'),
      f('other', 'string'),
      merging('mergingList'),
      f('nonMergingList', ITEM, { list: true }),
      f('mergingIntList', 'int64', { list: true, patchStrategy: 'merge' }),
      f('nonMergingIntList', 'int64', { list: true }),
      f('simpleMap', 'string', { map: true }),
      f('retainKeysMap', RETAIN, { patchStrategy: 'retainKeys' }),
      f('retainKeysMergingList', ITEM, { list: true, patchStrategy: 'merge,retainKeys', mergeKey: 'name' }),
    ],
  },
  {
    name: RETAIN,
    fields: [
      f('name', 'string'),
      f('value', 'string'),
      f('other', 'string'),
      f('simpleMap', 'string', { map: true }),
      f('mergingIntList', 'int64', { list: true, patchStrategy: 'merge' }),
      merging('mergingList'),
      f('nonMergingList', ITEM, { list: true }),
    ],
  },
]);

const APPLY: [string, unknown, unknown, unknown][] = [
  [
    'an added item goes after a live-only item that the deletion of another left in place (two-way)',
    { mergingList: [{ name: 1 }, { name: 2 }] },
    {
      '$setElementOrder/mergingList': [{ name: 2 }, { name: 3 }],
      mergingList: [{ name: 3 }, { name: 1, $patch: 'delete' }],
    },
    { mergingList: [{ name: 2 }, { name: 3 }] },
  ],
  [
    'an added item goes after a live-only item that the deletion of another left in place (live object)',
    { mergingList: [{ name: 1 }, { name: 2, other: 'b' }, { name: 4, other: 'c' }] },
    {
      '$setElementOrder/mergingList': [{ name: 2 }, { name: 3 }],
      mergingList: [{ name: 3 }, { name: 1, $patch: 'delete' }],
    },
    { mergingList: [{ name: 2, other: 'b' }, { name: 4, other: 'c' }, { name: 3 }] },
  ],
  [
    'added items follow live-only ones when the deleted item was first (live object)',
    {
      mergingList: [
        { name: 1, other: 'a' },
        { name: 4, other: 'c' },
      ],
    },
    {
      '$setElementOrder/mergingList': [{ name: 2 }, { name: 3 }],
      mergingList: [{ name: 2 }, { name: 3 }, { name: 1, $patch: 'delete' }],
    },
    { mergingList: [{ name: 4, other: 'c' }, { name: 2 }, { name: 3 }] },
  ],
  [
    'deleting an item the live list no longer has still adds the new one ahead of live-only items (live object)',
    { mergingList: [{ name: 3, other: 'a' }] },
    {
      '$setElementOrder/mergingList': [{ name: 2 }],
      mergingList: [{ name: 2 }, { name: 1, $patch: 'delete' }],
    },
    { mergingList: [{ name: 2 }, { name: 3, other: 'a' }] },
  ],
  [
    'new items land where $setElementOrder puts them around the live ones (two-way)',
    { mergingList: [{ name: 1 }, { name: 2, value: 2 }] },
    {
      '$setElementOrder/mergingList': [{ name: 4 }, { name: 1 }, { name: 2 }, { name: 3 }],
      mergingList: [
        { name: 4, value: 4 },
        { name: 3, value: 3 },
      ],
    },
    { mergingList: [{ name: 4, value: 4 }, { name: 1 }, { name: 2, value: 2 }, { name: 3, value: 3 }] },
  ],
  [
    'new items land where $setElementOrder puts them around the live ones (live object)',
    {
      mergingList: [
        { name: 1, other: 'a' },
        { name: 2, value: 2, other: 'b' },
      ],
    },
    {
      '$setElementOrder/mergingList': [{ name: 4 }, { name: 1 }, { name: 2 }, { name: 3 }],
      mergingList: [
        { name: 4, value: 4 },
        { name: 3, value: 3 },
      ],
    },
    {
      mergingList: [
        { name: 4, value: 4 },
        { name: 1, other: 'a' },
        { name: 2, value: 2, other: 'b' },
        { name: 3, value: 3 },
      ],
    },
  ],
  [
    'an item the live list lacks is added between the ordered items and the live-only ones (live object)',
    {
      mergingList: [
        { name: 1, other: 'a' },
        { name: 3, value: 2, other: 'b' },
      ],
    },
    {
      '$setElementOrder/mergingList': [{ name: 1 }, { name: 2 }],
      mergingList: [
        { name: 1, value: 1 },
        { name: 2, value: 2 },
      ],
    },
    {
      mergingList: [
        { name: 1, value: 1, other: 'a' },
        { name: 2, value: 2 },
        { name: 3, value: 2, other: 'b' },
      ],
    },
  ],
  [
    'primitive lists: additions, $deleteFromPrimitiveList and order together (two-way)',
    { mergingIntList: [1, 2, 3] },
    {
      '$setElementOrder/mergingIntList': [1, 2, 4],
      '$deleteFromPrimitiveList/mergingIntList': [3],
      mergingIntList: [4],
    },
    { mergingIntList: [1, 2, 4] },
  ],
  [
    'primitive lists: additions, $deleteFromPrimitiveList and order together (live object)',
    { mergingIntList: [1, 2, 3, 4] },
    { '$setElementOrder/mergingIntList': [1, 2, 4], '$deleteFromPrimitiveList/mergingIntList': [3] },
    { mergingIntList: [1, 2, 4] },
  ],
  [
    'a parallel deletion removes every copy of a value (live object)',
    { mergingIntList: [1, 2, 3, 3, 4] },
    { '$setElementOrder/mergingIntList': [1, 2], '$deleteFromPrimitiveList/mergingIntList': [3] },
    { mergingIntList: [1, 2, 4] },
  ],
  [
    'a list copied into an object that lacks it loses its $patch: delete items (two-way)',
    { name: 'hi' },
    { mergingList: [{ name: 'hello' }, { $patch: 'delete', name: 'doesntexist' }] },
    { name: 'hi', mergingList: [{ name: 'hello' }] },
  ],
  [
    'a list copied into an object that lacks it loses its $patch: delete items (live object)',
    { name: 'hi', mergingList: [{ name: 'hello2' }] },
    {
      '$setElementOrder/mergingList': [{ name: 'hello' }, { name: 'doesntexist' }],
      mergingList: [{ name: 'hello' }, { $patch: 'delete', name: 'doesntexist' }],
    },
    { name: 'hi', mergingList: [{ name: 'hello' }, { name: 'hello2' }] },
  ],
  [
    'without a directive, merged items follow the patch order and live-only items keep their relative place (two-way)',
    { mergingList: [{ name: 1 }, { name: 2, value: 'b' }, { name: 3 }] },
    {
      mergingList: [
        { name: 3, value: 'c' },
        { name: 1, value: 'a' },
      ],
    },
    {
      mergingList: [
        { name: 2, value: 'b' },
        { name: 3, value: 'c' },
        { name: 1, value: 'a' },
      ],
    },
  ],
  [
    'all items named by the patch: the patch order wins (two-way)',
    { mergingList: [{ name: 1 }, { name: 2, value: 'b' }, { name: 3 }] },
    {
      mergingList: [
        { name: 3, value: 'c' },
        { name: 1, value: 'a' },
        { name: 2, other: 'x' },
      ],
    },
    {
      mergingList: [
        { name: 3, value: 'c' },
        { name: 1, value: 'a' },
        { name: 2, value: 'b', other: 'x' },
      ],
    },
  ],
  [
    'primitive merge lists follow the patch order too (two-way)',
    { mergingIntList: [1, 2, 3] },
    { mergingIntList: [3, 1] },
    { mergingIntList: [2, 3, 1] },
  ],
  [
    '$setElementOrder may name items that exist nowhere (two-way)',
    { mergingList: [{ name: 1 }, { name: 3 }] },
    {
      '$setElementOrder/mergingList': [{ name: 3 }, { name: 2 }, { name: 1 }],
      mergingList: [
        { name: 3, value: 3 },
        { name: 1, value: 1 },
      ],
    },
    {
      mergingList: [
        { name: 3, value: 3 },
        { name: 1, value: 1 },
      ],
    },
  ],
  [
    '$setElementOrder alone reorders a primitive list (two-way)',
    { mergingIntList: [1, 3] },
    { '$setElementOrder/mergingIntList': [3, 2, 1] },
    { mergingIntList: [3, 1] },
  ],
  [
    '$patch: delete removes duplicates of the key (two-way)',
    { mergingList: [{ name: 1 }, { name: 1 }, { name: 2, value: 'a' }, { name: 3 }, { name: 3 }] },
    {
      mergingList: [
        { name: 1, $patch: 'delete' },
        { name: 3, $patch: 'delete' },
      ],
    },
    { mergingList: [{ name: 2, value: 'a' }] },
  ],
  [
    'a lone $patch: replace item empties the list (two-way)',
    { mergingList: [{ name: 1 }, { name: 2 }] },
    { mergingList: [{ $patch: 'replace' }] },
    { mergingList: [] },
  ],
  [
    '$patch: delete on a map leaves it empty (two-way)',
    { simpleMap: { key1: 1, key2: 1 } },
    { simpleMap: { $patch: 'delete' } },
    { simpleMap: {} },
  ],
  [
    '$patch: replace at the top replaces the whole object (two-way)',
    { name: 1, value: 1 },
    { other: 'a', $patch: 'replace' },
    { other: 'a' },
  ],
  [
    'nulls delete inside a nested map while other keys merge (two-way)',
    { simpleMap: { key1: 1, key2: 1 } },
    { simpleMap: { key2: null } },
    { simpleMap: { key1: 1 } },
  ],
  [
    'nulls delete inside a nested map while other keys merge (live object)',
    { simpleMap: { key1: 'a', key2: 1, other: 'a' } },
    { simpleMap: { key1: 1, key2: null } },
    { simpleMap: { key1: 1, other: 'a' } },
  ],
  [
    '$deleteFromPrimitiveList works on a list without the merge strategy (two-way)',
    { nonMergingIntList: [1, 2, 3] },
    { '$deleteFromPrimitiveList/nonMergingIntList': [2] },
    { nonMergingIntList: [1, 3] },
  ],
  [
    '$deleteFromPrimitiveList on an absent list adds nothing (two-way)',
    { foo: ['bar'] },
    { '$deleteFromPrimitiveList/mergingIntList': [3] },
    { foo: ['bar'] },
  ],
  [
    'a null in the patch for an absent key leaves nothing behind (two-way)',
    { name: 2 },
    { name: 1, value: 1, other: null },
    { name: 1, value: 1 },
  ],
  [
    'an empty map patch on a retainKeys field changes nothing (two-way)',
    { retainKeysMap: { name: 'foo', value: 'a' } },
    { retainKeysMap: {} },
    { retainKeysMap: { name: 'foo', value: 'a' } },
  ],
  [
    'duplicates in a merge list are grouped where the first one is ordered (two-way)',
    {
      mergingList: [
        { name: 1 },
        { name: 2, value: 'dup1' },
        { name: 3 },
        { name: 2, value: 'dup2' },
        { name: 4 },
      ],
    },
    { '$setElementOrder/mergingList': [{ name: 2 }, { name: 1 }, { name: 4 }, { name: 3 }, { name: 2 }] },
    {
      mergingList: [
        { name: 2, value: 'dup1' },
        { name: 2, value: 'dup2' },
        { name: 1 },
        { name: 4 },
        { name: 3 },
      ],
    },
  ],
  [
    'duplicate values in a primitive list are grouped the same way (two-way)',
    { mergingIntList: [1, 2, 3, 2, 4] },
    { '$setElementOrder/mergingIntList': [2, 1, 4, 3, 2] },
    { mergingIntList: [2, 2, 1, 4, 3] },
  ],
  [
    '$retainKeys clears a field the live object had and the patch does not list (two-way)',
    {},
    { retainKeysMap: { other: 'bar' } },
    { retainKeysMap: { other: 'bar' } },
  ],
  [
    '$retainKeys clears a field the live object had and the patch does not list (live object)',
    { retainKeysMap: { value: 'foo' } },
    { retainKeysMap: { $retainKeys: ['other'], other: 'bar' } },
    { retainKeysMap: { other: 'bar' } },
  ],
  [
    '$retainKeys keeps listed fields and drops others while adding one (two-way)',
    { retainKeysMap: { name: 'foo' } },
    { retainKeysMap: { $retainKeys: ['name', 'value'], value: 'bar' } },
    { retainKeysMap: { name: 'foo', value: 'bar' } },
  ],
  [
    '$retainKeys keeps listed fields and drops others while adding one (live object)',
    { retainKeysMap: { name: 'foo', other: 'a' } },
    { retainKeysMap: { $retainKeys: ['name', 'value'], value: 'bar' } },
    { retainKeysMap: { name: 'foo', value: 'bar' } },
  ],
  [
    '$retainKeys with a null deletes the field (two-way)',
    { retainKeysMap: { name: 'foo', value: 'bar' } },
    { retainKeysMap: { $retainKeys: ['name'], value: null } },
    { retainKeysMap: { name: 'foo' } },
  ],
  [
    '$retainKeys with a null deletes the field (live object)',
    { retainKeysMap: { name: 'foo', value: 'bar', other: 'a' } },
    { retainKeysMap: { $retainKeys: ['name'], value: null } },
    { retainKeysMap: { name: 'foo' } },
  ],
  [
    '$retainKeys with nested map changes (two-way)',
    { retainKeysMap: { name: 'foo', value: 'bar', simpleMap: { key1: 'a', key2: 'b' } } },
    { retainKeysMap: { $retainKeys: ['name', 'simpleMap', 'value'], simpleMap: { key2: null } } },
    { retainKeysMap: { name: 'foo', value: 'bar', simpleMap: { key1: 'a' } } },
  ],
  [
    '$retainKeys with nested map changes (live object)',
    { retainKeysMap: { name: 'foo', value: 'bar', simpleMap: { key1: 'a', key2: 'b', key3: 'c' } } },
    { retainKeysMap: { $retainKeys: ['name', 'simpleMap', 'value'], simpleMap: { key2: null } } },
    { retainKeysMap: { name: 'foo', value: 'bar', simpleMap: { key1: 'a', key3: 'c' } } },
  ],
  [
    '$retainKeys next to an added value of a nested primitive list (two-way)',
    { retainKeysMap: { name: 'foo', mergingIntList: [1, 2] } },
    {
      retainKeysMap: {
        '$setElementOrder/mergingIntList': [1, 2, 4],
        $retainKeys: ['mergingIntList', 'name'],
        mergingIntList: [4],
      },
    },
    { retainKeysMap: { name: 'foo', mergingIntList: [1, 2, 4] } },
  ],
  [
    '$retainKeys next to an added value of a nested primitive list (live object)',
    { retainKeysMap: { name: 'foo', mergingIntList: [1, 2, 3] } },
    {
      retainKeysMap: {
        '$setElementOrder/mergingIntList': [1, 2, 4],
        $retainKeys: ['mergingIntList', 'name'],
        mergingIntList: [4],
      },
    },
    { retainKeysMap: { name: 'foo', mergingIntList: [1, 2, 4, 3] } },
  ],
  [
    '$retainKeys next to a deletion from a nested primitive list (two-way)',
    { retainKeysMap: { name: 'foo', mergingIntList: [1, 2, 3] } },
    {
      retainKeysMap: {
        $retainKeys: ['mergingIntList', 'name'],
        '$deleteFromPrimitiveList/mergingIntList': [2],
        '$setElementOrder/mergingIntList': [1, 3],
      },
    },
    { retainKeysMap: { name: 'foo', mergingIntList: [1, 3] } },
  ],
  [
    '$retainKeys next to removal of a nested replaced list (two-way)',
    { retainKeysMap: { name: 'foo', nonMergingList: [{ name: 'a' }, { name: 'b' }] } },
    { retainKeysMap: { $retainKeys: ['name', 'value'], value: 'bar', nonMergingList: null } },
    { retainKeysMap: { name: 'foo', value: 'bar' } },
  ],
];

const DIFF: [string, unknown, unknown, unknown][] = [
  [
    'an added item goes after a live-only item that the deletion of another left in place',
    { mergingList: [{ name: 1 }, { name: 2 }] },
    { mergingList: [{ name: 2 }, { name: 3 }] },
    {
      '$setElementOrder/mergingList': [{ name: 2 }, { name: 3 }],
      mergingList: [{ name: 3 }, { name: 1, $patch: 'delete' }],
    },
  ],
  [
    'new items land where $setElementOrder puts them around the live ones',
    { mergingList: [{ name: 1 }, { name: 2, value: 2 }] },
    { mergingList: [{ name: 4, value: 4 }, { name: 1 }, { name: 2, value: 2 }, { name: 3, value: 3 }] },
    {
      '$setElementOrder/mergingList': [{ name: 4 }, { name: 1 }, { name: 2 }, { name: 3 }],
      mergingList: [
        { name: 4, value: 4 },
        { name: 3, value: 3 },
      ],
    },
  ],
  [
    'primitive lists: additions, $deleteFromPrimitiveList and order together',
    { mergingIntList: [1, 2, 3] },
    { mergingIntList: [1, 2, 4] },
    {
      '$setElementOrder/mergingIntList': [1, 2, 4],
      '$deleteFromPrimitiveList/mergingIntList': [3],
      mergingIntList: [4],
    },
  ],
  [
    'nulls delete inside a nested map while other keys merge',
    { simpleMap: { key1: 1, key2: 1 } },
    { simpleMap: { key1: 1 } },
    { simpleMap: { key2: null } },
  ],
  [
    'a null in the patch for an absent key leaves nothing behind',
    { name: 2 },
    { name: 1, value: 1, other: null },
    { name: 1, value: 1, other: null },
  ],
  [
    '$retainKeys clears a field the live object had and the patch does not list',
    {},
    { retainKeysMap: { other: 'bar' } },
    { retainKeysMap: { other: 'bar' } },
  ],
  [
    '$retainKeys keeps listed fields and drops others while adding one',
    { retainKeysMap: { name: 'foo' } },
    { retainKeysMap: { name: 'foo', value: 'bar' } },
    { retainKeysMap: { $retainKeys: ['name', 'value'], value: 'bar' } },
  ],
  [
    '$retainKeys with a null deletes the field',
    { retainKeysMap: { name: 'foo', value: 'bar' } },
    { retainKeysMap: { name: 'foo' } },
    { retainKeysMap: { $retainKeys: ['name'], value: null } },
  ],
  [
    '$retainKeys with nested map changes',
    { retainKeysMap: { name: 'foo', value: 'bar', simpleMap: { key1: 'a', key2: 'b' } } },
    { retainKeysMap: { name: 'foo', value: 'bar', simpleMap: { key1: 'a' } } },
    { retainKeysMap: { $retainKeys: ['name', 'simpleMap', 'value'], simpleMap: { key2: null } } },
  ],
  [
    '$retainKeys next to an added value of a nested primitive list',
    { retainKeysMap: { name: 'foo', mergingIntList: [1, 2] } },
    { retainKeysMap: { name: 'foo', mergingIntList: [1, 2, 4] } },
    {
      retainKeysMap: {
        '$setElementOrder/mergingIntList': [1, 2, 4],
        $retainKeys: ['mergingIntList', 'name'],
        mergingIntList: [4],
      },
    },
  ],
  [
    '$retainKeys next to a deletion from a nested primitive list',
    { retainKeysMap: { name: 'foo', mergingIntList: [1, 2, 3] } },
    { retainKeysMap: { name: 'foo', mergingIntList: [1, 3] } },
    {
      retainKeysMap: {
        $retainKeys: ['mergingIntList', 'name'],
        '$deleteFromPrimitiveList/mergingIntList': [2],
        '$setElementOrder/mergingIntList': [1, 3],
      },
    },
  ],
  [
    '$retainKeys next to removal of a nested replaced list',
    { retainKeysMap: { name: 'foo', nonMergingList: [{ name: 'a' }, { name: 'b' }] } },
    { retainKeysMap: { name: 'foo', value: 'bar' } },
    { retainKeysMap: { $retainKeys: ['name', 'value'], value: 'bar', nonMergingList: null } },
  ],
];

const ERRORS: [string, unknown, unknown, string][] = [
  [
    'a patch list ordered against its $setElementOrder is refused',
    { mergingList: [{ name: 1 }, { name: 3 }, { name: 2 }] },
    {
      '$setElementOrder/mergingList': [{ name: 1 }, { name: 2 }, { name: 3 }],
      mergingList: [
        { name: 3, value: 3 },
        { name: 1, value: 1 },
      ],
    },
    "doesn't match",
  ],
  [
    'a merge list item without the merge key is refused',
    { mergingList: [{ name: 1, value: 'a' }] },
    { mergingList: [{ value: 'b' }] },
    'does not contain declared merge key',
  ],
];

describe('upstream strategic merge patch cases', () => {
  it.each(APPLY)('apply: %s', (_name, original, patch, expected) => {
    expect(applyStrategicMergePatch(original as JsonObject, patch, ITEM, schema)).toEqual(expected);
  });

  it.each(DIFF)('diff: %s', (_name, original, modified, expected) => {
    expect(computeStrategicMergePatch(original as JsonObject, modified as JsonObject, ITEM, schema)).toEqual(
      expected,
    );
  });

  it.each(ERRORS)('error: %s', (_name, original, patch, message) => {
    expect(() => applyStrategicMergePatch(original as JsonObject, patch, ITEM, schema)).toThrowError(message);
  });
});
