/**
 * What `labctl up` prints once a lab is ready: how to use kubectl with it, and for a scenario lab
 * the story (title, summary, the story's first paragraph and where the rest is) and the commands
 * of the learner's loop - hint, check, reset.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import type { LabStatus } from '../daemon/types.ts';
import { type Language, text } from '../scenarios/format.ts';
import { readScenarioSpec, scenarioDir } from '../scenarios/loader.ts';

/** The scenario part of a ready lab, for a learner: `undefined` for a lab of an environment. */
export interface ScenarioPointers {
  id: string;
  title: string;
  summary: string;
  /** The story file in the chosen language, and its first paragraph (headings skipped). */
  story: string;
  firstParagraph?: string;
  hints: number;
}

const WORDS = {
  en: {
    shell: (node: string) => `a shell on ${node}`,
    hint: (n: number) => (n === 1 ? 'the first hint' : `the first hint (of ${n})`),
    check: 'grade your fix',
    reset: 'start over',
    down: 'tear it down',
    story: 'The whole story:',
    noFault: 'Built with --no-fault: this is the healthy lab, every check passes.',
  },
  'zh-CN': {
    shell: (node: string) => `登录 ${node} 的 shell`,
    hint: (n: number) => (n === 1 ? '第一条提示' : `第一条提示（共 ${n} 条）`),
    check: '检查你的修复',
    reset: '从头再来',
    down: '删除实验环境',
    story: '完整的故事见',
    noFault: '用 --no-fault 构建：这是健康的实验环境，所有检查都会通过。',
  },
} as const;

/** The first paragraph of a Markdown story: its first block of text that is not a heading. */
export function firstParagraph(markdown: string): string | undefined {
  const blocks = markdown.replace(/\r\n/g, '\n').split(/\n\s*\n/);
  for (const block of blocks) {
    const lines = block.split('\n').filter((l) => l.trim() && !/^#{1,6}\s/.test(l));
    if (lines.length) return lines.map((l) => l.trim()).join('\n');
  }
  return undefined;
}

/** A path as the learner can use it from where they are (relative when under the working directory). */
function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Title, summary and story of a scenario in a language; throws when the scenario cannot be read. */
export function scenarioPointers(id: string, lang: Language, cwd = process.cwd()): ScenarioPointers {
  const dir = scenarioDir(id);
  const spec = readScenarioSpec(dir);
  const file = join(dir, `story.${lang}.md`);
  let paragraph: string | undefined;
  try {
    paragraph = firstParagraph(readFileSync(file, 'utf8'));
  } catch {
    paragraph = undefined;
  }
  return {
    id: spec.id,
    title: text(spec.title, lang),
    summary: text(spec.summary, lang).trim(),
    story: shown(file, cwd),
    firstParagraph: paragraph,
    hints: spec.hints.length,
  };
}

/** Break a long line at spaces (a line without spaces - Chinese text - is left to the terminal). */
function wrap(line: string, width: number): string[] {
  if (line.length <= width || !line.includes(' ')) return [line];
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      out.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) out.push(current);
  return out;
}

function commandLines(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([cmd]) => cmd.length)) + 3;
  return rows.map(([cmd, comment]) => `  ${cmd.padEnd(width)}# ${comment}`);
}

/**
 * The lines after "Lab X is ready": the scenario's story when the lab has one, then kubectl and
 * the labctl commands. `langFlag` is appended to the commands whose output is in a language
 * (hint, check) when `--lang` chose one the learner's environment would not.
 */
export function nextSteps(
  status: Pick<LabStatus, 'name' | 'kubeconfig' | 'nodes' | 'scenario' | 'noFault'>,
  opts: { lang: Language; langFlag?: string; cwd?: string },
): string {
  const w = WORDS[opts.lang];
  const name = status.name;
  const lines: string[] = [];
  let pointers: ScenarioPointers | undefined;
  if (status.scenario) {
    try {
      pointers = scenarioPointers(status.scenario, opts.lang, opts.cwd);
    } catch {
      // The lab is built whatever its scenario folder says now; only the pointers are left out.
      pointers = undefined;
    }
  }
  if (pointers) {
    lines.push(pointers.title);
    for (const l of wrap(pointers.summary, 98)) lines.push(`  ${l}`);
    lines.push('');
    if (pointers.firstParagraph) {
      // A paragraph that leads into a table or a list says that more follows.
      const paragraph = pointers.firstParagraph.replace(/[:：]$/, (colon) => `${colon} …`);
      for (const l of paragraph.split('\n')) lines.push(`  ${l}`);
      lines.push('');
    }
    lines.push(`  ${w.story} ${pointers.story}`, '');
    if (status.noFault) lines.push(w.noFault, '');
  }
  lines.push(`  export KUBECONFIG=${status.kubeconfig}`, '  kubectl get nodes', '');
  const lang = opts.langFlag ? ` --lang ${opts.langFlag}` : '';
  const controlPlane = status.nodes.find((n) => n.role === 'control-plane')?.name ?? 'a node';
  const rows: [string, string][] = [[`labctl shell ${name}`, w.shell(controlPlane)]];
  if (pointers) {
    if (!status.noFault) rows.push([`labctl hint ${name}${lang}`, w.hint(pointers.hints)]);
    rows.push([`labctl check ${name}${lang}`, w.check], [`labctl reset ${name}`, w.reset]);
  }
  rows.push([`labctl down ${name}`, w.down]);
  lines.push(...commandLines(rows));
  return `${lines.join('\n')}\n`;
}
