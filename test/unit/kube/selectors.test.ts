import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../labs/kube/errors.ts';
import {
  matchesFields,
  matchesSelector,
  parseFieldSelector,
  parseLabelSelector,
  selectorFromObject,
} from '../../../labs/kube/selectors.ts';

describe('label selectors', () => {
  it('match equality, inequality, set and existence requirements as kubectl sends them', () => {
    const sel = parseLabelSelector('app=web,tier!=db,env in (prod, staging),!canary,team');
    expect(matchesSelector(sel, { app: 'web', env: 'prod', team: 'a' })).toBe(true);
    expect(matchesSelector(sel, { app: 'web', env: 'prod', team: 'a', tier: 'db' })).toBe(false);
    expect(matchesSelector(sel, { app: 'web', env: 'dev', team: 'a' })).toBe(false);
    expect(matchesSelector(sel, { app: 'web', env: 'prod', team: 'a', canary: 'yes' })).toBe(false);
    expect(matchesSelector(sel, { app: 'web', env: 'prod' })).toBe(false);
  });

  it('treats != and notin as true when the label is absent', () => {
    expect(matchesSelector(parseLabelSelector('tier!=db'), {})).toBe(true);
    expect(matchesSelector(parseLabelSelector('tier notin (db)'), {})).toBe(true);
  });

  it('rejects malformed selectors with a 400', () => {
    expect(() => parseLabelSelector('app=we b')).toThrow(ApiError);
    expect(() => parseLabelSelector('=x')).toThrow(/unable to parse requirement/);
  });

  it('turns workload selectors with matchExpressions into requirements', () => {
    const sel = selectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [{ key: 'track', operator: 'NotIn', values: ['canary'] }],
    });
    expect(matchesSelector(sel, { app: 'web', track: 'stable' })).toBe(true);
    expect(matchesSelector(sel, { app: 'web', track: 'canary' })).toBe(false);
  });
});

describe('field selectors', () => {
  it('support the chained != form kubectl describe node sends', () => {
    const reqs = parseFieldSelector('spec.nodeName=n1,status.phase!=Succeeded,status.phase!=Failed');
    expect(matchesFields(reqs, { 'spec.nodeName': 'n1', 'status.phase': 'Running' })).toBe(true);
    expect(matchesFields(reqs, { 'spec.nodeName': 'n1', 'status.phase': 'Failed' })).toBe(false);
    expect(matchesFields(reqs, { 'spec.nodeName': 'n2', 'status.phase': 'Running' })).toBe(false);
  });
});
