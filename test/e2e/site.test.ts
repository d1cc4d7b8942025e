/**
 * The built site: rebuilt only when its sources change, complete in both languages, offline (no
 * address outside this server), type-correct, and light: each lesson's JavaScript is measured
 * before and after its lab starts (and after its editor opens), written to
 * test-results/e2e/js-weight.{json,md}, and no terminal or editor code loads before a lab starts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST_DIR, ensureSiteBuilt, SITE_DIR } from '../../labs/web/build.ts';
import {
  type Browser,
  browserAvailable,
  kubectlAvailable,
  openBrowser,
  REPO,
  RESULTS,
  type Stack,
  startStack,
} from './harness.ts';

const LESSONS = [
  'services-clusterip',
  'service-types',
  'kube-proxy-modes',
  'service-dns',
  'troubleshooting-method',
  'flannel-wrong-iface',
  'service-route-src',
  'hairpin-off',
  'no-endpoints',
];

function files(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p, ext));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out;
}

describe('the lesson site build', () => {
  beforeAll(async () => {
    await ensureSiteBuilt({ quiet: true });
  });

  it('is not rebuilt when nothing changed', async () => {
    const stamp = statSync(join(DIST_DIR, '.build-hash')).mtimeMs;
    const again = await ensureSiteBuilt({ quiet: true });
    expect(again.built).toBe(false);
    expect(again.ms).toBeLessThan(2000);
    expect(statSync(join(DIST_DIR, '.build-hash')).mtimeMs).toBe(stamp);
  });

  it('has every lesson in English and Simplified Chinese', () => {
    for (const lesson of LESSONS) {
      const en = readFileSync(join(DIST_DIR, 'lessons', lesson, 'index.html'), 'utf8');
      const zh = readFileSync(join(DIST_DIR, 'zh-cn', 'lessons', lesson, 'index.html'), 'utf8');
      expect(en, lesson).toMatch(/<html[^>]* lang="en"/);
      expect(zh, lesson).toMatch(/<html[^>]* lang="zh-CN"/);
      // A translated page, not Starlight's English fallback.
      expect(zh, lesson).not.toMatch(/This content is not available in your language yet/);
      expect(zh.match(/[\u4e00-\u9fff]/g)?.length ?? 0, lesson).toBeGreaterThan(200);
    }
  });

  it('references nothing outside this server: the site works offline', () => {
    const offenders: string[] = [];
    for (const f of [...files(DIST_DIR, '.html'), ...files(DIST_DIR, '.css'), ...files(DIST_DIR, '.js')]) {
      const text = readFileSync(f, 'utf8');
      // Loaded resources: src=, href= of stylesheets/scripts/preloads/icons, CSS url(), JS import().
      const refs = [
        ...text.matchAll(
          /<(?:script|img|iframe|link)\b[^>]*\b(?:src|href)="(https?:)?\/\/([^/"]+)[^"]*"[^>]*>/g,
        ),
        ...text.matchAll(/url\(["']?(https?:)?\/\/([^/"')]+)/g),
        ...text.matchAll(/import\(["'](https?:)?\/\/([^/"']+)/g),
      ];
      for (const m of refs) {
        const tag = m[0];
        // Links that are not loaded (a canonical URL, the sitemap, language alternates) are fine.
        if (/rel="(canonical|alternate|sitemap)"/.test(tag)) continue;
        if (m[2].startsWith('127.0.0.1')) continue;
        offenders.push(`${relative(DIST_DIR, f)}: ${tag.slice(0, 120)}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("type-checks the site's TypeScript", () => {
    const r = spawnSync(join(REPO, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', SITE_DIR], {
      encoding: 'utf8',
      cwd: REPO,
    });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

interface Weight {
  lesson: string;
  beforeStart: number;
  /** Of beforeStart, the lab widgets' own code (the rest is Starlight: page, search UI, table of contents). */
  labWidgetsBeforeStart: number;
  afterStart?: number;
  afterEditor?: number;
  beforeFiles: string[];
}

describe.skipIf(!browserAvailable() || !kubectlAvailable())("each lesson's JavaScript", () => {
  let stack: Stack;
  let browser: Browser;
  const weights: Weight[] = [];

  beforeAll(async () => {
    stack = await startStack('weight');
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (weights.length === 0) return;
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, 'js-weight.json'), `${JSON.stringify(weights, null, 2)}\n`);
    const kb = (n: number | undefined) => (n === undefined ? '-' : `${(n / 1024).toFixed(1)} KiB`);
    const md = [
      '| lesson | JS before starting the lab (lab widgets of it) | after Start lab | after opening the editor |',
      '|---|---:|---:|---:|',
      ...weights.map(
        (w) =>
          `| ${w.lesson} | ${kb(w.beforeStart)} (${kb(w.labWidgetsBeforeStart)}) | ${kb(w.afterStart)} | ${kb(w.afterEditor)} |`,
      ),
    ].join('\n');
    writeFileSync(join(RESULTS, 'js-weight.md'), `${md}\n`);
    console.log(md);
  });

  /** Bytes of JavaScript the page has loaded so far (scripts and module chunks, workers excluded). */
  async function jsBytes(): Promise<{ bytes: number; files: string[]; lab: number }> {
    // Starlight's search UI loads when the page is idle: let the page settle so runs compare.
    await browser.page.waitForTimeout(500);
    return browser.page.evaluate(() => {
      const perf = (globalThis as any).performance;
      const entries = perf.getEntriesByType('resource') as { name: string; decodedBodySize: number }[];
      const js = entries.filter((e) => /\.m?js(\?|$)/.test(new URL(e.name).pathname));
      const inline = [...(globalThis as any).document.querySelectorAll('script:not([src])')]
        .map((s: any) => (s.textContent as string).length)
        .reduce((a: number, b: number) => a + b, 0);
      const ours =
        /(Lab|Run|Checks|Hint|Editor|Topology|Terminal)\.astro|widgets-ui|lab-ui|i18n|controller|api\.|store\./;
      return {
        bytes: js.reduce((a, e) => a + e.decodedBodySize, 0) + inline,
        files: js.map((e) => new URL(e.name).pathname),
        lab: js.filter((e) => ours.test(e.name)).reduce((a, e) => a + e.decodedBodySize, 0),
      };
    });
  }

  for (const lesson of LESSONS) {
    it(`${lesson}: no terminal or editor code before the lab starts`, async () => {
      const { page } = browser;
      await page.goto(`${stack.url}/lessons/${lesson}/`, { waitUntil: 'networkidle' });
      const before = await jsBytes();
      expect(before.files.filter((f) => /terminal-panel|editor-panel|topology-live/.test(f))).toEqual([]);
      const w: Weight = {
        lesson,
        beforeStart: before.bytes,
        labWidgetsBeforeStart: before.lab,
        beforeFiles: before.files,
      };
      weights.push(w);
      expect(before.lab, before.files.join(' ')).toBeLessThan(32 * 1024);
      expect(before.bytes, before.files.join(' ')).toBeLessThan(192 * 1024);
      const start = page.getByRole('button', { name: 'Start lab' });
      if ((await start.count()) === 0) return;
      await start.click();
      await page.getByRole('tab').first().waitFor({ timeout: 30_000 });
      await page.waitForLoadState('networkidle');
      const after = await jsBytes();
      expect(after.files.some((f) => f.includes('terminal-panel'))).toBe(true);
      expect(after.files.some((f) => f.includes('editor-panel'))).toBe(false);
      w.afterStart = after.bytes;
      const open = page.getByRole('button', { name: /Open in editor/ }).first();
      if ((await open.count()) > 0) {
        await open.click();
        // Monaco is in once the editor shows, or once the panel reports on the object it tried to open.
        await page.waitForFunction(() => {
          const doc = (globalThis as any).document;
          const status = doc.querySelector('[data-svcl-editor] [role="status"]')?.textContent ?? '';
          return !!doc.querySelector('.monaco-editor') || (status !== '' && !/Loading/.test(status));
        });
        const after = await jsBytes();
        expect(after.files.some((f) => f.includes('editor-panel'))).toBe(true);
        w.afterEditor = after.bytes;
      }
      await page.getByRole('button', { name: 'Stop' }).click();
      await page.waitForFunction(
        () => (globalThis as any).document.querySelector('[data-svcl-lab]')?.dataset.state === 'idle',
      );
    });
  }
});
