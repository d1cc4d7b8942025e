/**
 * The simple JSONPath subset CRD printer columns use: `.spec.replicas`, `.items[0].name`,
 * `.subsets[*].addresses`, `.status.conditions[?(@.type=="Ready")].status`.
 */

type Step =
  | { field: string }
  | { index: number }
  | { all: true }
  | { filter: { path: string[]; value: string } };

function parse(path: string): Step[] {
  const steps: Step[] = [];
  const text = path
    .trim()
    .replace(/^\{|\}$/g, '')
    .replace(/^\$/, '');
  let i = 0;
  while (i < text.length) {
    if (text[i] === '.') {
      i++;
      const m = text.slice(i).match(/^[^.[]+/);
      if (m) {
        steps.push({ field: m[0] });
        i += m[0].length;
      }
    } else if (text[i] === '[') {
      const end = text.indexOf(']', i);
      if (end < 0) break;
      const inner = text.slice(i + 1, end).trim();
      i = end + 1;
      let m: RegExpMatchArray | null;
      if (inner === '*') steps.push({ all: true });
      else if (/^-?\d+$/.test(inner)) steps.push({ index: Number(inner) });
      else if ((m = inner.match(/^['"](.*)['"]$/))) steps.push({ field: m[1] });
      else if ((m = inner.match(/^\?\(@\.([\w.]+)\s*==\s*['"](.*)['"]\)$/))) {
        steps.push({ filter: { path: m[1].split('.'), value: m[2] } });
      }
    } else i++;
  }
  return steps;
}

function get(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const k of path)
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined;
  return cur;
}

/** All values the path selects, in document order. */
export function evaluate(obj: unknown, path: string): unknown[] {
  let current: unknown[] = [obj];
  for (const step of parse(path)) {
    const next: unknown[] = [];
    for (const v of current) {
      if ('field' in step) {
        if (v && typeof v === 'object' && !Array.isArray(v) && step.field in v)
          next.push((v as Record<string, unknown>)[step.field]);
      } else if ('index' in step) {
        if (Array.isArray(v)) {
          const item = v[step.index < 0 ? v.length + step.index : step.index];
          if (item !== undefined) next.push(item);
        }
      } else if ('all' in step) {
        if (Array.isArray(v)) next.push(...v);
        else if (v && typeof v === 'object') next.push(...Object.values(v));
      } else if (Array.isArray(v)) {
        next.push(...v.filter((item) => String(get(item, step.filter.path)) === step.filter.value));
      }
    }
    current = next;
  }
  return current;
}
