/** What `labctl scenarios` and `labctl up` can build: environments, and scenario folders with a scenario.yaml. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  classify,
  listEnvironments,
  listScenarios,
  resolveTarget,
  UnknownTargetError,
} from '../../../labs/daemon/catalogue.ts';

const dir = mkdtempSync(join(tmpdir(), 'svcl-catalogue-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the catalogue', () => {
  it('lists scenario folders that have a scenario.yaml, with their title and environment', () => {
    mkdirSync(join(dir, 'hairpin-off'));
    writeFileSync(
      join(dir, 'hairpin-off', 'scenario.yaml'),
      'title: A pod cannot reach itself\nenvironment: virtualbox-3node\n',
    );
    mkdirSync(join(dir, 'untitled'));
    writeFileSync(join(dir, 'untitled', 'scenario.yaml'), ': not yaml [');
    mkdirSync(join(dir, 'drafts'));
    writeFileSync(join(dir, 'README.md'), 'not a scenario');
    expect(listScenarios(dir)).toEqual([
      { name: 'hairpin-off', title: 'A pod cannot reach itself', environment: 'virtualbox-3node' },
      { name: 'untitled', title: 'untitled', environment: undefined },
    ]);
    expect(listScenarios(join(dir, 'missing'))).toEqual([]);
  });

  it('lists the environments from the seeds', () => {
    expect(listEnvironments().map((e) => e.name)).toEqual(['virtualbox-3node', 'two-master-business']);
  });

  it('resolves an environment to its topology and refuses unknown names with the valid ones', () => {
    expect(classify('two-master-business')).toEqual({ environment: 'two-master-business' });
    const target = resolveTarget({ environment: 'virtualbox-3node' });
    expect(target.topology.nodes.map((n) => n.name)).toEqual(['ubuntu01', 'ubuntu02', 'ubuntu03']);
    const err = (() => {
      try {
        classify('virtualbox-4node');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnknownTargetError);
    expect((err as UnknownTargetError).valid).toEqual(
      expect.arrayContaining(['virtualbox-3node', 'two-master-business']),
    );
  });
});
