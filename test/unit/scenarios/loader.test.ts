/**
 * Reading scenario folders: a broken folder is refused with every problem named by file and
 * field, and the four scenarios of the product load with all their modules.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  listScenarioIds,
  loadScenario,
  readScenarioSpec,
  ScenarioError,
} from '../../../labs/scenarios/loader.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'config-demo');
const temps: string[] = [];

afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** A copy of the fixture in a fresh directory (named config-demo, as its id says), changed by `edit`. */
function copy(edit: (dir: string, doc: any) => void = () => {}, name = 'config-demo'): string {
  const root = mkdtempSync(join(tmpdir(), 'svcl-t-scenario-'));
  temps.push(root);
  const dir = join(root, name);
  cpSync(FIXTURE, dir, { recursive: true });
  // Modules of the copy import the engine by relative path: point them back at the repository.
  for (const f of ['inject.ts', 'checks.ts', 'wrong-fixes/recreate-config.ts']) {
    const p = join(dir, f);
    writeFileSync(
      p,
      readFileSync(p, 'utf8').replace(/(\.\.\/)+labs\//g, `${join(import.meta.dirname, '../../../labs')}/`),
    );
  }
  const doc = parse(readFileSync(join(dir, 'scenario.yaml'), 'utf8'));
  edit(dir, doc);
  writeFileSync(join(dir, 'scenario.yaml'), stringify(doc));
  return dir;
}

async function problems(dir: string): Promise<string[]> {
  try {
    await loadScenario(dir);
  } catch (e) {
    if (e instanceof ScenarioError) return e.problems;
    throw e;
  }
  return [];
}

describe('scenario folders that are not valid', () => {
  it('a check pointing at a hint that does not exist', async () => {
    const dir = copy((_d, doc) => {
      doc.checks[1].hint = 'h9';
    });
    expect(await problems(dir)).toEqual([
      `${join(dir, 'scenario.yaml')}: checks[1].hint: hint "h9" is not defined (defined: h1, h2, h3)`,
    ]);
  });

  it('a folder without its injection module', async () => {
    const dir = copy((d) => rmSync(join(d, 'inject.ts')));
    const found = await problems(dir);
    expect(found).toEqual([`${join(dir, 'scenario.yaml')}: inject.ts is missing from the scenario folder`]);
    await expect(loadScenario(dir)).rejects.toThrow(ScenarioError);
  });

  it('a check declared but not implemented, and one implemented but not declared', async () => {
    const dir = copy((d) => {
      const p = join(d, 'checks.ts');
      writeFileSync(p, readFileSync(p, 'utf8').replace("'pods-labelled':", "'pods-labeled':"));
    });
    expect(await problems(dir)).toEqual([
      `${join(dir, 'checks.ts')}: check "pods-labelled" (scenario.yaml checks[1]) is not implemented`,
      `${join(dir, 'checks.ts')}: implements "pods-labeled", which scenario.yaml does not declare (checks: config-fixed, pods-labelled, config-kept, hangs, throws, survives-recreate)`,
    ]);
  });

  it('a module that does not load', async () => {
    const dir = copy((d) =>
      writeFileSync(join(d, 'wrong-fixes', 'recreate-config.ts'), 'export default (ctx => {;\n'),
    );
    const [p] = await problems(dir);
    expect(p).toMatch(/wrong-fixes\/recreate-config\.ts: does not load: /);
  });

  it('typos, wrong kinds and missing translations, all reported together', async () => {
    const dir = copy((_d, doc) => {
      doc.checks[0].titel = doc.checks[0].title;
      doc.checks[2].kind = 'outcom';
      delete doc.title['zh-CN'];
    });
    expect(await problems(dir)).toEqual([
      `${join(dir, 'scenario.yaml')}: title.zh-CN: is missing (expected a string)`,
      `${join(dir, 'scenario.yaml')}: checks[0].titel: unknown field (expected one of: id, kind, title, hint, variants, disturb, recheck, timeoutMs)`,
      `${join(dir, 'scenario.yaml')}: checks[2].kind: is "outcom" (expected one of: outcome, constraint, persistence)`,
    ]);
  });

  it('persistence checks that do not say what they disturb, or recheck what they cannot', async () => {
    const dir = copy((_d, doc) => {
      delete doc.checks[5].disturb;
      doc.checks[5].recheck = ['survives-recreate', 'nope'];
      doc.checks[0].disturb = [{ restart: 'flannel' }];
    });
    const p = await problems(dir);
    expect(p).toContain(
      `${join(dir, 'scenario.yaml')}: checks[0].disturb: only persistence checks disturb the lab (this one is outcome)`,
    );
    expect(p).toContain(
      `${join(dir, 'scenario.yaml')}: checks[5].disturb: is missing (a persistence check says what it does to the lab: restart, reboot, recreate or rollout)`,
    );
    expect(p).toContain(
      `${join(dir, 'scenario.yaml')}: checks[5].recheck[0]: "survives-recreate" is a persistence check (recheck outcome or constraint checks)`,
    );
    expect(p).toContain(
      `${join(dir, 'scenario.yaml')}: checks[5].recheck[1]: check "nope" is not defined (defined: config-fixed, pods-labelled, config-kept, hangs, throws, survives-recreate)`,
    );
  });

  it('fixes that name missing files, unknown nodes or unknown checks', async () => {
    const dir = copy((_d, doc) => {
      doc.solutions[0].run = 'solutions/missing.sh';
      doc.solutions[0].on = 'ubuntu09';
      doc.wrongFixes[0].caughtBy = ['survives-reboot'];
      doc.wrongFixes[1].on = 'ubuntu01';
    });
    expect(await problems(dir)).toEqual([
      `${join(dir, 'scenario.yaml')}: solutions[0].run: solutions/missing.sh does not exist`,
      `${join(dir, 'scenario.yaml')}: solutions[0].on: "ubuntu09" is not a node of virtualbox-3node (nodes: ubuntu01, ubuntu02, ubuntu03; or control-plane, all-nodes)`,
      `${join(dir, 'scenario.yaml')}: wrongFixes[1].on: is for .sh files (a .ts fix chooses its own targets through the Lab)`,
      `${join(dir, 'scenario.yaml')}: wrongFixes[0].caughtBy[0]: check "survives-reboot" is not defined (defined: config-fixed, pods-labelled, config-kept, hangs, throws, survives-recreate)`,
    ]);
  });

  it('variants, constraints and environments that do not exist', async () => {
    const dir = copy((_d, doc) => {
      doc.environment = 'virtualbox-9node';
      doc.checks[3].variants = ['weird'];
      doc.constraints[0].check = 'config-fixed';
    });
    expect(await problems(dir)).toEqual([
      `${join(dir, 'scenario.yaml')}: environment: "virtualbox-9node" is not an environment (known: virtualbox-3node, two-master-business)`,
      `${join(dir, 'scenario.yaml')}: checks[3].variants[0]: variant "weird" is not defined (defined: plain, odd, fails)`,
      `${join(dir, 'scenario.yaml')}: constraints[0].check: "config-fixed" is an outcome check (expected a constraint check)`,
    ]);
  });

  it('a folder whose name is not its id, and YAML that does not parse', async () => {
    const renamed = copy(() => {}, 'other-name');
    expect(await problems(renamed)).toEqual([
      `${join(renamed, 'scenario.yaml')}: id: "config-demo" differs from the folder name "other-name"`,
    ]);
    const broken = copy();
    writeFileSync(join(broken, 'scenario.yaml'), 'id: [unclosed\n');
    const [p] = await problems(broken);
    expect(p).toMatch(/scenario\.yaml: not valid YAML: /);
  });

  it('a folder without scenario.yaml lists the scenarios next to it', () => {
    const dir = copy();
    rmSync(join(dir, 'scenario.yaml'));
    expect(() => readScenarioSpec(dir)).toThrow(/no scenario here \(no scenario\.yaml\)/);
  });
});

describe('the scenarios of svc-labs', () => {
  const ids = listScenarioIds();

  it('are the four documented faults', () => {
    expect(ids).toEqual(['flannel-wrong-iface', 'hairpin-off', 'no-endpoints', 'service-route-src']);
  });

  it.each(ids)('%s loads with its story in both languages and every module', async (id) => {
    const s = await loadScenario(id);
    expect(s.story.en).toMatch(/^# /);
    expect(s.story['zh-CN']).toMatch(/^# /);
    expect(s.story['zh-CN']).toMatch(/[\u4e00-\u9fff]/);
    for (const c of s.spec.checks)
      if (c.kind !== 'persistence') expect(typeof s.checks[c.id]).toBe('function');
    expect(s.spec.solutions.length).toBeGreaterThan(0);
    expect(s.spec.wrongFixes?.length).toBeGreaterThan(0);
    expect(s.spec.checks.some((c) => c.kind === 'persistence')).toBe(true);
  });

  it('mark the fixes the seeds’ authors typed', async () => {
    const seedFixes = await Promise.all(
      ['flannel-wrong-iface', 'service-route-src'].map(async (id) => {
        const s = await loadScenario(id);
        return s.spec.solutions.filter((x) => x.seed).map((x) => `${id}/${x.id}`);
      }),
    );
    expect(seedFixes.flat()).toEqual(['flannel-wrong-iface/iface-flag', 'service-route-src/service-route']);
  });
});
