/**
 * What `labctl up` prints after "Lab X is ready": kubectl, and for a scenario lab its story and the
 * learner's commands (hint, check, reset), in the language asked for.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstParagraph, nextSteps, scenarioPointers } from '../../../labs/cli/next-steps.ts';
import { REPO_ROOT } from '../../../labs/daemon/paths.ts';
import { readScenarioSpec, scenarioDir } from '../../../labs/scenarios/loader.ts';

const nodes = [
  { name: 'ubuntu01', kubeName: 'ubuntu01', role: 'control-plane' as const, addresses: [] },
  { name: 'ubuntu02', kubeName: 'ubuntu02', role: 'worker' as const, addresses: [] },
];
const lab = (scenario?: string, noFault = false) => ({
  name: 'lab7',
  kubeconfig: '/state/labs/lab7/kubeconfig',
  nodes,
  scenario,
  noFault,
});
const ID = 'flannel-wrong-iface';

describe('firstParagraph', () => {
  it('skips headings and blank lines, and stops at the first blank line after text', () => {
    expect(firstParagraph('# Title\n\n## Sub\n\nOne line\nand two.\n\nNot this.\n')).toBe(
      'One line\nand two.',
    );
    expect(firstParagraph('# Only a title\n')).toBeUndefined();
    expect(firstParagraph('Text\r\nmore\r\n\r\nnext')).toBe('Text\nmore');
  });
});

describe('nextSteps', () => {
  it('for an environment lab: kubectl, shell and down, no scenario commands', () => {
    const out = nextSteps(lab(), { lang: 'en' });
    expect(out).toBe(
      [
        '  export KUBECONFIG=/state/labs/lab7/kubeconfig',
        '  kubectl get nodes',
        '',
        '  labctl shell lab7   # a shell on ubuntu01',
        '  labctl down lab7    # tear it down',
        '',
      ].join('\n'),
    );
  });

  it('for a scenario lab: title, summary, the story and the hint, check and reset commands', () => {
    const spec = readScenarioSpec(scenarioDir(ID));
    const out = nextSteps(lab(ID), { lang: 'en', cwd: REPO_ROOT });
    const lines = out.split('\n');
    expect(lines[0]).toBe(spec.title.en);
    // The summary, wrapped at spaces under the title.
    expect(out.replace(/\n {2}(?=\S)/g, ' ')).toContain(spec.summary.en.trim());
    const story = readFileSync(join(scenarioDir(ID), 'story.en.md'), 'utf8');
    const paragraph = firstParagraph(story)!;
    expect(paragraph.length).toBeGreaterThan(20);
    expect(out).toContain(
      paragraph
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
    expect(out).toContain(`  The whole story: scenarios/${ID}/story.en.md\n`);
    expect(out).toContain('  export KUBECONFIG=/state/labs/lab7/kubeconfig\n');
    expect(out).toContain(`  labctl hint lab7    # the first hint (of ${spec.hints.length})\n`);
    expect(out).toContain('  labctl check lab7   # grade your fix\n');
    expect(out).toContain('  labctl reset lab7   # start over\n');
    expect(out).toContain('  labctl down lab7    # tear it down\n');
    // The order a learner reads them in.
    const at = (s: string) => out.indexOf(s);
    expect(at('The whole story')).toBeLessThan(at('export KUBECONFIG'));
    expect(at('labctl hint')).toBeLessThan(at('labctl check'));
    expect(at('labctl check')).toBeLessThan(at('labctl reset'));
  });

  it('in Chinese: the Chinese title, summary and story, and --lang repeated when asked', () => {
    const spec = readScenarioSpec(scenarioDir(ID));
    const out = nextSteps(lab(ID), { lang: 'zh-CN', langFlag: 'zh-CN', cwd: REPO_ROOT });
    expect(out.split('\n')[0]).toBe(spec.title['zh-CN']);
    expect(out).toContain(spec.summary['zh-CN'].trim());
    expect(out).toContain(
      firstParagraph(readFileSync(join(scenarioDir(ID), 'story.zh-CN.md'), 'utf8'))!.split('\n')[0],
    );
    expect(out).toContain(`scenarios/${ID}/story.zh-CN.md`);
    expect(out).toMatch(/^ {2}labctl hint lab7 --lang zh-CN +# 第一条提示/m);
    expect(out).toMatch(/^ {2}labctl check lab7 --lang zh-CN +# 检查你的修复$/m);
    expect(out).toMatch(/^ {2}labctl reset lab7 +# 从头再来$/m);
  });

  it('a --no-fault lab says so and offers no hint', () => {
    const out = nextSteps(lab(ID, true), { lang: 'en', cwd: REPO_ROOT });
    expect(out).toContain('Built with --no-fault');
    expect(out).not.toContain('labctl hint');
    expect(out).toContain('labctl check lab7');
  });

  it('an unreadable scenario leaves only the kubectl and lab commands', () => {
    const out = nextSteps(lab('no-such-scenario'), { lang: 'en' });
    expect(out).not.toContain('labctl hint');
    expect(out).toContain('labctl down lab7');
  });

  it('shows the story path absolute when it is not under the working directory', () => {
    expect(scenarioPointers(ID, 'en', '/nonexistent').story).toBe(join(scenarioDir(ID), 'story.en.md'));
  });
});
