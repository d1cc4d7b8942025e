/**
 * Label and field selectors, in the string syntax kubectl sends (`app=web,tier!=db`,
 * `env in (a,b)`, `!canary`) and the structured form objects carry (`matchLabels`/`matchExpressions`).
 */
import { badRequest } from './errors.ts';

export type Requirement =
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!' };

export type Selector = Requirement[];

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  if (current.trim() !== '' || parts.length > 0) parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, whole: string): void {
  if (!KEY.test(key) || key.length > 316)
    throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${whole}"`);
}

function checkValue(value: string, whole: string): void {
  if (!VALUE.test(value) || value.length > 63) {
    throw badRequest(
      `unable to parse requirement: values[0][${whole}]: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

/** Parse a label selector string. Throws a 400 ApiError with the apiserver's message on bad syntax. */
export function parseLabelSelector(text: string | undefined | null): Selector {
  if (!text) return [];
  const out: Selector = [];
  for (const part of splitTopLevel(text)) {
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^(\S+?)\s+(in|notin)\s*\((.*)\)$/))) {
      const values = m[3]
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      checkKey(m[1], part);
      values.forEach((v) => checkValue(v, part));
      out.push({ key: m[1], op: m[2] as 'in' | 'notin', values });
    } else if ((m = part.match(/^(\S+?)\s*(!=|==|=)\s*(\S*)$/))) {
      checkKey(m[1], part);
      checkValue(m[3], part);
      out.push({ key: m[1], op: m[2] === '!=' ? '!=' : '=', value: m[3] });
    } else if ((m = part.match(/^!\s*(\S+)$/))) {
      checkKey(m[1], part);
      out.push({ key: m[1], op: '!' });
    } else if (/^\S+$/.test(part)) {
      checkKey(part, part);
      out.push({ key: part, op: 'exists' });
    } else {
      throw badRequest(
        `unable to parse requirement: found '${part}', expected: '=', '!=', '==', 'in', notin'`,
      );
    }
  }
  return out;
}

export function matchesSelector(selector: Selector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case '=':
        return has && l[r.key] === r.value;
      case '!=':
        return !has || l[r.key] !== r.value;
      case 'in':
        return has && r.values.includes(l[r.key]);
      case 'notin':
        return !has || !r.values.includes(l[r.key]);
      case 'exists':
        return has;
      case '!':
        return !has;
    }
  });
}

/** The structured selector of workloads and pod affinity. An empty selector matches everything. */
export function selectorFromObject(sel: LabelSelectorObject | undefined | null): Selector {
  if (!sel) return [];
  const out: Selector = Object.entries(sel.matchLabels ?? {}).map(([key, value]) => ({
    key,
    op: '=' as const,
    value,
  }));
  for (const e of sel.matchExpressions ?? []) {
    switch (e.operator) {
      case 'In':
        out.push({ key: e.key, op: 'in', values: e.values ?? [] });
        break;
      case 'NotIn':
        out.push({ key: e.key, op: 'notin', values: e.values ?? [] });
        break;
      case 'Exists':
        out.push({ key: e.key, op: 'exists' });
        break;
      case 'DoesNotExist':
        out.push({ key: e.key, op: '!' });
        break;
    }
  }
  return out;
}

/** A Service's or ReplicationController's map selector. */
export function selectorFromMap(map: Record<string, string> | undefined | null): Selector {
  return Object.entries(map ?? {}).map(([key, value]) => ({ key, op: '=' as const, value }));
}

/** `app=web,tier=db` as kubectl prints selectors (sorted like labels.Set.String()). */
export function formatSelector(selector: Selector): string {
  return selector
    .map((r) => {
      switch (r.op) {
        case '=':
        case '!=':
          return `${r.key}${r.op}${r.value}`;
        case 'in':
        case 'notin':
          return `${r.key} ${r.op} (${[...r.values].sort().join(',')})`;
        case 'exists':
          return r.key;
        case '!':
          return `!${r.key}`;
      }
    })
    .join(',');
}

export function formatLabelMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${map![k]}`)
    .join(',');
}

export type FieldRequirement = { field: string; op: '=' | '!='; value: string };

/** Field selectors: `spec.nodeName=n1,status.phase!=Succeeded`. Only equality forms exist. */
export function parseFieldSelector(text: string | undefined | null): FieldRequirement[] {
  if (!text) return [];
  return splitTopLevel(text).map((part) => {
    const m = part.match(/^([^=!\s]+)\s*(!=|==|=)\s*(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    return { field: m[1], op: m[2] === '!=' ? '!=' : '=', value: m[3].replace(/\\(.)/g, '$1') };
  });
}

export function matchesFields(reqs: FieldRequirement[], fields: Record<string, string>): boolean {
  return reqs.every((r) => (r.op === '=' ? fields[r.field] === r.value : fields[r.field] !== r.value));
}
