/**
 * Planning a kind lab, kind's own style: `planCreation` turns an environment into a list of steps
 * (commands as data, commands.ts), and only then does anything run - the driver runs the steps in
 * order, `labctl up --dry-run` prints them. The same plan object drives both, so what is printed
 * is what runs.
 *
 * Steps: the lab's copy of the CNI plugins; the extra Docker networks; `kind create cluster` from
 * the generated config; per node, its extra NICs (`docker network connect`, with `--gw-priority 1`
 * on the one carrying the default route) and its first boot from its persistent configuration;
 * kube-proxy's cluster CIDR removed where the environment has none (then kube-proxy restarted);
 * flannel; nodes Ready; the seed workloads. Teardown: the cluster, then every network made.
 */
import { join } from 'node:path';
import type { ProcessRef } from '../../daemon/proc.ts';
import type { Topology } from '../../topology/types.ts';
import { CNI_PLUGINS } from './cni.ts';
import { type Cmd, Queries, type Query, renderCmd, showMarkers } from './commands.ts';
import { kindConfig, renderKindConfig } from './config.ts';
import { type KindLayout, layoutFor } from './layout.ts';
import { flannelManifest, kubeProxyNoClusterCidrScript, workloadsManifest } from './manifests.ts';
import { LABELS, ownerLabel } from './names.ts';
import { type NicFacts, nodeSetupScript, renderKindNetplan } from './persistent.ts';
import { kindSettings } from './settings.ts';

export interface PlanInput {
  lab: string;
  environment: string;
  topology: Topology;
  scenario?: string;
  variant?: string;
  noFault: boolean;
  /** The lab's directory on the host (kubeconfig, CNI plugins). */
  dir: string;
  /** Host directory holding the CNI plugins to copy; undefined when this host has none. */
  cniSource?: string;
  /** Who owns what the plan makes (gc removes it once that process is gone). */
  owner?: ProcessRef;
}

export interface PlanStep {
  id: string;
  title: string;
  commands: Cmd[];
}

export interface KindPlan {
  lab: string;
  cluster: string;
  environment: string;
  scenario?: string;
  kubeconfig: string;
  cniBinDir: string;
  layout: KindLayout;
  kindConfig: string;
  manifests: { flannel: string; workloads?: string };
  /** Per node: its netplan file, with Docker's values as query markers. */
  netplan: Record<string, string>;
  queries: Query[];
  steps: PlanStep[];
  teardown: Cmd[];
  notes: string[];
}

const ROLLOUT_TIMEOUT = '5m';
const ROLLOUT_MS = 6 * 60_000;

function inspectQuery(queries: Queries, container: string, network: string, field: string): string {
  return queries.ref(`${field}:${container}:${network}`, [
    'docker',
    'inspect',
    '-f',
    `{{(index .NetworkSettings.Networks "${network}").${field}}}`,
    container,
  ]);
}

export function planCreation(input: PlanInput): KindPlan {
  const t = input.topology;
  const layout = layoutFor(input.lab, t);
  const settings = kindSettings(input.environment);
  const queries = new Queries();
  const kubeconfig = join(input.dir, 'kubeconfig');
  const cniBinDir = join(input.dir, 'cni-bin');
  const kubectl = ['kubectl', '--kubeconfig', kubeconfig];
  const config = renderKindConfig(kindConfig(layout, t, { cniBinDir }), t);
  const flannel = flannelManifest(t, settings.flannelArgs);
  const workloads = workloadsManifest(settings.workloads);
  const labels = [
    `${LABELS.driver}=kind`,
    `${LABELS.lab}=${input.lab}`,
    `${LABELS.cluster}=${layout.cluster}`,
    `${LABELS.owner}=${ownerLabel(input.owner)}`,
  ];
  const steps: PlanStep[] = [];
  const notes: string[] = [];

  const source = input.cniSource ?? '/opt/cni/bin';
  if (!input.cniSource)
    notes.push('no directory with the CNI plugins was found on this host; the plan assumes /opt/cni/bin');
  steps.push({
    id: 'cni',
    title: 'CNI plugins for the nodes (mounted at /opt/cni/bin: kind’s node image has no bridge plugin)',
    commands: [
      { argv: ['mkdir', '-p', cniBinDir] },
      { argv: ['cp', '-f', ...CNI_PLUGINS.map((p) => join(source, p)), `${cniBinDir}/`] },
    ],
  });

  if (layout.networks.length > 0)
    steps.push({
      id: 'networks',
      title: 'Docker networks for the second NICs',
      commands: layout.networks.map((n) => ({
        note: `${n.segment}: ${n.description ?? n.kind} (${n.kind === 'wire' ? 'only' : 'shared by'} ${n.nodes.join(', ')})`,
        argv: [
          'docker',
          'network',
          'create',
          '--driver',
          'bridge',
          ...labels.flatMap((l) => ['--label', l]),
          n.name,
        ],
      })),
    });

  steps.push({
    id: 'cluster',
    title: `kind cluster ${layout.cluster} (${layout.nodes.length} nodes, no CNI yet)`,
    commands: [
      {
        argv: [
          'kind',
          'create',
          'cluster',
          '--name',
          layout.cluster,
          '--config',
          '-',
          '--kubeconfig',
          kubeconfig,
        ],
        input: config,
        timeoutMs: 15 * 60_000,
      },
    ],
  });

  const netplan: Record<string, string> = {};
  for (const node of layout.nodes) {
    const facts: Record<string, NicFacts> = {};
    for (const nic of node.nics) {
      const q = (field: string) => inspectQuery(queries, node.container, nic.network, field);
      facts[nic.name] = {
        mac: q('MacAddress'),
        ip: q('IPAddress'),
        prefix: q('IPPrefixLen'),
        gateway: q('Gateway'),
      };
    }
    netplan[node.name] = renderKindNetplan(t, node, facts);
    const connects: Cmd[] = node.nics
      .filter((n) => !n.primary)
      .map((n) => ({
        argv: [
          'docker',
          'network',
          'connect',
          '--gw-priority',
          n.defaultRoute ? '1' : '-1',
          n.network,
          node.container,
        ],
      }));
    const story = node.nics.map(
      (n) => `${n.name} on ${n.network}${n.defaultRoute ? ' (default route)' : ''}`,
    );
    steps.push({
      id: `node:${node.name}`,
      title: `Node ${node.name} (${node.container}): ${story.join(', ')}`,
      commands: [
        ...connects,
        {
          note: `${node.name}: rename the NICs to the story's names, write ${node.spec.persistent.netplan} and ${node.spec.persistent.sysctl}, apply them`,
          argv: ['docker', 'exec', '-i', '--privileged', node.container, 'sh'],
          input: nodeSetupScript(t, node, facts),
        },
      ],
    });
  }

  if (t.cluster.kubeProxy.clusterCIDR === null) {
    notes.push(
      'kube-proxy runs without a cluster CIDR, as in the environment: host-originated ClusterIP traffic is not masqueraded',
    );
    steps.push({
      id: 'kube-proxy',
      title: 'kube-proxy without clusterCIDR (kubeadm filled it from podSubnet), restarted',
      commands: [
        { argv: ['sh', '-eu'], input: kubeProxyNoClusterCidrScript(kubectl.join(' ')) },
        { argv: [...kubectl, '-n', 'kube-system', 'rollout', 'restart', 'daemonset/kube-proxy'] },
        {
          argv: [
            ...kubectl,
            '-n',
            'kube-system',
            'rollout',
            'status',
            'daemonset/kube-proxy',
            `--timeout=${ROLLOUT_TIMEOUT}`,
          ],
          timeoutMs: ROLLOUT_MS,
        },
      ],
    });
  } else if (t.cluster.kubeProxy.clusterCIDR !== t.cluster.podCIDR) {
    notes.push(
      `kube-proxy's clusterCIDR stays ${t.cluster.podCIDR} (kubeadm's choice), not ${t.cluster.kubeProxy.clusterCIDR}`,
    );
  }

  steps.push({
    id: 'flannel',
    title: `flannel (${settings.flannelArgs.join(' ')}), pod network ${t.cluster.podCIDR}`,
    commands: [
      { argv: [...kubectl, 'apply', '-f', '-'], input: flannel },
      {
        argv: [
          ...kubectl,
          '-n',
          'kube-flannel',
          'rollout',
          'status',
          'ds/kube-flannel-ds',
          `--timeout=${ROLLOUT_TIMEOUT}`,
        ],
        timeoutMs: ROLLOUT_MS,
      },
    ],
  });
  steps.push({
    id: 'nodes-ready',
    title: 'Nodes Ready',
    commands: [
      {
        argv: [...kubectl, 'wait', '--for=condition=Ready', 'nodes', '--all', `--timeout=${ROLLOUT_TIMEOUT}`],
        timeoutMs: ROLLOUT_MS,
      },
    ],
  });
  if (workloads)
    steps.push({
      id: 'workloads',
      title: `Seed workloads: ${settings.workloads.join(', ')}`,
      commands: [
        { argv: [...kubectl, 'apply', '-f', '-'], input: workloads },
        ...settings.workloads.map((w) => ({
          argv: [
            ...kubectl,
            '-n',
            'default',
            'rollout',
            'status',
            `deployment/${w}`,
            `--timeout=${ROLLOUT_TIMEOUT}`,
          ],
          timeoutMs: ROLLOUT_MS,
        })),
      ],
    });

  notes.push(
    'node addresses are the ones Docker assigns (its IPAM refuses the same subnet twice); NIC names, roles and cluster subnets are the story’s',
  );
  if (layout.nodes.filter((n) => n.role === 'control-plane').length > 1)
    notes.push(
      `kind adds a load balancer container, ${layout.cluster}-external-load-balancer, in front of the apiservers`,
    );

  return {
    lab: input.lab,
    cluster: layout.cluster,
    environment: input.environment,
    ...(input.scenario ? { scenario: input.scenario } : {}),
    kubeconfig,
    cniBinDir,
    layout,
    kindConfig: config,
    manifests: { flannel, ...(workloads ? { workloads } : {}) },
    netplan,
    queries: queries.list,
    steps,
    teardown: planTeardown(layout, kubeconfig),
    notes,
  };
}

/** What `down` runs: the cluster (its containers) first, then the networks they were cabled to. */
export function planTeardown(layout: Pick<KindLayout, 'cluster' | 'networks'>, kubeconfig?: string): Cmd[] {
  return [
    {
      argv: [
        'kind',
        'delete',
        'cluster',
        '--name',
        layout.cluster,
        ...(kubeconfig ? ['--kubeconfig', kubeconfig] : []),
      ],
      timeoutMs: 5 * 60_000,
    },
    ...layout.networks.map((n) => ({
      argv: ['docker', 'network', 'rm', n.name],
      tolerate: /no such network|not found/i,
    })),
  ];
}

function nodeTable(plan: KindPlan): string[] {
  const width = Math.max(...plan.layout.nodes.map((n) => n.name.length));
  return plan.layout.nodes.map(
    (n) =>
      `#   ${n.name.padEnd(width)}  ${n.role.padEnd(13)}  ${n.container}: ${n.nics
        .map((nic) => `${nic.name} on ${nic.network}${nic.defaultRoute ? ' (default route)' : ''}`)
        .join(', ')}`,
  );
}

/** The whole plan as a bash script: comments say what each step is for, commands are pasteable. */
export function renderPlan(plan: KindPlan): string {
  const out = [
    `# svc-labs: lab ${plan.lab} on kind - environment ${plan.environment}${plan.scenario ? `, scenario ${plan.scenario}` : ''}`,
    `# cluster ${plan.cluster}; kubeconfig ${plan.kubeconfig}`,
    '#',
    '# nodes (topology name, role, kind container: NICs):',
    ...nodeTable(plan),
  ];
  if (plan.layout.networks.length > 0) {
    out.push('# Docker networks made for the lab:');
    for (const n of plan.layout.networks) out.push(`#   ${n.name} (${n.kind}) for ${n.nodes.join(', ')}`);
  }
  for (const note of plan.notes) out.push(`# note: ${note}`);
  plan.steps.forEach((s, i) => {
    out.push('', `# ---- step ${i + 1}/${plan.steps.length} [${s.id}] ${s.title}`);
    for (const c of s.commands) out.push(renderCmd(c, plan.queries));
  });
  out.push('', '# ---- teardown (labctl down) runs:');
  for (const c of plan.teardown) out.push(`#   ${renderCmd(c, plan.queries)}`);
  return `${out.join('\n')}\n`;
}

/** The plan as JSON for `--dry-run --json`. */
export function planJson(plan: KindPlan): Record<string, unknown> {
  return {
    lab: plan.lab,
    cluster: plan.cluster,
    environment: plan.environment,
    ...(plan.scenario ? { scenario: plan.scenario } : {}),
    kubeconfig: plan.kubeconfig,
    cniBinDir: plan.cniBinDir,
    nodes: plan.layout.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      container: n.container,
      nics: n.nics.map((nic) => ({ name: nic.name, network: nic.network, defaultRoute: nic.defaultRoute })),
    })),
    networks: plan.layout.networks.map((n) => ({
      name: n.name,
      segment: n.segment,
      kind: n.kind,
      nodes: n.nodes,
    })),
    kindConfig: plan.kindConfig,
    manifests: plan.manifests,
    netplan: Object.fromEntries(
      Object.entries(plan.netplan).map(([k, v]) => [k, showMarkers(v, plan.queries)]),
    ),
    steps: plan.steps.map((s) => ({
      id: s.id,
      title: s.title,
      commands: s.commands.map((c) => renderCmd(c, plan.queries)),
    })),
    teardown: plan.teardown.map((c) => renderCmd(c, plan.queries)),
    notes: plan.notes,
  };
}
