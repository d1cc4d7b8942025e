/**
 * A virtualbox-3node lab built by the netns driver for these suites, in temporary state and lab
 * directories, with a `svcl-t…` sandbox prefix; plus what the suites check from many places at
 * once (one shell per source, so a matrix of curls costs one process per node or pod) and what a
 * destroyed lab must not leave behind.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecTarget, ProgressEvent } from '../../../labs/drivers/driver.ts';
import { NetnsDriver } from '../../../labs/drivers/netns/driver.ts';
import type { NetnsDriverLab } from '../../../labs/drivers/netns/lab.ts';
import type { NetnsEnvironmentSettings } from '../../../labs/drivers/netns/settings.ts';
import { virtualbox3Node } from '../../../labs/environments/index.ts';
import { findProcesses, hasSandboxEnv } from '../../../labs/netns/sandbox/proc.ts';
import { readRecords } from '../../../labs/netns/sandbox/registry.ts';

export const NODES = ['ubuntu01', 'ubuntu02', 'ubuntu03'] as const;
export const IT_WORKS = '<html><body><h1>It works!</h1></body></html>';

export interface TestLab {
  lab: NetnsDriverLab;
  buildMs: number;
  events: ProgressEvent[];
  prefix: string;
  stateDir: string;
  dispose(): Promise<void>;
}

export async function buildTestLab(
  opts: {
    name?: string;
    settings?: Partial<NetnsEnvironmentSettings>;
    mode?: 'auto' | 'root' | 'userns';
  } = {},
): Promise<TestLab> {
  const stateDir = await mkdtemp(join(tmpdir(), 'svcl-t-ndstate-'));
  const dir = await mkdtemp(join(tmpdir(), 'svcl-t-ndlab-'));
  const driver = new NetnsDriver({ prefixTag: 't', mode: opts.mode });
  const events: ProgressEvent[] = [];
  const t0 = performance.now();
  let lab: NetnsDriverLab;
  try {
    lab = await driver.create(
      {
        name: opts.name ?? 'vbox',
        environment: 'virtualbox-3node',
        topology: virtualbox3Node(),
        noFault: true,
        dir,
        stateDir,
        signal: new AbortController().signal,
        settings: opts.settings,
      },
      (e) => events.push(e),
    );
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
    throw e;
  }
  const buildMs = Math.round(performance.now() - t0);
  const built = lab;
  return {
    lab: built,
    buildMs,
    events,
    prefix: built.sandbox.prefix,
    stateDir,
    async dispose() {
      try {
        await built.destroy();
      } finally {
        await rm(dir, { recursive: true, force: true });
        await rm(stateDir, { recursive: true, force: true });
      }
    },
  };
}

/** What a destroyed lab could have left: namespaces, mounts, processes, sandbox records. */
export function leftovers(prefix: string, stateDir: string): string[] {
  const found: string[] = [];
  try {
    found.push(
      ...readdirSync('/run/netns')
        .filter((n) => n.startsWith(prefix))
        .map((n) => `netns ${n}`),
    );
  } catch {
    // no /run/netns at all
  }
  found.push(
    ...readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(prefix))
      .map((l) => `mount ${l}`),
  );
  found.push(...findProcesses((pid) => hasSandboxEnv(pid, prefix)).map((pid) => `process ${pid}`));
  try {
    found.push(...readRecords(stateDir).map((r) => `record ${r.prefix}`));
  } catch {
    // state dir removed
  }
  return found;
}

/** The host's own iptables rules (what a lab must never touch). */
export function hostRules(): string {
  return execFileSync('iptables-save', { encoding: 'utf8' })
    .split('\n')
    .filter((l) => !l.startsWith('#') && !/^:.*\[\d+:\d+\]$/.test(l))
    .join('\n');
}

export interface Probe {
  /** What to fetch: a URL for curl. */
  url: string;
  /** Label in results. */
  name: string;
}

export interface ProbeResult {
  name: string;
  url: string;
  code: number;
  body: string;
}

/**
 * Fetch every URL from one place with one shell, all at once: curl with a short connect timeout,
 * each result on its own line as `<exit code> <index> <first line of the body>`.
 */
export async function probeFrom(
  lab: NetnsDriverLab,
  target: ExecTarget,
  probes: Probe[],
  timeoutSeconds = 1,
): Promise<ProbeResult[]> {
  const script = probes
    .map(
      (p, i) =>
        `(out=$(curl -s --connect-timeout ${timeoutSeconds} --max-time ${timeoutSeconds + 1} '${p.url}' 2>/dev/null); c=$?; echo "$c ${i} $(printf '%s' "$out" | head -n 1)") &`,
    )
    .concat('wait')
    .join('\n');
  const r = await lab.exec(target, ['sh', '-c', script], { timeoutMs: 60_000 });
  if (r.code !== 0 && r.stdout === '')
    throw new Error(`probe from ${JSON.stringify(target)} failed: ${r.stderr}`);
  const lines = r.stdout.split('\n').filter(Boolean);
  const results = lines.map((line) => {
    const m = /^(\d+) (\d+) ?(.*)$/.exec(line);
    if (!m) throw new Error(`unexpected probe line ${line}`);
    const p = probes[Number(m[2])];
    return { index: Number(m[2]), name: p.name, url: p.url, code: Number(m[1]), body: m[3] };
  });
  if (results.length !== probes.length)
    throw new Error(`probe from ${JSON.stringify(target)}: ${r.stdout}${r.stderr}`);
  return results.sort((a, b) => a.index - b.index).map(({ index: _, ...rest }) => rest);
}

export async function kubectlJson<T = any>(lab: NetnsDriverLab, args: string[]): Promise<T> {
  const r = await lab.kubectl([...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A netshoot client pod pinned to each node, for checks from inside pods. */
export function clientPodsYaml(): string {
  return NODES.map(
    (n) => `apiVersion: v1
kind: Pod
metadata:
  name: client-${n}
  labels: {role: client}
spec:
  nodeName: ${n}
  tolerations: [{operator: Exists}]
  terminationGracePeriodSeconds: 0
  containers:
  - name: client
    image: nicolaka/netshoot
    command: [sleep, "3600"]
`,
  ).join('---\n');
}

export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not reached in ${timeoutMs} ms${last ? ` (${last})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
