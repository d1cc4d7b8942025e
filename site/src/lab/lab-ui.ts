/** <Lab>: the Start / Reset / Stop buttons, the build's progress bar with its real steps, and the learner's counters. */
import type { TimedProgressEvent } from '../../../labs/daemon/types.ts';
import type { LabState } from './controller.ts';
import { pageLab } from './controller.ts';
import { pageStrings } from './i18n.ts';

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h
    ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`
    : `${m}:${String(sec).padStart(2, '0')}`;
}

export function mountLab(): void {
  const root = document.querySelector<HTMLElement>('[data-svcl-lab]');
  const lab = pageLab();
  if (!root || !lab) return;
  const t = pageStrings();
  const $ = <T extends HTMLElement>(sel: string) => root.querySelector<T>(sel)!;
  const start = $<HTMLButtonElement>('[data-action="start"]');
  const reset = $<HTMLButtonElement>('[data-action="reset"]');
  const stop = $<HTMLButtonElement>('[data-action="stop"]');
  const msg = $<HTMLElement>('.svcl-lab-message');
  const progressBox = $<HTMLElement>('.svcl-progress');
  const bar = $<HTMLProgressElement>('progress');
  const steps = $<HTMLOListElement>('.svcl-steps');
  const stepsBox = $<HTMLDetailsElement>('.svcl-steps-box');
  let lastState: LabState | undefined;
  const note = $<HTMLElement>('[data-note]');
  const meta = $<HTMLElement>('[data-meta]');

  start.onclick = () => void lab.start();
  reset.onclick = () => void lab.reset();
  stop.onclick = () => void lab.stop();

  const renderSteps = () => {
    const all = [...lab.steps.values()];
    const last = all.at(-1);
    // A build may come in phases, each counting its own steps (the lab, then the scenario's
    // injection): a new total starts a new segment after the previous one.
    let offset = 0;
    let prevTotal: number | undefined;
    let value = 0;
    let max = 1;
    for (const e of lab.progressEvents) {
      if (prevTotal !== undefined && e.total !== prevTotal) offset += prevTotal;
      prevTotal = e.total;
      value = offset + e.done;
      max = Math.max(1, offset + e.total);
    }
    bar.max = max;
    bar.value = lab.state === 'ready' ? max : Math.min(value, max);
    bar.setAttribute('aria-valuetext', `${Math.round((bar.value / max) * 100)}%`);
    steps.replaceChildren(
      ...all.map((s) => {
        const li = document.createElement('li');
        li.dataset.state = s.state;
        li.dataset.step = s.step;
        const mark = s.state === 'done' ? '✓' : s.state === 'failed' ? '✗' : '…';
        li.textContent = `${mark} ${s.title}${s.state === 'done' ? ` (${(s.at / 1000).toFixed(1)} s)` : ''}`;
        return li;
      }),
    );
    if (last && lab.state === 'building') msg.textContent = `${t.labBuilding}: ${last.title}`;
  };

  const renderMeta = () => {
    const p = lab.view?.progress;
    if (!p?.startedAt || !lab.lab) {
      meta.textContent = '';
      return;
    }
    const end = p.completedAt ? Date.parse(p.completedAt) : Date.now();
    const parts = [`${t.elapsed} ${formatDuration(end - Date.parse(p.startedAt))}`];
    if (p.lastCheck) parts.push(`${p.lastCheck.passed}/${p.lastCheck.total} ${t.checksPassed}`);
    parts.push(`${p.hintsUsed} ${t.hintsUsed}`);
    meta.textContent = parts.join(' · ');
  };

  const render = (state: LabState) => {
    root.dataset.state = state;
    // The steps are the story while the lab builds; once it is ready they fold away (still there).
    if (state !== lastState) stepsBox.open = state !== 'ready';
    lastState = state;
    const busy = state === 'starting' || state === 'building' || state === 'stopping';
    start.hidden = state === 'ready';
    start.disabled = busy;
    reset.hidden = !(state === 'ready' || state === 'failed' || state === 'building');
    reset.disabled = busy && state !== 'building';
    stop.hidden = !(state === 'ready' || state === 'building' || state === 'failed');
    stop.disabled = state === 'stopping';
    progressBox.hidden = !(
      state === 'building' ||
      (state === 'ready' && lab.steps.size > 0) ||
      state === 'failed'
    );
    const words: Record<LabState, string> = {
      idle: lab.view?.progress.startedAt ? t.labStopped : t.labIdle,
      starting: t.labStarting,
      building: t.labBuilding,
      ready: lab.resumed ? t.labResumed : t.labReady,
      failed: `${t.labFailed}: ${lab.error ?? ''}`,
      stopping: '…',
    };
    msg.textContent = words[state];
    msg.classList.toggle('is-error', state === 'failed');
    const notes: string[] = [];
    if (lab.lab?.driver === 'process') notes.push(t.driverProcess);
    if (lab.view?.progress.fallback && lab.lab) notes.push(lab.view.progress.fallback);
    note.hidden = notes.length === 0;
    note.textContent = notes.join(' ');
    renderSteps();
    renderMeta();
  };

  lab.on<LabState>('state', render);
  lab.on<TimedProgressEvent>('progress', () => renderSteps());
  lab.on('view', () => renderMeta());
  setInterval(renderMeta, 1000);
  render(lab.state);
}
