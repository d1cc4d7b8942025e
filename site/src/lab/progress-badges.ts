/**
 * The home page's lesson cards with the learner's progress: done, or started with checks and
 * hints so far. From the server's copy when it answers, else from the browser's (store.ts).
 */
import type { LessonProgress } from '../../../labs/web/sessions.ts';
import { session } from './api.ts';
import { pageStrings } from './i18n.ts';
import { loadAll } from './store.ts';

function badge(p: LessonProgress, t: ReturnType<typeof pageStrings>): string | undefined {
  if (p.completedAt) return `✓ ${t.lessonDone}`;
  if (!p.startedAt) return undefined;
  const parts = [t.lessonStarted];
  if (p.lastCheck) parts.push(`${p.lastCheck.passed}/${p.lastCheck.total} ${t.checksPassed}`);
  if (p.hintsUsed) parts.push(`${p.hintsUsed} ${t.hintsUsed}`);
  return parts.join(' · ');
}

export async function showProgressBadges(): Promise<void> {
  const t = pageStrings();
  let lessons: Record<string, LessonProgress> = loadAll();
  try {
    lessons = { ...lessons, ...(await session()).lessons };
  } catch {
    /* the server is away: the browser's copy will do */
  }
  for (const a of document.querySelectorAll<HTMLAnchorElement>('a[href*="/lessons/"]')) {
    const slug = /\/lessons\/([^/]+)\/?$/.exec(new URL(a.href).pathname)?.[1];
    const p = slug ? lessons[slug] : undefined;
    const text = p && badge(p, t);
    if (!text || a.querySelector('.svcl-badge')) continue;
    const span = document.createElement('span');
    span.className = 'svcl-badge';
    span.dataset.done = String(!!p.completedAt);
    span.textContent = text;
    a.append(span);
  }
}
