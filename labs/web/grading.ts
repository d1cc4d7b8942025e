/**
 * The scenario engine's answers as the browser shows them. The grader (`POST /labs/:name/check` on
 * the daemon) and hints (`POST /labs/:name/hint`) are built in parallel with this site, so their
 * bodies are read leniently: the field names the engine is likely to use are all accepted, and
 * evidence of any shape becomes text.
 */
import type { CheckView } from './types.ts';

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(text).filter(Boolean).join('\n');
  if (isObject(v)) {
    // {command|cmd|ran, output|stdout|got, ...}: "$ command\noutput"
    const cmd = v.command ?? v.cmd ?? v.ran ?? v.tried;
    const out = v.output ?? v.stdout ?? v.got ?? v.result ?? v.saw;
    if (cmd !== undefined || out !== undefined) {
      const where = v.target ?? v.from ?? v.on ?? v.where;
      const prefix = where ? `[${text(where)}] ` : '';
      const err = v.stderr ? `\n${text(v.stderr)}` : '';
      return `${prefix}${cmd !== undefined ? `$ ${text(cmd)}\n` : ''}${text(out)}${err}`.trimEnd();
    }
    return JSON.stringify(v, null, 2);
  }
  return String(v);
}

function passedOf(c: Raw): boolean {
  if (typeof c.passed === 'boolean') return c.passed;
  if (typeof c.ok === 'boolean') return c.ok;
  if (typeof c.pass === 'boolean') return c.pass;
  if (typeof c.status === 'string')
    return ['pass', 'passed', 'ok', 'success'].includes(c.status.toLowerCase());
  return false;
}

function hintOf(c: Raw): number | undefined {
  const h = c.hint ?? c.hintLevel;
  if (typeof h === 'number' && Number.isInteger(h) && h > 0) return h;
  if (isObject(h) && typeof h.number === 'number') return h.number;
  if (isObject(h) && typeof h.level === 'number') return h.level;
  return undefined;
}

export function normaliseChecks(body: unknown): { passed: boolean; checks: CheckView[]; ms?: number } {
  const root = isObject(body) ? body : { checks: body };
  const list = (root.checks ?? root.results ?? []) as unknown;
  const checks: CheckView[] = (Array.isArray(list) ? list : []).filter(isObject).map((c, i) => {
    const message = c.message ?? c.why ?? c.reason;
    const evidence = [text(message), text(c.evidence ?? c.details ?? c.output)].filter(Boolean).join('\n');
    return {
      id: String(c.id ?? c.name ?? `check-${i + 1}`),
      title: text(c.title ?? c.description ?? c.name ?? c.id ?? `Check ${i + 1}`),
      passed: passedOf(c),
      evidence,
      hint: hintOf(c),
      skipped: c.skipped === true ? true : undefined,
      from: typeof c.from === 'string' ? c.from : undefined,
      to: typeof c.to === 'string' ? c.to : undefined,
    };
  });
  const passed =
    typeof root.passed === 'boolean'
      ? root.passed
      : typeof root.ok === 'boolean'
        ? root.ok
        : checks.length > 0 && checks.every((c) => c.passed);
  const ms =
    typeof root.ms === 'number' ? root.ms : typeof root.durationMs === 'number' ? root.durationMs : undefined;
  return { passed, checks, ms };
}

/**
 * A hint answer: the engine's {hint: {number, text}, revealed, total, exhausted}, or a flatter
 * {level, text, more|remaining|total}.
 */
export function normaliseHint(
  body: unknown,
  askedLevel: number,
): { level: number; text: string; more: boolean; revealed: { level: number; text: string }[] } {
  const root = isObject(body) ? body : { text: body };
  const inner = isObject(root.hint) ? root.hint : undefined;
  const level =
    typeof inner?.number === 'number'
      ? inner.number
      : typeof root.level === 'number'
        ? root.level
        : typeof root.number === 'number'
          ? root.number
          : askedLevel;
  const hintText = text(
    inner?.text ?? (inner ? '' : root.hint) ?? root.text ?? root.markdown ?? root.body ?? '',
  );
  let more = false;
  if (typeof root.exhausted === 'boolean' && root.exhausted) more = false;
  else if (typeof root.more === 'boolean') more = root.more;
  else if (typeof root.remaining === 'number') more = root.remaining > 0;
  else if (typeof root.total === 'number') more = level < root.total;
  const revealed = (Array.isArray(root.revealed) ? root.revealed : []).filter(isObject).map((h, i) => ({
    level: typeof h.number === 'number' ? h.number : i + 1,
    text: text(h.text),
  }));
  return { level, text: hintText || text(root.text ?? ''), more, revealed };
}
