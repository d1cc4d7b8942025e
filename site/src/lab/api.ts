/** The browser side of the lab API (routes in labs/web/types.ts). Same origin, cookie session. */
import type {
  ApplyView,
  GradeView,
  HintView,
  LessonView,
  SessionView,
  StartLabRequest,
  TopologyView,
} from '../../../labs/web/types.ts';

export type { ApplyView, GradeView, HintView, LessonView, SessionView, TopologyView };

export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = { error: text };
  }
  if (!res.ok && res.status !== 422) {
    const e = (parsed ?? {}) as { error?: string; reason?: string };
    throw new ApiError(res.status, e.reason ?? 'Error', e.error ?? `${res.status} ${res.statusText}`);
  }
  return parsed as T;
}

export function session(): Promise<SessionView> {
  return call('GET', '/api/session');
}

export class LessonApi {
  readonly lesson: string;
  private readonly base: string;

  constructor(lesson: string) {
    this.lesson = lesson;
    this.base = `/api/lessons/${encodeURIComponent(lesson)}`;
  }

  view(): Promise<LessonView> {
    return call('GET', this.base);
  }
  start(req: StartLabRequest): Promise<LessonView> {
    return call('POST', `${this.base}/lab`, req);
  }
  reset(req: StartLabRequest): Promise<LessonView> {
    return call('POST', `${this.base}/lab/reset`, req);
  }
  stop(): Promise<LessonView> {
    return call('DELETE', `${this.base}/lab`);
  }
  check(): Promise<GradeView> {
    return call('POST', `${this.base}/lab/check`, { lang: document.documentElement.lang });
  }
  hint(lessonLevels: number, peek = false): Promise<HintView> {
    return call('POST', `${this.base}/lab/hint`, {
      lessonLevels,
      lang: document.documentElement.lang,
      ...(peek ? { peek: true } : {}),
    });
  }
  topology(): Promise<TopologyView> {
    return call('GET', `${this.base}/lab/topology`);
  }
  getObject(kind: string, name: string, namespace?: string): Promise<{ yaml: string }> {
    const q = new URLSearchParams({ kind, name, ...(namespace ? { namespace } : {}) });
    return call('GET', `${this.base}/lab/object?${q}`);
  }
  applyObject(yaml: string): Promise<ApplyView> {
    return call('PUT', `${this.base}/lab/object`, { yaml });
  }
  readFile(node: string, path: string): Promise<{ content: string }> {
    return call('GET', `${this.base}/lab/file?${new URLSearchParams({ node, path })}`);
  }
  writeFile(node: string, path: string, content: string): Promise<ApplyView> {
    return call('PUT', `${this.base}/lab/file`, { node, path, content });
  }
  eventsUrl(): string {
    return `${this.base}/lab/events`;
  }
  shellUrl(params: Record<string, string>): string {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}${this.base}/lab/shell?${new URLSearchParams(params)}`;
  }
}
