/**
 * The small lesson widgets that are on the page from the start: <Run>, <Checks>, <Hint>, and the
 * hooks that load <Topology>'s live view and <Editor> on demand. Each mounts once per page.
 */
import type { GradeView } from './api.ts';
import { type LabState, message, pageLab } from './controller.ts';
import { pageStrings } from './i18n.ts';

/** The scenario's hint text, which uses Markdown's `code` spans, as paragraphs of text and <code>. */
function inlineMarkdown(text: string): HTMLParagraphElement[] {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((para) => {
      const p = document.createElement('p');
      para
        .replace(/\s*\n\s*/g, ' ')
        .split('`')
        .forEach((part, i) => {
          if (i % 2 === 1) {
            const code = document.createElement('code');
            code.textContent = part;
            p.append(code);
          } else p.append(part);
        });
      return p;
    });
}

const mounted = new Set<string>();
function once(name: string): boolean {
  if (mounted.has(name)) return false;
  mounted.add(name);
  return true;
}

export function mountRuns(): void {
  if (!once('run')) return;
  const lab = pageLab();
  const t = pageStrings();
  document.addEventListener('click', (ev) => {
    const button = (ev.target as HTMLElement).closest<HTMLButtonElement>('[data-svcl-run]');
    if (!button) return;
    const note = button.parentElement?.querySelector<HTMLElement>('.svcl-run-note');
    void (async () => {
      const ok = await lab?.run(button.dataset.svclRun ?? '', {
        node: button.dataset.node || undefined,
        enter: button.dataset.enter !== 'false',
      });
      if (note) {
        note.hidden = !!ok;
        note.textContent = ok ? '' : t.runNeedsLab;
      }
    })();
  });
}

export function mountChecks(): void {
  if (!once('checks')) return;
  const lab = pageLab();
  const t = pageStrings();
  for (const root of document.querySelectorAll<HTMLElement>('[data-svcl-checks]')) {
    const button = root.querySelector<HTMLButtonElement>('button')!;
    const status = root.querySelector<HTMLElement>('[role="status"]')!;
    const list = root.querySelector<HTMLOListElement>('ol')!;
    const render = (g: GradeView | undefined) => {
      if (!g) {
        list.replaceChildren();
        status.textContent = '';
        root.dataset.result = '';
        return;
      }
      root.dataset.result = g.passed ? 'pass' : 'fail';
      status.textContent = `${g.passed ? t.allPassed : t.someFailed} (${g.checks.filter((c) => c.passed).length}/${g.checks.length}${g.ms !== undefined ? `, ${(g.ms / 1000).toFixed(1)} s` : ''})`;
      list.replaceChildren(
        ...g.checks.map((c) => {
          const li = document.createElement('li');
          li.dataset.passed = String(c.passed);
          li.dataset.check = c.id;
          const head = document.createElement('span');
          head.className = 'svcl-check-title';
          head.textContent = `${c.passed ? '✓' : c.skipped ? '–' : '✗'} ${c.title}`;
          if (c.skipped) li.dataset.skipped = 'true';
          li.append(head);
          if (c.evidence) {
            const d = document.createElement('details');
            if (!c.passed) d.open = true;
            const s = document.createElement('summary');
            s.textContent = t.evidence;
            const pre = document.createElement('pre');
            pre.textContent = c.evidence;
            d.append(s, pre);
            li.append(d);
          }
          if (!c.passed && c.hint) {
            const a = document.createElement('a');
            a.href = '#svcl-hints';
            a.textContent = `${t.seeHint} ${c.hint}`;
            li.append(' ', a);
          }
          return li;
        }),
      );
    };
    button.onclick = async () => {
      if (!lab) return;
      button.disabled = true;
      root.dataset.result = 'running';
      status.textContent = t.checking;
      try {
        await lab.check();
      } catch (e) {
        root.dataset.result = 'error';
        status.textContent = `${t.noGrader}: ${message(e)}`;
      } finally {
        button.disabled = lab.state !== 'ready';
      }
    };
    lab?.on<GradeView | undefined>('grade', render);
    const sync = (s: LabState) => {
      button.disabled = s !== 'ready';
    };
    lab?.on<LabState>('state', sync);
    sync(lab?.state ?? 'idle');
  }
}

export function mountHints(): void {
  if (!once('hints')) return;
  const lab = pageLab();
  const t = pageStrings();
  for (const root of document.querySelectorAll<HTMLElement>('[data-svcl-hint]')) {
    const button = root.querySelector<HTMLButtonElement>('button[data-action="hint"]')!;
    const steps = [...root.querySelectorAll<HTMLElement>('[data-hint-step]')];
    const extra = root.querySelector<HTMLElement>('[data-hint-scenario]')!;
    steps.forEach((s, i) => {
      s.querySelector('.svcl-hint-level')!.textContent = `${t.hint} ${i + 1}`;
    });
    const done = (more: boolean) => {
      button.disabled = !more;
      button.textContent = more ? t.showHint : t.noMoreHints;
    };
    const revealSteps = (level: number, more: boolean) => {
      for (const [i, s] of steps.entries()) if (i < level) s.hidden = false;
      done(more);
    };
    // The scenario's own hints, as the grader's words (shown instead of the lesson's).
    const showScenario = (revealed: { level: number; text: string }[], more: boolean) => {
      extra.replaceChildren(
        ...revealed.map((h) => {
          const div = document.createElement('div');
          div.className = 'svcl-hint-step';
          div.dataset.source = 'scenario';
          const label = document.createElement('strong');
          label.className = 'svcl-hint-level';
          label.textContent = `${t.hint} ${h.level}`;
          div.append(label, ...inlineMarkdown(h.text));
          return div;
        }),
      );
      done(more);
    };
    let restored = false;
    lab?.on('view', () => {
      const used = lab.view?.progress.hintsUsed ?? 0;
      if (restored || used === 0 || !lab.view?.lab || lab.view.lab.phase !== 'ready') return;
      restored = true;
      void lab.api.hint(steps.length, true).then(
        (h) =>
          h.source === 'scenario' ? showScenario(h.revealed ?? [], h.more) : revealSteps(h.level, h.more),
        () => revealSteps(Math.min(used, steps.length), used < steps.length),
      );
    });
    button.onclick = async () => {
      if (!lab) {
        const next = steps.findIndex((s) => s.hidden) + 1;
        revealSteps(next, next < steps.length);
        return;
      }
      button.disabled = true;
      try {
        const h = await lab.api.hint(steps.length);
        if (h.source === 'scenario' && h.text)
          showScenario(h.revealed?.length ? h.revealed : [{ level: h.level, text: h.text }], h.more);
        else revealSteps(h.level, h.more);
        restored = true;
        if (lab.view) lab.view = { ...lab.view, progress: h.progress };
      } catch (e) {
        const p = document.createElement('p');
        p.textContent = message(e);
        extra.append(p);
        button.disabled = false;
      }
    };
  }
}

export function mountTopology(): void {
  if (!once('topology')) return;
  const lab = pageLab();
  const roots = [...document.querySelectorAll<HTMLElement>('[data-svcl-topology]')];
  if (!lab || roots.length === 0) return;
  let live: Promise<typeof import('./topology-live.ts')> | undefined;
  const refresh = () => {
    live ??= import('./topology-live.ts');
    void live.then((m) => m.refreshTopology(lab, roots));
  };
  lab.on<LabState>('state', (s) => {
    if (s === 'ready') refresh();
  });
  lab.on('grade', () => {
    if (lab.state === 'ready') refresh();
  });
}

export function mountEditors(): void {
  if (!once('editor')) return;
  const lab = pageLab();
  const t = pageStrings();
  for (const root of document.querySelectorAll<HTMLElement>('[data-svcl-editor]')) {
    const open = root.querySelector<HTMLButtonElement>('button[data-action="open"]')!;
    const status = root.querySelector<HTMLElement>('[role="status"]')!;
    open.onclick = async () => {
      if (lab?.state !== 'ready') {
        status.textContent = t.editorNeedsLab;
        return;
      }
      status.textContent = t.editorLoading;
      open.disabled = true;
      try {
        const m = await import('./editor-panel.ts');
        await m.openEditor(lab, root);
        status.textContent = '';
      } catch (e) {
        status.textContent = message(e);
      } finally {
        open.disabled = false;
      }
    };
  }
}
