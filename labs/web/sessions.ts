/**
 * Learners, as the web server knows them: one random token per browser (an HttpOnly cookie), and
 * per lesson the lab it runs and its progress (checks passed, hints used, time). Kept in one JSON
 * file under the state directory so a reload, or a restart of `npm start`, finds the learner again.
 * The browser keeps a copy too (site/src/lab/store.ts); the server's copy is the one that counts.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const SESSION_COOKIE = 'svcl_session';
const TOKEN = /^[0-9a-f]{48}$/;
const SAVE_DELAY_MS = 200;

export interface CheckSummary {
  at: string;
  passed: number;
  total: number;
}

export interface LessonProgress {
  lesson: string;
  /** The daemon's name of the lab this learner runs for the lesson. */
  lab?: string;
  scenario?: string;
  environment?: string;
  driver?: string;
  /** The scenario could not be built (not installed yet): the healthy environment was. */
  fallback?: string;
  startedAt?: string;
  /** Every check passed at this time (cleared by a reset). */
  completedAt?: string;
  checkRuns: number;
  lastCheck?: CheckSummary;
  /** The highest check count that passed at once. */
  bestPassed: number;
  hintsUsed: number;
  resets: number;
}

export interface Session {
  /** Short public id (logs, lab names); the token itself never leaves the cookie. */
  id: string;
  createdAt: string;
  seenAt: string;
  lessons: Record<string, LessonProgress>;
}

interface StoreFile {
  version: 1;
  sessions: Record<string, Session>;
}

export function emptyProgress(lesson: string): LessonProgress {
  return { lesson, checkRuns: 0, bestPassed: 0, hintsUsed: 0, resets: 0 };
}

export class SessionStore {
  private readonly file: string | undefined;
  private data: StoreFile = { version: 1, sessions: {} };
  private timer: NodeJS.Timeout | undefined;

  /** Without a file the store lives in memory only (tests). */
  constructor(file?: string) {
    this.file = file;
    if (!file) return;
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as StoreFile;
      if (parsed?.version === 1 && parsed.sessions && typeof parsed.sessions === 'object') this.data = parsed;
    } catch {
      /* first start, or a damaged file: start empty rather than refuse to serve */
    }
  }

  /** The session for a cookie value, if it names one. */
  find(token: string | undefined): Session | undefined {
    if (!token || !TOKEN.test(token)) return undefined;
    for (const [known, session] of Object.entries(this.data.sessions)) {
      if (known.length === token.length && timingSafeEqual(Buffer.from(known), Buffer.from(token))) {
        session.seenAt = new Date().toISOString();
        return session;
      }
    }
    return undefined;
  }

  create(): { token: string; session: Session } {
    const token = randomBytes(24).toString('hex');
    const now = new Date().toISOString();
    const session: Session = {
      id: randomBytes(3).toString('hex'),
      createdAt: now,
      seenAt: now,
      lessons: {},
    };
    this.data.sessions[token] = session;
    this.changed();
    return { token, session };
  }

  progress(session: Session, lesson: string): LessonProgress {
    session.lessons[lesson] ??= emptyProgress(lesson);
    return session.lessons[lesson];
  }

  /** Every session's lessons, for finding who holds a lab. */
  *allLessons(): Iterable<[Session, LessonProgress]> {
    for (const s of Object.values(this.data.sessions)) for (const p of Object.values(s.lessons)) yield [s, p];
  }

  /** Call after changing a session or its progress; writes soon, coalescing bursts. */
  changed(): void {
    if (!this.file || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, SAVE_DELAY_MS);
    this.timer.unref();
  }

  flush(): void {
    if (!this.file) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.data, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key && !(key in out)) out[key] = value;
  }
  return out;
}

export function sessionCookie(token: string): string {
  // A year: progress should outlive a browser restart. Strict: no other site can send it along.
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000`;
}
