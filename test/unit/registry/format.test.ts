import { describe, expect, it } from 'vitest';
import { humanDuration } from '../../../labs/registry/lib/duration.ts';
import { isDNS1123Label, isQualifiedName, isValidPortName } from '../../../labs/registry/lib/names.ts';

describe('ages as kubectl prints them', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  it.each([
    [-3 * s, '<invalid>'],
    [-1 * s, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [2 * m + 3 * s, '2m3s'],
    [5 * m, '5m'],
    [15 * m + 30 * s, '15m'],
    [3 * h, '3h'],
    [3 * h + 4 * m, '3h4m'],
    [20 * h, '20h'],
    [47 * h, '47h'],
    [5 * d, '5d'],
    [5 * d + 3 * h, '5d3h'],
    [300 * d, '300d'],
    [2 * 365 * d + 30 * d, '2y30d'],
    [10 * 365 * d, '10y'],
  ])('%d ms -> %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('name and key checks', () => {
  it('tells a subdomain from a label', () => {
    expect(isDNS1123Label('web-1')).toEqual([]);
    expect(isDNS1123Label('a'.repeat(64))).toEqual(['must be no more than 63 characters']);
  });

  it('explains bad qualified names part by part', () => {
    expect(isQualifiedName('example.com/')).toEqual([
      'name part must be non-empty',
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]);
    expect(isQualifiedName('a/b/c')[0]).toMatch(/^a qualified name must consist of/);
  });

  it('checks IANA port names', () => {
    expect(isValidPortName('http')).toEqual([]);
    expect(isValidPortName('8080')).toEqual(['must contain at least one letter (a-z)']);
  });
});
