/**
 * Reusable probes for checks: HTTP from a node or a pod with a short timeout, many requests at
 * once (which backends answered, which failed), DNS, `ip route get`, iptables-save, and the API
 * objects checks ask about. Each probe records one piece of evidence phrased for a learner
 * (`curl -sS -m 1 http://10.244.1.3/` on ubuntu01 -> `curl: (7) Failed to connect ...`), so a
 * scenario's checks.ts stays a few declarative lines per check.
 */
import type { ExecTarget, RunResult } from '../drivers/driver.ts';
import type { LabContext } from './context.ts';
import { shellLine, targetName } from './context.ts';
import type { Evidence } from './types.ts';

/** A node name, or a pod (`{pod: {namespace, name}}`). */
export type From = string | ExecTarget;

export interface HttpOptions {
  /** Connect timeout (default 1000 ms); also the total unless totalMs says otherwise. */
  timeoutMs?: number;
  /** Longest a request may take once connected (TLS handshakes under load). */
  totalMs?: number;
  /** The client: curl (nodes, netshoot) or busybox wget (images without curl). Default curl. */
  tool?: 'curl' | 'wget';
  /** https without verifying the certificate (the apiserver's). */
  insecure?: boolean;
}

export interface HttpResult {
  ok: boolean;
  /** HTTP status (curl only; 0 when no answer). */
  status: number;
  /** The answer's body, or the client's error message. */
  body: string;
  error?: string;
  ms: number;
}

export interface ManyResult {
  total: number;
  /** Bodies of the answers (first line, trimmed), in arrival order. */
  answers: string[];
  /** Error lines of the requests that failed. */
  failures: string[];
  /** How often each body came back. */
  byBody: Map<string, number>;
  ok: boolean;
  ms: number;
}

export interface RouteResult {
  line: string;
  dev?: string;
  src?: string;
  via?: string;
}

export interface PodInfo {
  name: string;
  namespace: string;
  /** The lab node the pod runs on (what exec and sh take). */
  node?: string;
  /** spec.nodeName: the Kubernetes Node's name, which a driver may spell differently (kind). */
  nodeName?: string;
  ip?: string;
  phase?: string;
  ready: boolean;
  terminating: boolean;
  labels: Record<string, string>;
  owner?: { kind: string; name: string };
  hostNetwork: boolean;
}

export interface EndpointAddress {
  ip: string;
  targetRef?: { kind?: string; name?: string; namespace?: string };
}

export interface EndpointsInfo {
  ready: EndpointAddress[];
  notReady: EndpointAddress[];
  ports: { name?: string; port: number; protocol?: string }[];
}

export interface ServiceInfo {
  clusterIP: string;
  ports: { name?: string; port: number; targetPort?: number | string; protocol?: string }[];
  selector?: Record<string, string>;
  uid: string;
}

export const PROBE_NAMESPACE = 'lab-probes';
export const PROBE_SELECTOR = 'app=probe';

export interface Probes {
  http(from: From, url: string, opts?: HttpOptions): Promise<HttpResult>;
  httpMany(from: From, url: string, count: number, opts?: HttpOptions): Promise<ManyResult>;
  dns(from: From, name: string, opts?: { timeoutMs?: number }): Promise<string[]>;
  routeGet(node: string, destination: string): Promise<RouteResult>;
  iptablesSave(node: string, table?: 'nat' | 'filter' | 'mangle' | 'raw'): Promise<string>;
  /** Lines of iptables-save (all tables) matching the pattern. */
  iptablesGrep(node: string, pattern: RegExp): Promise<string[]>;
  pods(namespace: string, selector?: string): Promise<PodInfo[]>;
  /** The grader's probe pod (netshoot) on each node, by node name (running ones only). */
  probePods(): Promise<Map<string, PodInfo>>;
  service(namespace: string, name: string): Promise<ServiceInfo | undefined>;
  /** Lines of a pod's log matching the pattern (`kubectl logs ... | grep`). */
  logs(namespace: string, pod: string, pattern: RegExp, container?: string): Promise<string[]>;
  endpoints(namespace: string, name: string): Promise<EndpointsInfo | undefined>;
  /** Run `fn` for every node at once; results in node order. */
  onEveryNode<T>(fn: (node: string) => Promise<T>): Promise<{ node: string; value: T }[]>;
}

function toTarget(from: From): ExecTarget {
  return typeof from === 'string' ? { node: from } : from;
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? String(s) : s.toFixed(1);
}

/** The first meaningful line of a client's error output. */
function errorLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? '').trim().slice(0, 160);
}

function httpArgv(url: string, opts: HttpOptions): string[] {
  const t = seconds(opts.timeoutMs ?? 1000);
  const total = seconds(Math.max(opts.totalMs ?? 0, opts.timeoutMs ?? 1000));
  // busybox wget's own -T crashes in some builds; timeout(1) ends a request that gets no answer.
  if (opts.tool === 'wget')
    return ['timeout', String(Math.max(1, Math.ceil(Number(total)))), 'wget', '-q', '-O', '-', url];
  return ['curl', '-sS', ...(opts.insecure ? ['-k'] : []), '--connect-timeout', t, '-m', total, url];
}

/** The error a failed request reports, made readable when the client said nothing. */
function failureText(code: number, text: string, opts: HttpOptions): string {
  if (text) return text;
  if (opts.tool === 'wget' && (code === 143 || code === 124))
    return `no answer within ${seconds(budgetMs(opts))} s (wget ended by timeout)`;
  return `exit ${code}`;
}

function budgetMs(opts: HttpOptions): number {
  return Math.max(opts.totalMs ?? 0, opts.timeoutMs ?? 1000);
}

/** The shell script that fires `count` requests at once and prints `<exit code>\t<first line>` each. */
export function manyScript(argv: string[], count: number): string {
  const cmd = shellLine(argv);
  return [
    'i=0',
    `while [ "$i" -lt ${count} ]; do`,
    '  i=$((i+1))',
    `  ( out=$(${cmd} 2>&1); c=$?; printf '%s\\t%s\\n' "$c" "$(printf '%s' "$out" | tr '\\n' ' ' | cut -c1-200)" ) &`,
    'done',
    'wait',
  ].join('\n');
}

export function parseMany(stdout: string): { code: number; text: string }[] {
  return stdout
    .split('\n')
    .filter((l) => /^\d+\t/.test(l))
    .map((l) => {
      const tab = l.indexOf('\t');
      return { code: Number(l.slice(0, tab)), text: l.slice(tab + 1).trim() };
    });
}

function summarise(byBody: Map<string, number>, failures: string[], total: number): string {
  const answered = [...byBody.values()].reduce((a, b) => a + b, 0);
  const bodies = [...byBody.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([b, n]) => `${b.slice(0, 60)} x${n}`)
    .join(', ');
  const failed = new Map<string, number>();
  for (const f of failures) failed.set(f, (failed.get(f) ?? 0) + 1);
  const fails = [...failed.entries()].map(([f, n]) => `${f} x${n}`).join('\n');
  return [
    `${answered}/${total} answered${bodies ? `: ${bodies}` : ''}`,
    ...(failures.length ? [`${failures.length}/${total} failed:`, fails] : []),
  ].join('\n');
}

export function parseRoute(line: string): RouteResult {
  const word = (k: string) => new RegExp(`\\b${k} (\\S+)`).exec(line)?.[1];
  return { line: line.trim(), dev: word('dev'), src: word('src'), via: word('via') };
}

function podInfo(p: any): PodInfo {
  const ready = (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
  const owner =
    (p.metadata.ownerReferences ?? []).find((o: any) => o.controller) ?? p.metadata.ownerReferences?.[0];
  return {
    name: p.metadata.name,
    namespace: p.metadata.namespace,
    node: p.spec?.nodeName,
    nodeName: p.spec?.nodeName,
    ip: p.status?.podIP,
    phase: p.status?.phase,
    ready,
    terminating: !!p.metadata.deletionTimestamp,
    labels: p.metadata.labels ?? {},
    owner: owner ? { kind: owner.kind, name: owner.name } : undefined,
    hostNetwork: !!p.spec?.hostNetwork,
  };
}

export function createProbes(ctx: LabContext, record: (e: Evidence) => void): Probes {
  /** Kubernetes Node name -> lab node name (kind names its Nodes after their containers). */
  const labNode = async (k8sName: string): Promise<string> =>
    ctx.nodes.find((n) => n.kubeName === k8sName)?.name ?? k8sName;

  const run = async (from: From, argv: string[], timeoutMs: number): Promise<RunResult> => {
    try {
      return await ctx.rawExec(toTarget(from), argv, { timeoutMs });
    } catch (e) {
      // A pod that went away or a node that cannot be reached is an answer, not a crash of the check.
      return { code: 255, stdout: '', stderr: e instanceof Error ? e.message : String(e), ms: 0 };
    }
  };

  const probes: Probes = {
    async http(from, url, opts = {}) {
      const timeoutMs = budgetMs(opts);
      const argv = httpArgv(url, opts);
      const r = await run(from, argv, timeoutMs + 5000);
      const ok = r.code === 0;
      const body = ok ? r.stdout : failureText(r.code, errorLine(r.stderr || r.stdout), opts);
      record({
        ran: shellLine(argv),
        target: targetName(toTarget(from)),
        exitCode: r.code,
        output: ok ? firstLine(body) : body,
        ms: r.ms,
      });
      return { ok, status: ok ? 200 : 0, body: ok ? r.stdout : '', error: ok ? undefined : body, ms: r.ms };
    },

    async httpMany(from, url, count, opts = {}) {
      const timeoutMs = budgetMs(opts);
      const argv = httpArgv(url, opts);
      const r = await run(from, ['sh', '-c', manyScript(argv, count)], timeoutMs + 8000);
      const lines = parseMany(r.stdout);
      const answers: string[] = [];
      const failures: string[] = [];
      const byBody = new Map<string, number>();
      for (const l of lines) {
        if (l.code === 0) {
          const b = firstLine(l.text) || '(empty answer)';
          answers.push(b);
          byBody.set(b, (byBody.get(b) ?? 0) + 1);
        } else failures.push(failureText(l.code, l.text, opts));
      }
      // Requests that printed nothing at all (the shell itself failed) count as failures too.
      for (let i = lines.length; i < count; i++) failures.push(errorLine(r.stderr) || 'no answer');
      record({
        ran: `${count} x ${shellLine(argv)} (at once)`,
        target: targetName(toTarget(from)),
        exitCode: failures.length ? 1 : 0,
        output: summarise(byBody, failures, count),
        ms: r.ms,
      });
      return {
        total: count,
        answers,
        failures,
        byBody,
        ok: failures.length === 0 && answers.length === count,
        ms: r.ms,
      };
    },

    async dns(from, name, opts = {}) {
      const argv = ['dig', '+search', '+short', '+time=1', '+tries=1', name];
      const r = await run(from, argv, (opts.timeoutMs ?? 2000) + 5000);
      const addresses = r.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l));
      record({
        ran: shellLine(argv),
        target: targetName(toTarget(from)),
        exitCode: r.code,
        output: `${r.stdout}${r.stderr}`.trim() || '(no answer)',
        ms: r.ms,
      });
      return addresses;
    },

    async routeGet(node, destination) {
      const argv = ['ip', '-o', 'route', 'get', destination];
      const r = await run(node, argv, 5000);
      const line = r.stdout.split('\n')[0] ?? '';
      record({
        ran: `ip route get ${destination}`,
        target: node,
        exitCode: r.code,
        output: `${line}${r.stderr}`,
        ms: r.ms,
      });
      return parseRoute(line);
    },

    async iptablesSave(node, table) {
      const argv = ['iptables-save', ...(table ? ['-t', table] : [])];
      const r = await run(node, argv, 5000);
      record({
        ran: shellLine(argv),
        target: node,
        exitCode: r.code,
        output: `(${r.stdout.split('\n').length} lines)${r.stderr ? `\n${r.stderr}` : ''}`,
        ms: r.ms,
      });
      return r.stdout;
    },

    async iptablesGrep(node, pattern) {
      const argv = ['iptables-save'];
      const r = await run(node, argv, 5000);
      const lines = r.stdout.split('\n').filter((l) => pattern.test(l));
      record({
        ran: `iptables-save | grep -E '${pattern.source}'`,
        target: node,
        exitCode: lines.length ? 0 : 1,
        output: lines.join('\n') || r.stderr || '(no matching rule)',
        ms: r.ms,
      });
      return lines;
    },

    async pods(namespace, selector) {
      const doc = await ctx.getJson<{ items: any[] }>([
        'pods',
        '-n',
        namespace,
        ...(selector ? ['-l', selector] : []),
      ]);
      const pods = (doc?.items ?? []).map(podInfo);
      for (const p of pods) if (p.nodeName) p.node = await labNode(p.nodeName);
      return pods;
    },

    async probePods() {
      const pods = await probes.pods(PROBE_NAMESPACE, PROBE_SELECTOR);
      const out = new Map<string, PodInfo>();
      for (const p of pods) if (p.node && p.phase === 'Running' && !p.terminating) out.set(p.node, p);
      return out;
    },

    async service(namespace, name) {
      const s = await ctx.getJson<any>(['service', name, '-n', namespace]);
      if (!s) return undefined;
      return {
        clusterIP: s.spec?.clusterIP,
        ports: s.spec?.ports ?? [],
        selector: s.spec?.selector,
        uid: s.metadata.uid,
      };
    },

    async logs(namespace, pod, pattern, container) {
      const args = ['logs', '-n', namespace, pod, ...(container ? ['-c', container] : [])];
      const r = await ctx.lab.kubectl(args, { timeoutMs: 15_000 });
      const lines = r.stdout.split('\n').filter((l) => pattern.test(l));
      record({
        ran: `kubectl ${shellLine(args)} | grep -E '${pattern.source}'`,
        target: 'kubectl',
        exitCode: r.code !== 0 ? r.code : lines.length ? 0 : 1,
        output: r.code !== 0 ? r.stderr : lines.join('\n') || '(no matching line)',
        ms: r.ms,
      });
      return lines;
    },

    async endpoints(namespace, name) {
      const ep = await ctx.getJson<any>(['endpoints', name, '-n', namespace]);
      if (!ep) return undefined;
      const info: EndpointsInfo = { ready: [], notReady: [], ports: [] };
      for (const s of ep.subsets ?? []) {
        info.ready.push(...(s.addresses ?? []).map((a: any) => ({ ip: a.ip, targetRef: a.targetRef })));
        info.notReady.push(
          ...(s.notReadyAddresses ?? []).map((a: any) => ({ ip: a.ip, targetRef: a.targetRef })),
        );
        info.ports.push(...(s.ports ?? []));
      }
      return info;
    },

    async onEveryNode(fn) {
      const names = ctx.nodes.map((n) => n.name);
      const values = await Promise.all(names.map((n) => fn(n)));
      return names.map((node, i) => ({ node, value: values[i] }));
    },
  };
  return probes;
}
