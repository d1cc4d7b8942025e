/**
 * Garbage collection of kind labs whose owner is gone (the daemon crashed or was killed).
 *
 * Ownership is written down twice: a record per cluster in `<state>/kind/<cluster>.json` (written
 * before `kind create cluster`) and a label on every Docker network the lab made. Clusters are
 * found by name (`svcl-` prefix, `kind get clusters`), networks by label. A cluster or network
 * whose owner process no longer exists is removed, cluster first (a network with containers on
 * it cannot go); one whose owner lives, or whose owner nobody recorded (made by hand from a
 * dry-run plan, or by another state directory), is left alone and reported as kept.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, type ProcessRef } from '../../daemon/proc.ts';
import type { GcReport } from '../lab-driver.ts';
import { LABELS, PREFIX, parseOwnerLabel } from './names.ts';
import { planTeardown } from './plan.ts';
import { CommandError, Runner, runArgv } from './runner.ts';

export interface ClusterRecord {
  lab: string;
  cluster: string;
  networks: string[];
  owner: ProcessRef;
  createdAt: string;
}

export function recordsDir(stateDir: string): string {
  return join(stateDir, 'kind');
}

export function writeRecord(stateDir: string, record: ClusterRecord): void {
  mkdirSync(recordsDir(stateDir), { recursive: true, mode: 0o700 });
  writeFileSync(
    join(recordsDir(stateDir), `${record.cluster}.json`),
    `${JSON.stringify(record, null, 2)}\n`,
    {
      mode: 0o600,
    },
  );
}

export function removeRecord(stateDir: string, cluster: string): void {
  rmSync(join(recordsDir(stateDir), `${cluster}.json`), { force: true });
}

export function readRecords(stateDir: string): ClusterRecord[] {
  let names: string[];
  try {
    names = readdirSync(recordsDir(stateDir)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: ClusterRecord[] = [];
  for (const n of names) {
    try {
      out.push(JSON.parse(readFileSync(join(recordsDir(stateDir), n), 'utf8')) as ClusterRecord);
    } catch {
      /* half-written: its cluster is judged by its networks' labels */
    }
  }
  return out;
}

export interface LabelledNetwork {
  name: string;
  labels: Record<string, string>;
}

export interface GcDecision {
  clusters: string[];
  networks: string[];
  records: string[];
  kept: string[];
}

/** What to remove, from what exists and who owns it (pure; `alive` says whether an owner lives). */
export function decideGc(
  clusters: string[],
  networks: LabelledNetwork[],
  records: ClusterRecord[],
  alive: (owner: ProcessRef) => boolean,
): GcDecision {
  const d: GcDecision = { clusters: [], networks: [], records: [], kept: [] };
  const ownerOf = (cluster: string): ProcessRef | undefined =>
    records.find((r) => r.cluster === cluster)?.owner ??
    networks
      .filter((n) => n.labels[LABELS.cluster] === cluster)
      .map((n) => parseOwnerLabel(n.labels[LABELS.owner]))
      .find((o) => o !== undefined);
  for (const c of clusters) {
    if (!c.startsWith(PREFIX)) continue;
    const owner = ownerOf(c);
    if (!owner) d.kept.push(`cluster ${c} (no owner recorded)`);
    else if (alive(owner)) d.kept.push(`cluster ${c} (owner ${owner.pid} lives)`);
    else d.clusters.push(c);
  }
  for (const n of networks) {
    const owner = parseOwnerLabel(n.labels[LABELS.owner]) ?? ownerOf(n.labels[LABELS.cluster] ?? '');
    if (!owner) d.kept.push(`network ${n.name} (no owner recorded)`);
    else if (alive(owner)) d.kept.push(`network ${n.name} (owner ${owner.pid} lives)`);
    else d.networks.push(n.name);
  }
  for (const r of records) if (!alive(r.owner)) d.records.push(r.cluster);
  return d;
}

/** `docker network ls --format '{{json .}}'` lines: Labels come as `k=v,k=v`. */
export function parseNetworkList(stdout: string): LabelledNetwork[] {
  const out: LabelledNetwork[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as { Name: string; Labels?: string };
    const labels: Record<string, string> = {};
    for (const kv of (row.Labels ?? '').split(',')) {
      const eq = kv.indexOf('=');
      if (eq > 0) labels[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    out.push({ name: row.Name, labels });
  }
  return out;
}

export async function collectKind(stateDir: string): Promise<GcReport> {
  const report: GcReport = { removed: [], kept: [], errors: [] };
  const records = readRecords(stateDir);
  const [clusters, nets] = await Promise.all([
    runArgv(['kind', 'get', 'clusters'], { timeoutMs: 30_000 }),
    runArgv(
      ['docker', 'network', 'ls', '--filter', `label=${LABELS.driver}=kind`, '--format', '{{json .}}'],
      {
        timeoutMs: 30_000,
      },
    ),
  ]);
  if (clusters.code !== 0 || nets.code !== 0) {
    // Without kind or a Docker daemon nothing of a kind lab can exist or be removed here.
    if (records.length > 0)
      report.kept.push(`${records.length} kind lab record(s): kind or the Docker daemon is not reachable`);
    return report;
  }
  const decision = decideGc(
    clusters.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
    parseNetworkList(nets.stdout),
    records,
    isAlive,
  );
  report.kept.push(...decision.kept);
  const runner = new Runner();
  const failed = new Set<string>();
  for (const c of decision.clusters) {
    for (const cmd of planTeardown({ cluster: c, networks: [] })) {
      try {
        await runner.run(cmd);
        report.removed.push(`kind cluster ${c}`);
      } catch (e) {
        failed.add(c);
        report.errors.push(e instanceof CommandError ? e.message : String(e));
      }
    }
  }
  for (const n of decision.networks) {
    try {
      await runner.run({ argv: ['docker', 'network', 'rm', n], tolerate: /no such network|not found/i });
      report.removed.push(`docker network ${n}`);
    } catch (e) {
      report.errors.push(e instanceof CommandError ? e.message : String(e));
    }
  }
  for (const r of decision.records) {
    // A cluster that would not go keeps its record, so the next gc still knows its owner.
    if (failed.has(r)) continue;
    removeRecord(stateDir, r);
    report.removed.push(`kind record ${r}`);
  }
  return report;
}
