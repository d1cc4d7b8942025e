/** The schema language scenario.yaml is checked with: every problem, with the path where it is. */
import { describe, expect, it } from 'vitest';
import {
  array,
  boolean,
  integer,
  object,
  oneOf,
  optional,
  record,
  string,
  validate,
  variant,
} from '../../../labs/scenarios/schema.ts';

const check = object({
  id: string({ pattern: /^[a-z-]+$/, describe: 'a check id' }),
  kind: oneOf(['outcome', 'constraint'] as const),
  timeoutMs: optional(integer({ min: 100 })),
  tags: optional(array(string(), { unique: true })),
});
const doc = object({ name: string(), checks: array(check, { min: 1 }), enabled: optional(boolean()) });

function issues(value: unknown) {
  const r = validate(doc, value);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
}

describe('scenario schema language', () => {
  it('passes a valid document through with its types', () => {
    const r = validate(doc, { name: 'x', checks: [{ id: 'a-b', kind: 'outcome' }] });
    expect(r).toEqual({ ok: true, value: { name: 'x', checks: [{ id: 'a-b', kind: 'outcome' }] } });
  });

  it('names the path of every problem at once', () => {
    expect(
      issues({
        checks: [
          { id: 'ok', kind: 'outcome' },
          { id: 'Bad_Id', kind: 'outcom', timeoutMs: 5 },
        ],
        extra: 1,
      }),
    ).toEqual([
      'extra: unknown field (expected one of: name, checks, enabled)',
      'name: is missing (expected a string)',
      'checks[1].id: "Bad_Id" is not a check id',
      'checks[1].kind: is "outcom" (expected one of: outcome, constraint)',
      'checks[1].timeoutMs: is 5 (expected a whole number of at least 100)',
    ]);
  });

  it('says what was found when the type is wrong', () => {
    expect(issues({ name: 3, checks: {} })).toEqual([
      'name: is number 3 (expected a string)',
      'checks: is a mapping (expected a list of a mapping with id, kind, timeoutMs, tags)',
    ]);
    expect(issues({ name: '', checks: [] })).toEqual([
      'name: is empty (expected a string)',
      'checks: has 0 entries (expected at least 1)',
    ]);
  });

  it('finds repeated entries in a list that must be unique', () => {
    expect(issues({ name: 'x', checks: [{ id: 'a', kind: 'outcome', tags: ['x', 'y', 'x'] }] })).toEqual([
      'checks[0].tags[2]: repeats checks[0].tags[0] ("x")',
    ]);
  });

  it('tells mappings apart by the key they name', () => {
    const d = variant<{ restart: string } | { reboot: string[] }>({
      restart: object({ restart: string() }),
      reboot: object({ reboot: array(string()) }),
    });
    expect(validate(d, { reboot: ['a'] })).toEqual({ ok: true, value: { reboot: ['a'] } });
    const both = validate(d, { restart: 'x', reboot: [] });
    expect(both.ok ? [] : both.issues).toEqual([
      { path: '', message: 'names restart and reboot (expected exactly one of: restart, reboot)' },
    ]);
    const none = validate(d, { stop: 1 });
    expect(none.ok ? [] : none.issues[0].message).toBe('names none of: restart, reboot');
  });

  it('checks the keys and values of a record', () => {
    const r = validate(record(integer(), { key: /^[a-z]+$/, keyDescribe: 'lowercase' }), {
      ok: 1,
      Bad: 2,
      x: 'y',
    });
    expect(r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'Bad: key is not lowercase',
      'x: is "y" (expected a whole number)',
    ]);
  });
});
