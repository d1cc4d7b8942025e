/**
 * `labctl reset`: back to the freshly injected lab without rebuilding it. How:
 *
 *   baseline  taken once, after setup and before injection: the API objects a learner could have
 *             changed (Deployments, DaemonSets, Services, ConfigMaps, selector-less Endpoints and
 *             bare Pods in default, kube-system, kube-flannel and lab-probes, plus reset.objects)
 *             and every node's persistent files (netplan, sysctl.d, plus reset.nodeFiles).
 *   reset     1. API objects: what the learner created is deleted, what they changed or deleted is
 *                put back (a Service keeps its ClusterIP); flannel's public-ip-overwrite cleared;
 *             2. node files written back as they were, the scenario's files placed again;
 *             3. every node rebooted: live changes (routes, iptables, vxlan entries, hairpin
 *                flags) are gone, and every component starts again from restored files and
 *                ConfigMaps;
 *             4. the lab left to settle, injection run again.
 * Only the Lab is used, so reset works the same on every driver.
 */
import { stringify as toYaml } from 'yaml';
import { environment } from '../environments/index.ts';
import type { LabContext } from './context.ts';
import { CommandError } from './context.ts';
import type { ScenarioSpec } from './format.ts';
import { PROBE_NAMESPACE } from './probes.ts';

export const TRACKED_NAMESPACES = ['default', 'kube-system', 'kube-flannel', PROBE_NAMESPACE];
const KINDS = 'deployments,daemonsets,services,configmaps,endpoints,pods';
const CONTROLLER_ANNOTATIONS = [
  'deployment.kubernetes.io/revision',
  'deprecated.daemonset.template.generation',
];

export interface BaselineObject {
  key: string;
  manifest: any;
}

export interface Baseline {
  takenAt: string;
  namespaces: string[];
  objects: BaselineObject[];
  nodeFiles: { node: string; path: string; content: string }[];
}

function keyOf(o: any): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** The objects reset looks after: not owned by a controller, not maintained by one. */
function tracked(o: any, selectorless: Set<string>, namespaces: string[]): boolean {
  const m = o.metadata;
  if (!namespaces.includes(m.namespace)) return false;
  if (m.ownerReferences?.length) return false;
  if (m.namespace === 'default' && m.name === 'kubernetes') return false;
  if (o.kind === 'ConfigMap' && m.name === 'kube-root-ca.crt') return false;
  if (o.kind === 'Endpoints') return selectorless.has(`${m.namespace}/${m.name}`);
  return true;
}

/** An object as it would be written back: what a user states, not what the server added. */
export function cleanManifest(o: any): any {
  const m = o.metadata;
  const annotations = { ...(m.annotations ?? {}) };
  for (const a of CONTROLLER_ANNOTATIONS) delete annotations[a];
  const out: any = {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      name: m.name,
      namespace: m.namespace,
      ...(m.labels && Object.keys(m.labels).length ? { labels: m.labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
  };
  for (const field of ['spec', 'data', 'binaryData', 'subsets'])
    if (o[field] !== undefined) out[field] = structuredClone(o[field]);
  if (o.kind === 'Pod' && out.spec) {
    // The service account token volume is added again by admission when the pod is created.
    const api = new Set(
      (out.spec.volumes ?? []).filter((v: any) => /^kube-api-access-/.test(v.name)).map((v: any) => v.name),
    );
    out.spec.volumes = (out.spec.volumes ?? []).filter((v: any) => !api.has(v.name));
    for (const c of [...(out.spec.containers ?? []), ...(out.spec.initContainers ?? [])])
      c.volumeMounts = (c.volumeMounts ?? []).filter((vm: any) => !api.has(vm.name));
  }
  return out;
}

function same(a: any, b: any): boolean {
  const pick = (x: any) =>
    JSON.stringify({ l: x.metadata.labels ?? {}, s: x.spec, d: x.data, b: x.binaryData, e: x.subsets });
  return pick(a) === pick(b);
}

function nodeFilePaths(spec: ScenarioSpec): string[] {
  const t = environment(spec.environment, spec.environmentOptions);
  const first = t.nodes[0];
  const paths = first ? [first.persistent.netplan, first.persistent.sysctl] : [];
  return [...new Set([...paths, ...(spec.reset?.nodeFiles ?? [])])];
}

function namespacesOf(spec: ScenarioSpec): string[] {
  const extra = (spec.reset?.objects ?? []).map((k) => k.split('/')[0]);
  return [...new Set([...TRACKED_NAMESPACES, ...extra])];
}

async function listTracked(ctx: LabContext, namespaces: string[]): Promise<Map<string, any>> {
  const doc = await ctx.getJson<{ items: any[] }>([KINDS, '-A']);
  const items = doc?.items ?? [];
  const selectorless = new Set(
    items
      .filter((o) => o.kind === 'Service' && !(o.spec?.selector && Object.keys(o.spec.selector).length))
      .map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
  );
  const out = new Map<string, any>();
  for (const o of items) if (tracked(o, selectorless, namespaces)) out.set(keyOf(o), cleanManifest(o));
  return out;
}

async function listExtra(ctx: LabContext, spec: ScenarioSpec): Promise<Map<string, any>> {
  const out = new Map<string, any>();
  for (const ref of spec.reset?.objects ?? []) {
    const [ns, kind, name] = ref.split('/');
    const o = await ctx.getJson<any>([kind, name, '-n', ns]);
    if (o) out.set(keyOf(o), cleanManifest(o));
  }
  return out;
}

export async function captureBaseline(ctx: LabContext, spec: ScenarioSpec): Promise<Baseline> {
  const namespaces = namespacesOf(spec);
  const [objects, extra] = await Promise.all([listTracked(ctx, namespaces), listExtra(ctx, spec)]);
  for (const [k, v] of extra) objects.set(k, v);
  const paths = nodeFilePaths(spec);
  const nodeFiles = (
    await Promise.all(
      ctx.nodes.flatMap((n) =>
        paths.map(async (path) => {
          try {
            return { node: n.name, path, content: await ctx.readNodeFile(n.name, path) };
          } catch {
            return undefined;
          }
        }),
      ),
    )
  ).filter((f): f is NonNullable<typeof f> => !!f);
  return {
    takenAt: new Date().toISOString(),
    namespaces,
    objects: [...objects].map(([key, manifest]) => ({ key, manifest })),
    nodeFiles,
  };
}

/** Several objects for one kubectl call (kubectl splits YAML on ---, not a stream of JSON). */
function yamlStream(objects: any[]): string {
  return objects.map((o) => toYaml(o)).join('---\n');
}

/** Put API objects back as the baseline has them; returns what changed, for the report. */
export async function restoreObjects(
  ctx: LabContext,
  spec: ScenarioSpec,
  baseline: Baseline,
): Promise<string[]> {
  const current = await listTracked(ctx, baseline.namespaces);
  for (const [k, v] of await listExtra(ctx, spec)) current.set(k, v);
  const wanted = new Map(baseline.objects.map((o) => [o.key, o.manifest]));
  const done: string[] = [];

  const extra = [...current.keys()].filter((k) => !wanted.has(k));
  const byNs = new Map<string, { pods: string[]; other: string[] }>();
  for (const k of extra) {
    const [kind, ns, name] = k.split('/');
    const entry = byNs.get(ns) ?? { pods: [], other: [] };
    (kind === 'Pod' ? entry.pods : entry.other).push(`${kind.toLowerCase()}/${name}`);
    byNs.set(ns, entry);
  }
  for (const [ns, { pods, other }] of byNs) {
    if (other.length)
      await ctx.kubectlOk(['delete', '-n', ns, '--ignore-not-found', '--wait=false', ...other]);
    // Bare pods go at once: injection may create one of the same name right after.
    if (pods.length)
      await ctx.kubectlOk(['delete', '-n', ns, '--ignore-not-found', '--grace-period=0', '--force', ...pods]);
    done.push(...[...other, ...pods].map((x) => `deleted ${ns}/${x}`));
  }

  const create: any[] = [];
  const replace: any[] = [];
  const forceReplace: any[] = [];
  for (const [k, m] of wanted) {
    const cur = current.get(k);
    if (!cur) create.push(m);
    else if (!same(cur, m)) {
      const ipChanged = m.kind === 'Service' && cur.spec?.clusterIP !== m.spec?.clusterIP;
      (ipChanged || m.kind === 'Pod' ? forceReplace : replace).push(m);
    }
  }
  if (create.length) await ctx.kubectlOk(['create', '-f', '-'], { input: yamlStream(create) });
  if (replace.length) await ctx.kubectlOk(['replace', '-f', '-'], { input: yamlStream(replace) });
  if (forceReplace.length)
    await ctx.kubectlOk(['replace', '--force', '--grace-period=0', '-f', '-'], {
      input: yamlStream(forceReplace),
    });
  done.push(...create.map((m) => `created ${keyOf(m)}`));
  done.push(...[...replace, ...forceReplace].map((m) => `restored ${keyOf(m)}`));
  return done;
}

/**
 * Pods a learner relabelled in place stay owned by their ReplicaSet, and a reboot keeps their
 * labels: delete those, so their controller makes them again from its template.
 */
export async function recreateRelabelledPods(ctx: LabContext, namespaces: string[]): Promise<string[]> {
  const doc = await ctx.getJson<{ items: any[] }>(['replicasets,pods', '-A']);
  const templates = new Map<string, Record<string, string>>();
  for (const o of doc?.items ?? [])
    if (o.kind === 'ReplicaSet')
      templates.set(`${o.metadata.namespace}/${o.metadata.name}`, o.spec?.template?.metadata?.labels ?? {});
  const stale = new Map<string, string[]>();
  for (const p of doc?.items ?? []) {
    if (p.kind !== 'Pod' || !namespaces.includes(p.metadata.namespace) || p.metadata.deletionTimestamp)
      continue;
    const owner = (p.metadata.ownerReferences ?? []).find((r: any) => r.kind === 'ReplicaSet');
    const want = owner && templates.get(`${p.metadata.namespace}/${owner.name}`);
    if (!want) continue;
    if (JSON.stringify(sortKeys(p.metadata.labels ?? {})) !== JSON.stringify(sortKeys(want)))
      stale.set(p.metadata.namespace, [...(stale.get(p.metadata.namespace) ?? []), p.metadata.name]);
  }
  for (const [ns, names] of stale) await ctx.kubectlOk(['delete', 'pod', '-n', ns, '--wait=false', ...names]);
  return [...stale].flatMap(([ns, names]) => names.map((n) => `recreated ${ns}/${n}`));
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

export async function restoreNodeFiles(ctx: LabContext, baseline: Baseline): Promise<void> {
  await Promise.all(baseline.nodeFiles.map((f) => ctx.writeNodeFile(f.node, f.path, f.content)));
}

export async function rebootAll(ctx: LabContext): Promise<void> {
  await Promise.all(ctx.nodes.map((n) => ctx.lab.reboot(n.name)));
}

/** A stale overwrite annotation would pin flannel's public IP whatever the learner fixed. */
export async function clearFlannelOverrides(ctx: LabContext): Promise<void> {
  try {
    await ctx.kubectlOk(['annotate', 'nodes', '--all', 'flannel.alpha.coreos.com/public-ip-overwrite-']);
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
  }
}
