/**
 * One lab per learner per lesson, held by the lab daemon. This module decides which lab a request
 * is about (the session's, never another learner's), which driver and target to build (the
 * lesson's scenario with its fault when the scenario engine has it, else the healthy environment),
 * and keeps the learner's progress as checks and hints happen.
 */
import { DaemonApiError, type DaemonClient } from '../daemon/client.ts';
import type { LabStatus } from '../daemon/types.ts';
import { normaliseChecks, normaliseHint } from './grading.ts';
import { getObjectArgs, kubectl } from './kubectl.ts';
import type { LessonProgress, Session, SessionStore } from './sessions.ts';
import { topologyView } from './topology.ts';
import type { ApplyView, GradeView, HintView, LessonView, StartLabRequest, TopologyView } from './types.ts';

/** An answer for the browser: status and {error, reason}. */
export class WebError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

const LESSON = /^[a-z0-9][a-z0-9-]{0,62}$/;
const TARGET = /^[a-z0-9][a-z0-9-]{0,62}$/;
const MAX_FILE = 1024 * 1024;

export function checkLesson(lesson: string): string {
  if (!LESSON.test(lesson)) throw new WebError(404, 'NotFound', `no lesson "${lesson}"`);
  return lesson;
}

/** Drivers to try, in order: $SVC_LABS_DRIVER (comma-separated) or the real one, then the development one. */
export function driverPreference(env = process.env.SVC_LABS_DRIVER): string[] {
  const listed = (env ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return listed.length ? listed : ['netns', 'process'];
}

function isMissingRoute(e: unknown): boolean {
  return e instanceof DaemonApiError && e.status === 404 && /^no route /.test(e.message);
}

/** The driver cannot build this lab here (missing, unavailable, or not one the scenario runs on): try the next. */
function isDriverProblem(e: unknown): boolean {
  return (
    e instanceof DaemonApiError &&
    (e.reason === 'UnknownDriver' ||
      e.reason === 'DriverUnavailable' ||
      e.reason === 'UnsupportedDriver' ||
      /driver failed to load/.test(e.message))
  );
}

export interface LessonLabsOptions {
  client: DaemonClient;
  sessions: SessionStore;
  drivers?: string[];
}

export class LessonLabs {
  private readonly client: DaemonClient;
  private readonly sessions: SessionStore;
  private readonly drivers: string[];
  /** Starts in flight per session+lesson, so a double click builds one lab. */
  private readonly pending = new Map<string, Promise<LessonView>>();

  constructor(opts: LessonLabsOptions) {
    this.client = opts.client;
    this.sessions = opts.sessions;
    this.drivers = opts.drivers ?? driverPreference();
  }

  private progress(session: Session, lesson: string): LessonProgress {
    return this.sessions.progress(session, checkLesson(lesson));
  }

  /** The learner's lab as the daemon sees it; a lab the daemon no longer has is forgotten. */
  private async labOf(progress: LessonProgress): Promise<LabStatus | null> {
    if (!progress.lab) return null;
    try {
      return await this.client.getLab(progress.lab);
    } catch (e) {
      if (e instanceof DaemonApiError && e.status === 404) {
        progress.lab = undefined;
        this.sessions.changed();
        return null;
      }
      throw e;
    }
  }

  private viewOf(lesson: string, progress: LessonProgress, lab: LabStatus | null): LessonView {
    return {
      lesson,
      progress,
      lab,
      grading: !!lab?.scenario && !lab.noFault,
    };
  }

  async view(session: Session, lesson: string): Promise<LessonView> {
    const progress = this.progress(session, lesson);
    return this.viewOf(lesson, progress, await this.labOf(progress));
  }

  start(session: Session, lesson: string, body: unknown): Promise<LessonView> {
    const key = `${session.id}/${lesson}`;
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const run = this.doStart(session, lesson, body).finally(() => this.pending.delete(key));
    this.pending.set(key, run);
    return run;
  }

  private async doStart(session: Session, lesson: string, body: unknown): Promise<LessonView> {
    const req = validateStart(body);
    const progress = this.progress(session, lesson);
    const current = await this.labOf(progress);
    // A lab that is building or ready is the one to go on with (a second tab, a reload).
    if (current && (current.phase === 'building' || current.phase === 'ready'))
      return this.viewOf(lesson, progress, current);
    if (current) await this.client.deleteLab(current.name).catch(() => {});
    const status = await this.create(session, lesson, req, progress);
    progress.lab = status.name;
    progress.scenario = req.scenario;
    progress.environment = status.environment;
    progress.driver = status.driver;
    progress.startedAt = new Date().toISOString();
    progress.completedAt = undefined;
    this.sessions.changed();
    return this.viewOf(lesson, progress, status);
  }

  private labName(session: Session, lesson: string): string {
    return `${lesson.slice(0, 50).replace(/-+$/, '')}-${session.id}`;
  }

  private async create(
    session: Session,
    lesson: string,
    req: StartLabRequest,
    progress: LessonProgress,
  ): Promise<LabStatus> {
    const name = this.labName(session, lesson);
    // A lab of this name left from an earlier server (progress lost) is ours: replace it.
    await this.client.deleteLab(name).catch(() => {});
    let lastError: unknown;
    if (req.scenario) {
      for (const driver of this.drivers) {
        try {
          const status = await this.client.createLab({ scenario: req.scenario, name, driver });
          progress.fallback = undefined;
          return status;
        } catch (e) {
          lastError = e;
          if (isDriverProblem(e)) continue;
          if (e instanceof DaemonApiError && e.reason === 'UnknownTarget') break;
          throw e;
        }
      }
    }
    // No scenario, or none of our drivers can build it: the healthy environment, said plainly.
    const why =
      lastError instanceof DaemonApiError && lastError.reason === 'UnknownTarget'
        ? `the scenario "${req.scenario}" is not installed in this build`
        : `the scenario "${req.scenario}" cannot be built here (${lastError instanceof Error ? lastError.message : String(lastError)})`;
    for (const driver of this.drivers) {
      try {
        const status = await this.client.createLab({ environment: req.environment, name, driver });
        progress.fallback = req.scenario
          ? `${why}; this is the healthy ${req.environment} cluster, without the fault`
          : undefined;
        return status;
      } catch (e) {
        lastError = e;
        if (isDriverProblem(e)) continue;
        throw e;
      }
    }
    throw lastError;
  }

  async stop(session: Session, lesson: string): Promise<LessonView> {
    const progress = this.progress(session, lesson);
    const name = progress.lab;
    if (name) {
      try {
        await this.client.deleteLab(name);
      } catch (e) {
        if (!(e instanceof DaemonApiError && e.status === 404)) throw e;
      }
      progress.lab = undefined;
      this.sessions.changed();
    }
    return this.viewOf(lesson, progress, null);
  }

  /** Back to the freshly injected state: the scenario's own reset when the daemon has one, else a rebuild. */
  async reset(session: Session, lesson: string, body: unknown): Promise<LessonView> {
    const progress = this.progress(session, lesson);
    const lab = await this.labOf(progress);
    progress.resets++;
    progress.completedAt = undefined;
    progress.lastCheck = undefined;
    if (lab?.phase === 'ready') {
      try {
        await this.client.request('POST', `/labs/${encodeURIComponent(lab.name)}/reset`);
        this.sessions.changed();
        return this.viewOf(lesson, progress, await this.client.getLab(lab.name));
      } catch (e) {
        if (!isMissingRoute(e)) throw e;
      }
    }
    await this.stop(session, lesson);
    return this.start(session, lesson, body);
  }

  /** The learner's lab, ready; otherwise 409 saying what it is doing. */
  async readyLab(session: Session, lesson: string): Promise<LabStatus> {
    const progress = this.progress(session, lesson);
    const lab = await this.labOf(progress);
    if (!lab) throw new WebError(409, 'NoLab', 'start the lab first');
    if (lab.phase !== 'ready')
      throw new WebError(409, 'NotReady', `the lab is ${lab.phase}${lab.error ? `: ${lab.error}` : ''}`);
    return lab;
  }

  /** The daemon-side name of the learner's lab (events and shells), or 409. */
  async labName409(session: Session, lesson: string): Promise<string> {
    const progress = this.progress(session, lesson);
    if (!progress.lab) throw new WebError(409, 'NoLab', 'start the lab first');
    return progress.lab;
  }

  async check(session: Session, lesson: string, body: unknown = {}): Promise<GradeView> {
    const lab = await this.readyLab(session, lesson);
    const progress = this.progress(session, lesson);
    if (!lab.scenario || lab.noFault)
      throw new WebError(
        501,
        'NoGrader',
        progress.fallback ?? 'this lab was built without a scenario, so there is nothing to grade',
      );
    let raw: unknown;
    try {
      raw = await this.client.request(
        'POST',
        `/labs/${encodeURIComponent(lab.name)}/check`,
        { lang: langOf(body) },
        { timeoutMs: 120_000 },
      );
    } catch (e) {
      if (isMissingRoute(e))
        throw new WebError(
          501,
          'NoGrader',
          'the grader is not part of this build yet (the lab daemon has no POST /labs/:name/check)',
        );
      throw e;
    }
    const grade = normaliseChecks(raw);
    const passed = grade.checks.filter((c) => c.passed).length;
    progress.checkRuns++;
    progress.lastCheck = { at: new Date().toISOString(), passed, total: grade.checks.length };
    progress.bestPassed = Math.max(progress.bestPassed, passed);
    if (grade.passed && !progress.completedAt) progress.completedAt = progress.lastCheck.at;
    this.sessions.changed();
    return { ...grade, progress };
  }

  /**
   * The next hint. The scenario's hints when the daemon serves them; otherwise the lesson's own
   * (`lessonLevels` of them, shown by the page), counted here all the same.
   */
  async hint(session: Session, lesson: string, body: unknown): Promise<HintView> {
    const progress = this.progress(session, lesson);
    const b = (body ?? {}) as { lessonLevels?: unknown; peek?: unknown };
    const lessonLevels = typeof b.lessonLevels === 'number' ? Math.max(0, Math.floor(b.lessonLevels)) : 0;
    const peek = b.peek === true;
    const lab = await this.labOf(progress);
    const level = progress.hintsUsed + 1;
    if (lab?.phase === 'ready' && lab.scenario && !lab.noFault) {
      try {
        const raw = await this.client.request('POST', `/labs/${encodeURIComponent(lab.name)}/hint`, {
          lang: langOf(body),
          ...(peek ? { peek: true } : {}),
        });
        const hint = normaliseHint(raw, level);
        if (peek)
          return {
            level: hint.revealed.length,
            more: hint.more || hint.revealed.length === 0,
            source: 'scenario',
            revealed: hint.revealed,
            progress,
          };
        if (hint.text) {
          progress.hintsUsed = Math.max(progress.hintsUsed, hint.level);
          this.sessions.changed();
          return {
            level: hint.level,
            text: hint.text,
            more: hint.more,
            source: 'scenario',
            revealed: hint.revealed,
            progress,
          };
        }
      } catch (e) {
        if (!isMissingRoute(e) && !(e instanceof DaemonApiError && (e.status === 404 || e.status === 400)))
          throw e;
      }
    }
    if (peek) {
      const shown = Math.min(progress.hintsUsed, lessonLevels);
      return { level: shown, more: shown < lessonLevels, source: 'lesson', progress };
    }
    if (lessonLevels === 0) throw new WebError(404, 'NoHints', 'this lesson has no hints');
    const shown = Math.min(level, lessonLevels);
    progress.hintsUsed = Math.max(progress.hintsUsed, shown);
    this.sessions.changed();
    return { level: shown, more: shown < lessonLevels, source: 'lesson', progress };
  }

  async topology(session: Session, lesson: string): Promise<TopologyView> {
    const progress = this.progress(session, lesson);
    const lab = await this.labOf(progress);
    const environment = lab?.environment ?? progress.environment;
    if (!environment) throw new WebError(409, 'NoLab', 'start the lab first');
    let pods: unknown[] = [];
    if (lab?.phase === 'ready' && lab.kubeconfig) {
      const r = await kubectl(lab.kubeconfig, ['get', 'pods', '-A', '-o', 'json']);
      if (r.code === 0) {
        try {
          pods = (JSON.parse(r.stdout) as { items?: unknown[] }).items ?? [];
        } catch {
          pods = [];
        }
      }
    }
    try {
      return topologyView(environment, pods as never[]);
    } catch (e) {
      throw new WebError(404, 'NotFound', e instanceof Error ? e.message : String(e));
    }
  }

  async getObject(session: Session, lesson: string, q: URLSearchParams): Promise<{ yaml: string }> {
    const lab = await this.readyLab(session, lesson);
    const args = getObjectArgs(q.get('kind') ?? '', q.get('name') ?? '', q.get('namespace') ?? undefined);
    if (typeof args === 'string') throw new WebError(400, 'BadRequest', args);
    const r = await kubectl(lab.kubeconfig!, args);
    if (r.code !== 0) throw new WebError(404, 'NotFound', r.stderr.trim() || `kubectl exited ${r.code}`);
    return { yaml: r.stdout };
  }

  /** `kubectl replace`: the object as edited, checked against its resourceVersion, as `kubectl edit` would be. */
  async applyObject(session: Session, lesson: string, body: unknown): Promise<ApplyView> {
    const lab = await this.readyLab(session, lesson);
    const yaml = (body as { yaml?: unknown })?.yaml;
    if (typeof yaml !== 'string' || yaml.trim() === '')
      throw new WebError(400, 'BadRequest', 'yaml is required');
    if (yaml.length > MAX_FILE) throw new WebError(413, 'TooLarge', 'the object is too large');
    const r = await kubectl(lab.kubeconfig!, ['replace', '-f', '-'], yaml);
    return r.code === 0
      ? { ok: true, output: r.stdout.trim() }
      : { ok: false, output: r.stderr.trim() || r.stdout.trim() };
  }

  private checkNodeFile(lab: LabStatus, node: unknown, path: unknown): { node: string; path: string } {
    if (typeof node !== 'string' || !lab.nodes.some((n) => n.name === node))
      throw new WebError(404, 'NotFound', `lab has no node "${String(node)}"`);
    if (
      typeof path !== 'string' ||
      !path.startsWith('/') ||
      path.includes('\0') ||
      path.split('/').includes('..')
    )
      throw new WebError(400, 'BadRequest', 'path must be an absolute path inside the node');
    // The process driver's "nodes" are this machine: its files are the host's own.
    if (lab.driver === 'process')
      throw new WebError(
        501,
        'NotSupported',
        'node files need the netns driver (this lab runs on the process driver)',
      );
    return { node, path };
  }

  async readFile(session: Session, lesson: string, q: URLSearchParams): Promise<{ content: string }> {
    const lab = await this.readyLab(session, lesson);
    const { node, path } = this.checkNodeFile(lab, q.get('node'), q.get('path'));
    const r = await this.client.exec(lab.name, { node, argv: ['cat', '--', path], timeoutMs: 10_000 });
    if (r.code !== 0) throw new WebError(404, 'NotFound', r.stderr.trim() || `cat exited ${r.code}`);
    return { content: r.stdout };
  }

  async writeFile(session: Session, lesson: string, body: unknown): Promise<ApplyView> {
    const lab = await this.readyLab(session, lesson);
    const b = (body ?? {}) as { node?: unknown; path?: unknown; content?: unknown };
    const { node, path } = this.checkNodeFile(lab, b.node, b.path);
    if (typeof b.content !== 'string') throw new WebError(400, 'BadRequest', 'content is required');
    if (b.content.length > MAX_FILE) throw new WebError(413, 'TooLarge', 'the file is too large');
    const r = await this.client.exec(lab.name, {
      node,
      argv: ['sh', '-c', 'cat > "$1"', 'sh', path],
      input: b.content,
      timeoutMs: 10_000,
    });
    return r.code === 0
      ? { ok: true, output: `wrote ${path} on ${node}` }
      : { ok: false, output: r.stderr.trim() || `exit ${r.code}` };
  }
}

/** The learner's language for the scenario's words: the page's, as the scenario engine names it. */
function langOf(body: unknown): 'en' | 'zh-CN' {
  const lang = (body as { lang?: unknown })?.lang;
  return typeof lang === 'string' && lang.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

function validateStart(body: unknown): StartLabRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  const scenario = b.scenario;
  const environment = b.environment;
  if (scenario !== undefined && (typeof scenario !== 'string' || !TARGET.test(scenario)))
    throw new WebError(400, 'BadRequest', 'scenario must be a scenario name');
  if (typeof environment !== 'string' || !TARGET.test(environment))
    throw new WebError(400, 'BadRequest', 'environment is required');
  return { scenario: scenario as string | undefined, environment };
}
