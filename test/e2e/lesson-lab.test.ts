/**
 * A learner in Chromium: from the home page to the flannel-wrong-iface lesson, Start lab, kubectl
 * in the terminal, a reload that resumes the same lab and shell, and - when the scenario engine and
 * a networking driver are installed - Check my fix failing, the fix made through the editor and
 * the terminal, and every check passing.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Browser,
  browserAvailable,
  kubectlAvailable,
  openBrowser,
  REPO,
  type Stack,
  screenshot,
  startStack,
  terminalText,
  waitForTerminal,
} from './harness.ts';

/** The text in the first <Editor>'s Monaco model. */
function monacoValue(page: Page): Promise<string> {
  return page.evaluate(() => {
    const host = (globalThis as any).document.querySelector('[data-svcl-editor]');
    return (host?.svclEditor?.getValue() as string | undefined) ?? '';
  });
}

function setMonacoValue(page: Page, text: string): Promise<void> {
  return page.evaluate((value) => {
    (globalThis as any).document.querySelector('[data-svcl-editor]').svclEditor.setValue(value);
  }, text);
}

const runnable = browserAvailable() && kubectlAvailable();

describe.skipIf(!runnable)('a lesson with a live lab, in the browser', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startStack('e2e');
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('opens the lesson from the home page, starts the lab and runs kubectl get nodes in the terminal', async () => {
    const { page } = browser;
    const scripts: string[] = [];
    page.on('response', (r) => {
      if (r.request().resourceType() === 'script') scripts.push(new URL(r.url()).pathname);
    });
    await page.goto(`${stack.url}/`);
    await screenshot(page, '01-home');
    await page
      .getByRole('link', { name: /flannel picked the wrong NIC/ })
      .first()
      .click();
    await page.waitForURL(/\/lessons\/flannel-wrong-iface\/$/);
    await page.getByRole('heading', { name: /Start the lab/ }).waitFor();

    // Nothing of the terminal or the editor before the lab starts.
    expect(scripts.filter((s) => /terminal-panel|editor-panel|xterm|monaco/.test(s))).toEqual([]);
    expect(await page.locator('style[data-svcl-css]').count()).toBe(0);
    await page.getByRole('button', { name: 'Start lab' }).scrollIntoViewIfNeeded();
    await screenshot(page, '02-lesson-before-start');

    await page.getByRole('button', { name: 'Start lab' }).click();
    await page.getByRole('tab', { name: 'ubuntu01' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('[data-svcl-lab]').getAttribute('data-state')).toBe('ready');
    // The progress bar showed the daemon's real build steps.
    const steps = await page.locator('.svcl-steps li').allTextContents();
    expect(steps.join('\n')).toMatch(/Control plane/);
    expect(steps.join('\n')).toMatch(/nodes Ready/i);
    expect(scripts.some((s) => s.includes('terminal-panel'))).toBe(true);
    expect(scripts.some((s) => s.includes('editor-panel'))).toBe(false);

    await page.locator('.svcl-terminal-screen:not([hidden]) .xterm').click();
    await waitForTerminal(page, /\$ ?$|# ?$/m);
    await page.keyboard.type('kubectl get nodes\n');
    const text = await waitForTerminal(page, /ubuntu03\s+Ready/);
    for (const node of ['ubuntu01', 'ubuntu02', 'ubuntu03'])
      expect(text).toMatch(new RegExp(`${node}\\s+Ready`));
    await page.locator('[data-svcl-terminal]').scrollIntoViewIfNeeded();
    await screenshot(page, '03-terminal-kubectl-get-nodes');

    // A <Run> block types into the same terminal.
    await page.getByRole('button', { name: 'Run in terminal: kubectl get svc,ep httpd-svc' }).click();
    await waitForTerminal(page, /kubectl get svc,ep httpd-svc/);

    // Other node tabs open their own shell.
    await page.getByRole('tab', { name: 'ubuntu02' }).click();
    await waitForTerminal(page, /\$ ?$|# ?$/m);
    await page.keyboard.type('echo on-$(hostname)-$SVC_LABS_NODE\n');
    // The node's name shows in its prompt (and, on the netns driver, as its hostname).
    await waitForTerminal(page, /on-\S*ubuntu02/);
    await page.getByRole('tab', { name: 'ubuntu01' }).click();
  });

  it('redraws the topology with the live pods, and shows hints one level at a time', async () => {
    const { page } = browser;
    const topology = page.locator('[data-svcl-topology]').first();
    await expect.poll(() => topology.getAttribute('data-live'), { timeout: 20_000 }).toBe('true');
    expect(await topology.locator('svg').getAttribute('aria-label')).toMatch(/virtualbox-3node/);
    expect(await topology.textContent()).toMatch(/enp0s3\s+192\.168\.56\.11\/24/);
    await topology.scrollIntoViewIfNeeded();
    await screenshot(page, '03b-topology-live');

    // One level per click: the scenario's hints when the grader is there, else the lesson's own.
    const hints = page.locator('[data-svcl-hint]').first();
    const shown = hints.locator('.svcl-hint-step:visible');
    expect(await shown.count()).toBe(0);
    await hints.getByRole('button', { name: 'Show hint' }).click();
    await expect.poll(() => shown.count()).toBe(1);
    await hints.getByRole('button', { name: 'Show hint' }).click();
    await expect.poll(() => shown.count()).toBe(2);
    const progress = (await page.evaluate(
      async () => ((await (await fetch('/api/lessons/flannel-wrong-iface')).json()) as any).progress,
    )) as { hintsUsed: number };
    expect(progress.hintsUsed).toBe(2);
    await hints.scrollIntoViewIfNeeded();
    await screenshot(page, '03c-hints');
  });

  it('resumes the running lab and its shell after a reload', async () => {
    const { page } = browser;
    const before = await page.locator('[data-svcl-lab]').getAttribute('data-state');
    expect(before).toBe('ready');
    const labName = await page.evaluate(async () => {
      const r = await fetch('/api/lessons/flannel-wrong-iface');
      return ((await r.json()) as { lab: { name: string } }).lab.name;
    });

    await page.reload();
    await expect.poll(() => page.locator('[data-svcl-lab]').getAttribute('data-state')).toBe('ready');
    await expect.poll(() => page.locator('.svcl-lab-message').textContent()).toMatch(/Resumed/);
    await page.getByRole('tab', { name: 'ubuntu01' }).waitFor();
    // The same shell: its earlier output is replayed.
    await waitForTerminal(page, /ubuntu03\s+Ready/);
    // Hints already shown stay shown.
    await expect.poll(() => page.locator('[data-svcl-hint] .svcl-hint-step:visible').count()).toBe(2);
    const after = await page.evaluate(async () => {
      const r = await fetch('/api/lessons/flannel-wrong-iface');
      return ((await r.json()) as { lab: { name: string } }).lab.name;
    });
    expect(after).toBe(labName);

    await page.locator('.svcl-terminal-screen:not([hidden]) .xterm').click();
    await page.keyboard.type('kubectl get ns kube-system -o name\n');
    await waitForTerminal(page, /namespace\/kube-system/);
    await page.locator('[data-svcl-terminal]').scrollIntoViewIfNeeded();
    await screenshot(page, '04-after-reload');
  });

  it('reconnects the terminal to the same shell after the connection drops', async () => {
    const { page } = browser;
    await page.locator('.svcl-terminal-screen:not([hidden]) .xterm').click();
    await page.keyboard.type('export BLIP=survived\n');
    await page.waitForTimeout(300);
    const terminal = page.locator('[data-svcl-terminal]');
    const connects = Number(await terminal.getAttribute('data-connects'));
    expect(stack.web.terminals.dropBrowsers()).toBeGreaterThan(0);
    await expect
      .poll(async () => Number(await terminal.getAttribute('data-connects')), { timeout: 10_000 })
      .toBeGreaterThan(connects);
    await page.keyboard.type('echo blip-$BLIP\n');
    await waitForTerminal(page, /blip-survived/);
  });

  it('edits a live object in the editor: the apiserver refusing a bad apply inline, then a good one', async () => {
    const { page } = browser;
    const term = page.locator('.svcl-terminal-screen:not([hidden]) .xterm');
    const exists = await page.evaluate(async () => {
      const r = await fetch(
        '/api/lessons/flannel-wrong-iface/lab/object?kind=daemonset&name=kube-flannel-ds&namespace=kube-flannel',
      );
      return r.ok;
    });
    if (!exists) {
      // The process driver builds bare nodes: apply the flannel manifest as a learner would.
      await term.click();
      await page.keyboard.type(`kubectl apply -f ${REPO}/labs/addons/kube-flannel.yml\n`);
      await waitForTerminal(page, /daemonset.apps\/kube-flannel-ds (created|unchanged|configured)/);
    }
    const editor = page.locator('[data-svcl-editor]').first();
    await editor.getByRole('button', { name: /Open in editor/ }).click();
    await editor.locator('.monaco-editor').waitFor({ timeout: 30_000 });
    await expect.poll(() => monacoValue(page)).toMatch(/name: kube-flannel-ds/);
    const yaml = await monacoValue(page);

    // An object the apiserver must refuse: the DaemonSet without a selector.
    await setMonacoValue(page, yaml.replace(/\n {2}selector:\n(?: {4}.*\n)+/, '\n'));
    await editor.getByRole('button', { name: 'Apply' }).click();
    const result = editor.locator('.svcl-editor-result');
    await expect.poll(() => result.getAttribute('data-ok'), { timeout: 20_000 }).toBe('false');
    expect(await result.textContent()).toMatch(/selector/i);
    await editor.scrollIntoViewIfNeeded();
    await screenshot(page, '05-editor-apply-error');

    // The fix from the lesson: --iface=enp0s3 for flanneld.
    await setMonacoValue(page, yaml.replace(/(\n(\s*)- --kube-subnet-mgr\n)/, '$1$2- --iface=enp0s3\n'));
    await editor.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => result.getAttribute('data-ok'), { timeout: 20_000 }).toBe('true');
    await screenshot(page, '06-editor-applied');
    await term.click();
    await page.keyboard.type(
      'kubectl -n kube-flannel get ds kube-flannel-ds -o jsonpath=\'{.spec.template.spec.containers[0].args}{"\\n"}\'\n',
    );
    await waitForTerminal(page, /--iface=enp0s3/);
  });

  it('checks the fix: failing checks first, then all passing after a real fix', {
    timeout: 240_000,
  }, async (ctx) => {
    const { page } = browser;
    const view = (await page.evaluate(async () =>
      (await fetch('/api/lessons/flannel-wrong-iface')).json(),
    )) as {
      grading: boolean;
      lab: { driver: string };
    };
    if (!view.grading || view.lab.driver === 'process') {
      // No grader yet, or a lab without networking (the process driver): the button still answers,
      // with the grader's verdicts or with why there is nothing to grade, and the full story
      // (failing checks, a fix, every check passing) waits for the netns driver.
      const checks = page.locator('[data-svcl-checks]').first();
      await checks.getByRole('button', { name: 'Check my fix' }).click();
      await expect
        .poll(() => checks.getAttribute('data-result'), { timeout: 120_000 })
        .toMatch(/^(error|fail)$/);
      await checks.scrollIntoViewIfNeeded();
      await screenshot(page, '07-checks-without-netns');
      ctx.skip();
      return;
    }
    // The editor test changed the lab: back to the freshly injected fault.
    await page.getByRole('button', { name: 'Reset lab' }).click();
    await expect
      .poll(() => page.locator('[data-svcl-lab]').getAttribute('data-state'), { timeout: 60_000 })
      .toBe('ready');
    const checks = page.locator('[data-svcl-checks]').first();
    await checks.getByRole('button', { name: 'Check my fix' }).click();
    await expect.poll(() => checks.getAttribute('data-result'), { timeout: 60_000 }).toBe('fail');
    await checks.scrollIntoViewIfNeeded();
    await screenshot(page, '07-checks-failing');
    // The drawing marks the failing path.
    const topology = page.locator('[data-svcl-topology]').first();
    await expect.poll(() => topology.getAttribute('data-failing'), { timeout: 20_000 }).toBe('true');
    expect(await topology.locator('.fail-link').count()).toBeGreaterThan(0);
    await topology.scrollIntoViewIfNeeded();
    await screenshot(page, '07b-topology-failing');

    // The fix as the seed's author made it: --iface=enp0s3 on flanneld, through the editor.
    const live = await page.evaluate(async () => {
      const r = await fetch(
        '/api/lessons/flannel-wrong-iface/lab/object?kind=daemonset&name=kube-flannel-ds&namespace=kube-flannel',
      );
      return ((await r.json()) as { yaml: string }).yaml;
    });
    expect(live).not.toContain('--iface=enp0s3');
    const editor = page.locator('[data-svcl-editor]').first();
    await editor.getByRole('button', { name: 'Reload' }).click();
    await expect.poll(() => monacoValue(page)).toBe(live);
    await setMonacoValue(page, live.replace(/(\n(\s*)- --kube-subnet-mgr\n)/, '$1$2- --iface=enp0s3\n'));
    await editor.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => editor.locator('.svcl-editor-result').getAttribute('data-ok')).toBe('true');

    // And through the terminal: wait for the new flannel pods as a learner would.
    await page.locator('.svcl-terminal-screen:not([hidden]) .xterm').click();
    await page.keyboard.type('kubectl -n kube-flannel rollout status ds/kube-flannel-ds --timeout=60s\n');
    await waitForTerminal(page, /successfully rolled out/, 90_000);

    // As a learner would: check again while the new flannel pods settle, a few times at most.
    for (let attempt = 1; ; attempt++) {
      await checks.getByRole('button', { name: 'Check my fix' }).click();
      await expect
        .poll(() => checks.getAttribute('data-result'), { timeout: 120_000 })
        .toMatch(/^(pass|fail|error)$/);
      if ((await checks.getAttribute('data-result')) === 'pass' || attempt === 5) break;
      await page.waitForTimeout(3000);
    }
    await checks.scrollIntoViewIfNeeded();
    await screenshot(page, '08-checks-after-fix');
    expect(await checks.getAttribute('data-result'), (await checks.textContent()) ?? '').toBe('pass');
    await screenshot(page, '08-checks-passing');
    expect(await terminalText(page)).toBeTruthy();
  });
});

describe.skipIf(!runnable)('progress on the home page', () => {
  it('marks the lesson the learner worked on', async () => {
    const stack = await startStack('e2ehome');
    const browser = await openBrowser();
    try {
      const { page } = browser;
      await page.goto(`${stack.url}/lessons/troubleshooting-method/`);
      await page.getByRole('button', { name: 'Start lab' }).click();
      await expect
        .poll(() => page.locator('[data-svcl-lab]').getAttribute('data-state'), { timeout: 30_000 })
        .toBe('ready');
      await page.goto(`${stack.url}/`);
      const card = page.locator('a[href="/lessons/troubleshooting-method/"] .svcl-badge').first();
      await expect.poll(() => card.textContent(), { timeout: 10_000 }).toMatch(/started/);
      await card.scrollIntoViewIfNeeded();
      await screenshot(page, '09-home-progress');
    } finally {
      await browser.close();
      await stack.stop();
    }
  });
});

describe.skipIf(!runnable)('the Chinese site', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startStack('e2ezh');
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('has the same lesson in Simplified Chinese, with the lab controls in Chinese', async () => {
    const { page } = browser;
    await page.goto(`${stack.url}/zh-cn/`);
    await screenshot(page, '10-zh-home');
    await page
      .getByRole('link', { name: /flannel 选错了网卡/ })
      .first()
      .click();
    await page.waitForURL(/\/zh-cn\/lessons\/flannel-wrong-iface\/$/);
    await page.getByRole('button', { name: '启动实验' }).click();
    await page.getByRole('tab', { name: 'ubuntu01' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('.svcl-lab-message').textContent()).toMatch(/已就绪/);
    await page.locator('[data-svcl-lab]').scrollIntoViewIfNeeded();
    await screenshot(page, '11-zh-lab-ready');
  });
});
