/**
 * Commands as data: what a plan step runs, printable as a line you can paste into bash and runnable
 * by the runner, from the same object.
 *
 * Some values exist only once earlier steps ran - the address Docker gave a node on a network, its
 * MAC, the network's gateway. They stay symbolic in the plan: a `Query` (a read-only command whose
 * trimmed output is the value) stands in a command's arguments or input as a marker. Printed, the
 * marker becomes `$(query)`, so the pasted line asks Docker just as the runner does; run, the runner
 * asks first and substitutes the answer.
 */

export interface Query {
  /** Stable key, e.g. `mac:svcl-lab-worker:kind`. */
  key: string;
  argv: string[];
}

export interface Cmd {
  argv: string[];
  /** Standard input (printed as a here-document). */
  input?: string;
  /** A comment line printed above the command. */
  note?: string;
  timeoutMs?: number;
  /** A failure whose output matches is not one (`docker network rm` of a network already gone). */
  tolerate?: RegExp;
}

const MARKER = /__svclq(\d+)__/g;

/** The queries of one plan, referenced from its commands by marker. */
export class Queries {
  readonly list: Query[] = [];

  ref(key: string, argv: string[]): string {
    let i = this.list.findIndex((q) => q.key === key);
    if (i < 0) i = this.list.push({ key, argv }) - 1;
    return `__svclq${i}__`;
  }
}

export function markersIn(text: string): number[] {
  return [...text.matchAll(MARKER)].map((m) => Number(m[1]));
}

export function substitute(text: string, value: (index: number) => string): string {
  return text.replace(MARKER, (_m, i: string) => value(Number(i)));
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One word for a POSIX shell. */
export function shQuote(word: string): string {
  if (word !== '' && SAFE.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

function renderQuery(q: Query): string {
  return `$(${q.argv.map(shQuote).join(' ')})`;
}

/** A word holding markers: double-quoted, each marker as a command substitution. */
function renderWord(word: string, queries: readonly Query[]): string {
  if (markersIn(word).length === 0) return shQuote(word);
  const parts = word.split(MARKER);
  let out = '"';
  parts.forEach((part, i) => {
    // split() with a capturing group alternates literal text and marker indices.
    if (i % 2 === 1) out += renderQuery(queries[Number(part)]);
    else out += part.replace(/[\\"$`]/g, (c) => `\\${c}`);
  });
  return `${out}"`;
}

function delimiter(input: string): string {
  const lines = new Set(input.split('\n'));
  let d = 'EOF';
  for (let i = 1; lines.has(d); i++) d = `EOF${i}`;
  return d;
}

/** Text with each marker shown as the command substitution that yields it. */
export function showMarkers(text: string, queries: readonly Query[]): string {
  return substitute(text, (i) => renderQuery(queries[i]));
}

/** The command as bash would take it: one line, plus a here-document for its input. */
export function renderCmd(cmd: Cmd, queries: readonly Query[] = []): string {
  const head = cmd.note ? `# ${cmd.note.replaceAll('\n', '\n# ')}\n` : '';
  const line = cmd.argv.map((w) => renderWord(w, queries)).join(' ');
  if (cmd.input === undefined) return `${head}${line}`;
  const body = cmd.input.endsWith('\n') ? cmd.input : `${cmd.input}\n`;
  const d = delimiter(body);
  if (markersIn(body).length === 0) return `${head}${line} <<'${d}'\n${body}${d}`;
  // An unquoted here-document expands $(...): escape everything else the shell would touch.
  const parts = body.split(MARKER);
  let text = '';
  parts.forEach((part, i) => {
    if (i % 2 === 1) text += renderQuery(queries[Number(part)]);
    else text += part.replace(/[\\$`]/g, (c) => `\\${c}`);
  });
  return `${head}${line} <<${d}\n${text}${d}`;
}
