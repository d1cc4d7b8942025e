/**
 * What the browser suites share: a lab daemon in a private state directory, the site built if it
 * changed, the web server in this process on a free port, and Debian's Chromium driven by
 * playwright-core with a fresh profile. Everything is torn down by `stop()`.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type DaemonClient, ensureDaemon } from '../../labs/daemon/client.ts';
import { daemonPaths } from '../../labs/daemon/paths.ts';
import type { DaemonInfo } from '../../labs/daemon/types.ts';
import { DIST_DIR, ensureSiteBuilt } from '../../labs/web/build.ts';
import { driverPreference } from '../../labs/web/lessons.ts';
import { startWebServer, type WebServer } from '../../labs/web/server.ts';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const RESULTS = join(REPO, 'test-results', 'e2e');
export const CHROMIUM = '/usr/bin/chromium';

/** Whether this machine can run the browser suites (setup.sh installs Chromium). */
export function browserAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export function kubectlAvailable(): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, 'kubectl')));
}

export interface Stack {
  state: string;
  client: DaemonClient;
  web: WebServer;
  url: string;
  stop(): Promise<void>;
}

function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function stopDaemon(state: string): Promise<void> {
  let info: DaemonInfo | undefined;
  try {
    info = JSON.parse(readFileSync(join(state, 'daemon.json'), 'utf8'));
  } catch {
    info = undefined;
  }
  if (info && !processGone(info.pid)) {
    process.kill(info.pid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (!processGone(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!processGone(info.pid)) process.kill(info.pid, 'SIGKILL');
  }
}

/**
 * The drivers the browser suites build labs with: $SVC_LABS_E2E_DRIVER (comma-separated), else what
 * `npm start` uses - the netns driver where it can run, the process driver otherwise.
 */
export function e2eDrivers(): string[] {
  const env = process.env.SVC_LABS_E2E_DRIVER;
  return env ? env.split(',').filter(Boolean) : driverPreference('');
}

export async function startStack(tag: string, opts: { drivers?: string[] } = {}): Promise<Stack> {
  await ensureSiteBuilt({ quiet: true });
  const state = mkdtempSync(join(tmpdir(), `svcl-${tag}-`));
  const paths = daemonPaths(state);
  const client = await ensureDaemon({ paths });
  const web = await startWebServer({
    client,
    siteDir: DIST_DIR,
    sessionsFile: join(state, 'web', 'sessions.json'),
    port: 0,
    drivers: opts.drivers ?? e2eDrivers(),
  });
  return {
    state,
    client,
    web,
    url: web.url,
    stop: async () => {
      await web.close().catch(() => {});
      await client.deleteAll().catch(() => {});
      await stopDaemon(state);
      rmSync(state, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'svcl-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  // A failing action should say what it waited for, well inside the test's own timeout.
  page.setDefaultTimeout(20_000);
  return {
    context,
    page,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** The visible text of the active terminal tab (xterm's DOM renderer keeps one div per row). */
export async function terminalText(page: Page): Promise<string> {
  const rows = await page.evaluate(() => {
    const doc = (globalThis as any).document;
    const screen = doc.querySelector('.svcl-terminal-screen:not([hidden]) .xterm-rows');
    return screen ? [...screen.children].map((r: any) => (r.textContent ?? '') as string) : [];
  });
  // The DOM renderer draws spaces as no-break spaces.
  return rows.map((r) => r.replace(/\u00a0/g, ' ').trimEnd()).join('\n');
}

export async function waitForTerminal(page: Page, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  // xterm.js stops rendering while it is scrolled out of view.
  await page.locator('[data-svcl-terminal]').scrollIntoViewIfNeeded();
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await terminalText(page);
    if (pattern.test(text)) return text;
    await page.waitForTimeout(100);
  }
  const shot = await screenshot(page, `failure-terminal-${Date.now()}`).catch(() => 'none');
  throw new Error(`the terminal never showed ${pattern}; it shows:\n${text}\n(screenshot: ${shot})`);
}
