/**
 * `labctl reset`: back to the freshly injected lab without rebuilding it, undoing only what the
 * learner changed. How:
 *
 *   baseline  taken once, right after injection (or after setup with --no-fault): the API objects
 *             a learner could have changed (Deployments, DaemonSets, Services, ConfigMaps,
 *             selector-less Endpoints and bare Pods in default, kube-system, kube-flannel and
 *             lab-probes, plus reset.objects), every node's persistent files (netplan, sysctl.d,
 *             plus reset.nodeFiles) and every node's live network state (node-state.ts).
 *   reset     1. API objects: what the learner created is deleted, what they changed or deleted is
 *                put back (a Service keeps its ClusterIP); a component whose ConfigMap came back
 *                is restarted, as it reads it only when it starts; flannel's public-ip-overwrite
 *                cleared; the lab left to settle if anything changed;
 *             2. node files written back as they were, the scenario's files placed again;
 *             3. each node's live state compared with the baseline: routes, sysctls and hairpin
 *                flags put back in place, flannel's device rebuilt by flannel, anything else
 *                (addresses, links, iptables rules of the learner's) undone by a reboot of that
 *                node only. A node nobody touched is left alone.
 * Only the Lab is used, so reset works the same on every driver.
 */
import { stringify as toYaml } from 'yaml';
import type { Component } from '../drivers/driver.ts';
import { environment } from '../environments/index.ts';
import type { LabContext } from './context.ts';
import { CommandError } from './context.ts';
import type { ScenarioSpec } from './format.ts';
import {
  diffNodeState,
  inPlaceRepair,
  NODE_STATE_SCRIPT,
  type NodeState,
  parseNodeState,
} from './node-state.ts';
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
  /** Live network state per node (none for the process driver, whose nodes are the host). */
  nodeState: Record<string, NodeState>;
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

/** Everything reset looks at, in one kubectl call: the tracked kinds, ReplicaSets and Nodes. */
export async function listForReset(ctx: LabContext): Promise<any[]> {
  return (await ctx.getJson<{ items: any[] }>([`${KINDS},replicasets,nodes`, '-A']))?.items ?? [];
}

async function listTracked(ctx: LabContext, namespaces: string[], listed?: any[]): Promise<Map<string, any>> {
  const items = listed ?? (await ctx.getJson<{ items: any[] }>([KINDS, '-A']))?.items ?? [];
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
    // The process driver's nodes share the host's network: nothing of it is the lab's to restore.
    nodeState:
      ctx.lab.driver === 'process'
        ? {}
        : await readNodeStates(
            ctx,
            ctx.nodes.map((n) => n.name),
          ),
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
  listed: any[],
): Promise<{ report: string[]; putBack: string[] }> {
  const current = await listTracked(ctx, baseline.namespaces, listed);
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
      // A Deployment comes back with all its pods at once, as injection made them: a rolling
      // update to a template whose pods never get ready would keep the learner's pods serving.
      (ipChanged || m.kind === 'Pod' || m.kind === 'Deployment' ? forceReplace : replace).push(m);
    }
  }
  if (create.length) await ctx.kubectlOk(['create', '-f', '-'], { input: yamlStream(create) });
  if (replace.length) await ctx.kubectlOk(['replace', '-f', '-'], { input: yamlStream(replace) });
  if (forceReplace.length) {
    await ctx.kubectlOk(['replace', '--force', '--grace-period=0', '-f', '-'], {
      input: yamlStream(forceReplace),
    });
    // The replaced Deployments' pods go at once too: a terminating pod that still serves would
    // keep answering for its Service (kube-proxy falls back to serving terminating endpoints).
    for (const d of forceReplace.filter((m) => m.kind === 'Deployment')) {
      const pods = podsOfDeployment(listed, d.metadata.namespace, d.metadata.name);
      if (pods.length) await forceDeletePods(ctx, d.metadata.namespace, pods);
    }
  }
  done.push(...create.map((m) => `created ${keyOf(m)}`));
  done.push(...[...replace, ...forceReplace].map((m) => `restored ${keyOf(m)}`));
  return { report: done, putBack: [...create, ...replace, ...forceReplace].map(keyOf) };
}

function podsOfDeployment(items: any[], namespace: string, name: string): string[] {
  const sets = new Set(
    items
      .filter(
        (o) =>
          o.kind === 'ReplicaSet' &&
          o.metadata.namespace === namespace &&
          (o.metadata.ownerReferences ?? []).some((r: any) => r.kind === 'Deployment' && r.name === name),
      )
      .map((o) => o.metadata.name),
  );
  return items
    .filter(
      (o) =>
        o.kind === 'Pod' &&
        o.metadata.namespace === namespace &&
        (o.metadata.ownerReferences ?? []).some((r: any) => r.kind === 'ReplicaSet' && sets.has(r.name)),
    )
    .map((o) => o.metadata.name);
}

async function forceDeletePods(ctx: LabContext, namespace: string, names: string[]): Promise<void> {
  await ctx.kubectlOk([
    'delete',
    'pod',
    '-n',
    namespace,
    '--ignore-not-found',
    '--grace-period=0',
    '--force',
    ...names,
  ]);
}

/**
 * Pods a learner relabelled in place stay owned by their ReplicaSet, and a reboot keeps their
 * labels: delete those, so their controller makes them again from its template.
 */
export async function recreateRelabelledPods(
  ctx: LabContext,
  namespaces: string[],
  items: any[],
): Promise<string[]> {
  const templates = new Map<string, Record<string, string>>();
  for (const o of items)
    if (o.kind === 'ReplicaSet')
      templates.set(`${o.metadata.namespace}/${o.metadata.name}`, o.spec?.template?.metadata?.labels ?? {});
  const stale = new Map<string, string[]>();
  for (const p of items) {
    if (p.kind !== 'Pod' || !namespaces.includes(p.metadata.namespace) || p.metadata.deletionTimestamp)
      continue;
    const owner = (p.metadata.ownerReferences ?? []).find((r: any) => r.kind === 'ReplicaSet');
    const want = owner && templates.get(`${p.metadata.namespace}/${owner.name}`);
    if (!want) continue;
    if (JSON.stringify(sortKeys(p.metadata.labels ?? {})) !== JSON.stringify(sortKeys(want)))
      stale.set(p.metadata.namespace, [...(stale.get(p.metadata.namespace) ?? []), p.metadata.name]);
  }
  // At once: a relabelled pod that matches a broken selector would otherwise go on serving while
  // it terminates.
  for (const [ns, names] of stale) await forceDeletePods(ctx, ns, names);
  return [...stale].flatMap(([ns, names]) => names.map((n) => `recreated ${ns}/${n}`));
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

export async function restoreNodeFiles(ctx: LabContext, baseline: Baseline): Promise<void> {
  await Promise.all(baseline.nodeFiles.map((f) => ctx.writeNodeFile(f.node, f.path, f.content)));
}

export async function readNodeStates(ctx: LabContext, nodes: string[]): Promise<Record<string, NodeState>> {
  const out: Record<string, NodeState> = {};
  await Promise.all(
    nodes.map(async (node) => {
      const r = await ctx.lab.exec({ node }, ['sh', '-c', NODE_STATE_SCRIPT], { timeoutMs: 20_000 });
      out[node] = parseNodeState(r.stdout);
    }),
  );
  return out;
}

/** ConfigMaps their component reads only when it starts. */
const COMPONENT_CONFIG: Record<string, Component> = {
  'ConfigMap/kube-system/kube-proxy': 'kube-proxy',
  'ConfigMap/kube-flannel/kube-flannel-cfg': 'flannel',
  'ConfigMap/kube-system/coredns': 'coredns',
};

/**
 * After restoreObjects: restart what reads a ConfigMap it put back (keys as `Kind/ns/name`). One
 * of the system namespaces that no known component owns (a kubelet's, say) asks for every node
 * to reboot.
 */
export async function restartForConfig(ctx: LabContext, putBack: string[]): Promise<{ rebootAll: boolean }> {
  const components = new Set<Component>();
  let rebootAll = false;
  for (const k of putBack) {
    const c = COMPONENT_CONFIG[k];
    if (c) components.add(c);
    else if (/^ConfigMap\/(kube-system|kube-flannel)\//.test(k)) rebootAll = true;
  }
  if (!rebootAll) await Promise.all([...components].map((c) => ctx.lab.restart(c)));
  return { rebootAll };
}

export interface NodeRepair {
  node: string;
  /** What differed from the baseline, by domain (node-state.ts). */
  differed: string[];
  action: 'repaired in place' | 'flannel rebuilt' | 'rebooted';
  /** Differences still there at the end (reported, never hidden). */
  left?: string[];
}

function describeDiffs(diffs: ReturnType<typeof diffNodeState>): string[] {
  return diffs.map(
    (d) =>
      `${d.domain}: ${[...d.extra.map((x) => `+${x}`), ...d.missing.map((x) => `-${x}`)].slice(0, 4).join(', ')}`,
  );
}

/**
 * Step 3 of reset: each node's live state back to the baseline by the lightest means that works;
 * a node whose repair in place or flannel rebuild did not bring it back is rebooted.
 */
export async function restoreNodeStates(
  ctx: LabContext,
  want: Record<string, NodeState>,
  mustReboot: ReadonlySet<string>,
  ready = true,
): Promise<NodeRepair[]> {
  const nodes = ctx.nodes.map((n) => n.name).filter((n) => want[n]);
  const have = await readNodeStates(ctx, nodes);
  const repairs = new Map<string, NodeRepair>();
  const reboot = new Set<string>(mustReboot);
  const rebuildFlannel: string[] = [];
  const inPlace: { node: string; script: string }[] = [];
  for (const node of nodes) {
    const diffs = diffNodeState(want[node], have[node]);
    if (diffs.length === 0 && !reboot.has(node)) continue;
    const domains = new Set(diffs.map((d) => d.domain));
    let action: NodeRepair['action'] = 'repaired in place';
    if (reboot.has(node) || domains.has('node')) {
      reboot.add(node);
      action = 'rebooted';
    } else {
      const script = inPlaceRepair(want[node], have[node], diffs);
      if (script) inPlace.push({ node, script });
      if (domains.has('flannel')) {
        rebuildFlannel.push(node);
        action = 'flannel rebuilt';
      }
    }
    repairs.set(node, { node, differed: describeDiffs(diffs), action });
  }
  await Promise.all(inPlace.map((x) => ctx.lab.exec({ node: x.node }, ['sh', '-c', x.script])));
  await Promise.all(
    rebuildFlannel.map(async (node) => {
      await ctx.lab.exec({ node }, ['sh', '-c', 'ip link del flannel.1 2>/dev/null || true']);
      await ctx.lab.restart('flannel', node);
    }),
  );
  await Promise.all([...reboot].map((node) => ctx.lab.reboot(node)));
  if (repairs.size === 0) return [];
  if (rebuildFlannel.length || reboot.size) await ctx.settle({ timeoutMs: 90_000, ready });

  // What in-place repair and flannel could not put back, a reboot does.
  const touched = [...repairs.keys()];
  let again = await readNodeStates(ctx, touched);
  const stubborn = touched.filter((n) => !reboot.has(n) && diffNodeState(want[n], again[n]).length > 0);
  if (stubborn.length) {
    await Promise.all(stubborn.map((node) => ctx.lab.reboot(node)));
    await ctx.settle({ timeoutMs: 90_000, ready });
    for (const n of stubborn) {
      const r = repairs.get(n);
      if (r) r.action = 'rebooted';
    }
    again = { ...again, ...(await readNodeStates(ctx, stubborn)) };
  }
  for (const n of touched) {
    const left = diffNodeState(want[n], again[n]);
    const r = repairs.get(n);
    if (r && left.length) r.left = describeDiffs(left);
  }
  return [...repairs.values()];
}

/** A stale overwrite annotation would pin flannel's public IP whatever the learner fixed. */
export async function clearFlannelOverrides(ctx: LabContext, listed: any[]): Promise<string[]> {
  const key = 'flannel.alpha.coreos.com/public-ip-overwrite';
  const nodes = listed.filter((o) => o.kind === 'Node');
  const pinned = nodes
    .filter((n) => n.metadata?.annotations?.[key] !== undefined)
    .map((n) => n.metadata.name);
  if (pinned.length === 0) return [];
  try {
    await ctx.kubectlOk(['annotate', 'nodes', ...pinned, `${key}-`]);
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
  }
  // flanneld reads the annotation when it starts.
  await ctx.lab.restart('flannel');
  return pinned.map((n) => `cleared ${key} on ${n}`);
}
