/**
 * One lab per lesson page: its state, its build progress, and the panels that appear once it is
 * ready. Components talk to it and listen to it; the terminal and the topology view are imported
 * only when a lab is ready (and the editor only when opened), so a page that is just read ships none
 * of them.
 */
import type { LabStatus, TimedProgressEvent } from '../../../labs/daemon/types.ts';
import { ApiError, type GradeView, LessonApi, type LessonView, session } from './api.ts';
import { saveProgress } from './store.ts';

export type LabState = 'idle' | 'starting' | 'building' | 'ready' | 'failed' | 'stopping';

export interface LabConfig {
  lesson: string;
  scenario?: string;
  environment: string;
}

/** What a terminal panel offers the rest of the page (site/src/lab/terminal-panel.ts). */
export interface TerminalApi {
  run(command: string, opts?: { node?: string; enter?: boolean }): void;
  dispose(): void;
}

type Listener<T> = (value: T) => void;

export class LabController {
  readonly config: LabConfig;
  readonly api: LessonApi;
  state: LabState = 'idle';
  view: LessonView | undefined;
  lab: LabStatus | null = null;
  steps = new Map<string, TimedProgressEvent>();
  /** Every progress event of the current build, in order. */
  progressEvents: TimedProgressEvent[] = [];
  error: string | undefined;
  lastGrade: GradeView | undefined;
  /** The lab was already running when the page loaded. */
  resumed = false;
  private events: EventSource | undefined;
  private terminal: Promise<TerminalApi> | undefined;
  private readonly listeners = new Map<string, Set<Listener<unknown>>>();

  constructor(config: LabConfig) {
    this.config = config;
    this.api = new LessonApi(config.lesson);
  }

  on<T = unknown>(event: 'state' | 'progress' | 'grade' | 'view', fn: Listener<T>): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener<unknown>);
  }

  private emit(event: string, value: unknown): void {
    for (const fn of this.listeners.get(event) ?? []) fn(value);
  }

  private setState(state: LabState, error?: string): void {
    this.state = state;
    this.error = error;
    this.emit('state', state);
  }

  private setView(view: LessonView): void {
    this.view = view;
    this.lab = view.lab;
    saveProgress(view.lesson, view.progress, view.lab?.name);
    this.emit('view', view);
  }

  /** On page load: make sure of a session, then pick up a lab that is already running. */
  async init(): Promise<void> {
    try {
      await session();
      const view = await this.api.view();
      this.setView(view);
      if (view.lab) this.follow(view.lab, true);
    } catch (e) {
      this.setState('failed', message(e));
    }
  }

  private follow(lab: LabStatus, resumed: boolean): void {
    if (lab.phase === 'ready') {
      this.ready(resumed);
      return;
    }
    if (lab.phase === 'failed') {
      this.setState('failed', lab.error);
      return;
    }
    this.setState('building');
    this.steps.clear();
    this.progressEvents = [];
    this.events?.close();
    const es = new EventSource(this.api.eventsUrl());
    this.events = es;
    es.addEventListener('progress', (m) => {
      const p = JSON.parse((m as MessageEvent).data) as TimedProgressEvent;
      this.steps.set(p.step, p);
      this.progressEvents.push(p);
      this.emit('progress', p);
    });
    es.addEventListener('ready', (m) => {
      es.close();
      const status = JSON.parse((m as MessageEvent).data) as LabStatus;
      this.lab = status;
      if (this.view) this.view = { ...this.view, lab: status };
      this.ready(false);
    });
    es.addEventListener('failed', (m) => {
      es.close();
      const d = JSON.parse((m as MessageEvent).data) as { error: string };
      this.setState('failed', d.error);
    });
    es.onerror = () => {
      // The stream ends after ready/failed; a drop before that reconnects by itself and replays.
      if (es.readyState === EventSource.CLOSED && this.state === 'building') {
        void this.api.view().then((v) => {
          this.setView(v);
          if (v.lab) this.follow(v.lab, false);
          else this.setState('idle');
        });
      }
    };
  }

  private ready(resumed: boolean): void {
    this.resumed = resumed;
    this.setState('ready');
    void this.terminalApi();
  }

  /** The terminal panel, loaded on first use once the lab is ready. */
  terminalApi(): Promise<TerminalApi> | undefined {
    if (this.state !== 'ready' || !this.lab) return undefined;
    this.terminal ??= import('./terminal-panel.ts').then((m) => m.mountTerminals(this));
    return this.terminal;
  }

  private disposeTerminal(): void {
    const t = this.terminal;
    this.terminal = undefined;
    void t?.then((api) => api.dispose());
  }

  async start(): Promise<void> {
    if (this.state === 'starting' || this.state === 'building' || this.state === 'ready') return;
    this.setState('starting');
    try {
      const view = await this.api.start({
        scenario: this.config.scenario,
        environment: this.config.environment,
      });
      this.setView(view);
      if (view.lab) this.follow(view.lab, false);
    } catch (e) {
      this.setState('failed', message(e));
    }
  }

  async reset(): Promise<void> {
    this.disposeTerminal();
    this.events?.close();
    this.lastGrade = undefined;
    this.emit('grade', undefined);
    this.setState('starting');
    try {
      const view = await this.api.reset({
        scenario: this.config.scenario,
        environment: this.config.environment,
      });
      this.setView(view);
      if (view.lab) this.follow(view.lab, false);
    } catch (e) {
      this.setState('failed', message(e));
    }
  }

  async stop(): Promise<void> {
    this.disposeTerminal();
    this.events?.close();
    this.setState('stopping');
    try {
      this.setView(await this.api.stop());
      this.setState('idle');
    } catch (e) {
      this.setState('failed', message(e));
    }
  }

  async check(): Promise<GradeView> {
    const grade = await this.api.check();
    this.lastGrade = grade;
    if (this.view) this.setView({ ...this.view, progress: grade.progress });
    this.emit('grade', grade);
    return grade;
  }

  /** Type a command into the terminal (and press Enter unless told not to). */
  async run(command: string, opts: { node?: string; enter?: boolean } = {}): Promise<boolean> {
    const t = this.terminalApi();
    if (!t) return false;
    (await t).run(command, opts);
    return true;
  }
}

export function message(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

let current: LabController | undefined;

/** The page's lab controller, made from the <Lab> element's data attributes. */
export function pageLab(): LabController | undefined {
  if (current) return current;
  const el = document.querySelector<HTMLElement>('[data-svcl-lab]');
  if (!el?.dataset.lesson || !el.dataset.environment) return undefined;
  current = new LabController({
    lesson: el.dataset.lesson,
    scenario: el.dataset.scenario || undefined,
    environment: el.dataset.environment,
  });
  void current.init();
  return current;
}
