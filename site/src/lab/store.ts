/**
 * The browser's copy of a learner's progress (localStorage), refreshed from every server answer.
 * The server's copy counts; this one lets the home page show progress without a request and
 * survives the server's state directory being wiped.
 */
import type { LessonProgress } from '../../../labs/web/sessions.ts';

const KEY = 'svcl-progress';

export interface StoredLesson extends LessonProgress {
  savedAt: string;
}

export function loadAll(): Record<string, StoredLesson> {
  try {
    const parsed = JSON.parse(localStorage.getItem(KEY) ?? '{}');
    return parsed && typeof parsed === 'object' ? parsed : {};
  } catch {
    return {};
  }
}

export function saveProgress(lesson: string, progress: LessonProgress, lab: string | undefined): void {
  try {
    const all = loadAll();
    all[lesson] = { ...progress, lab, savedAt: new Date().toISOString() };
    localStorage.setItem(KEY, JSON.stringify(all));
  } catch {
    /* private mode or a full quota: the server's copy is enough */
  }
}

/** A terminal id that survives reloads of this tab, so the server re-attaches the same shell. */
export function terminalId(lesson: string, lab: string, node: string, fresh = false): string {
  const key = `svcl-term:${lesson}:${lab}:${node}`;
  let id = fresh ? null : sessionStorage.getItem(key);
  if (!id) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join(
      '',
    );
    sessionStorage.setItem(key, id);
  }
  return id;
}
