/**
 * The lab drawn as SVG from a TopologyView (labs/web/topology.ts): a column per node with its NICs,
 * cni0, flannel.1 and pods; the L2 segments several machines share as buses below; a machine's own
 * wire (VirtualBox NAT) as a small router box under it; the vxlan overlay as a dashed line between
 * the flannel.1 devices. A failing path (from a check) is drawn in red. Pure: runs at build time in
 * Astro (the drawing is on the page before any JavaScript) and in the browser once a lab runs.
 */
import type { TopologyNic, TopologyNode, TopologyView } from '../../../labs/web/types.ts';

export interface FailingPath {
  /** Node, pod or NIC names involved in failing checks. */
  names: string[];
  /** Node pairs whose traffic failed. */
  links: [string, string][];
}

export interface TopologyLabels {
  title: string;
  pods: string;
  failingPath: string;
}

const COL_W = 204;
const GAP = 16;
const MARGIN = 20;
const LINE = 15;
const MAX_PODS = 8;

function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function text(x: number, y: number, s: string, cls: string, anchor = 'start'): string {
  return `<text x="${x}" y="${y}" class="${cls}" text-anchor="${anchor}">${esc(s)}</text>`;
}

function nicLine(nic: TopologyNic, node: TopologyNode): string {
  const route = node.defaultRoute?.dev === nic.name ? ' ★' : '';
  return `${nic.name}  ${nic.addresses.join(', ') || '-'}${route}`;
}

export function renderTopologySvg(
  view: TopologyView,
  failing: FailingPath | undefined,
  labels: TopologyLabels,
): string {
  const failNames = new Set((failing?.names ?? []).map((n) => n.toLowerCase()));
  const isFailing = (name: string) => failNames.has(name.toLowerCase());
  const nodes = view.nodes;
  const width = MARGIN * 2 + nodes.length * COL_W + (nodes.length - 1) * GAP;
  const parts: string[] = [];

  // Node boxes.
  const rowsOf = (n: TopologyNode) =>
    2 + n.interfaces.length + 1 + Math.min(n.pods.length, MAX_PODS) + (n.pods.length > MAX_PODS ? 1 : 0);
  const maxRows = Math.max(...nodes.map(rowsOf), 6);
  const boxTop = 48;
  const boxH = maxRows * LINE + 16;
  const colX = (i: number) => MARGIN + i * (COL_W + GAP);
  const nicAnchor = new Map<string, { x: number; y: number }>();
  const vxlanY = new Map<string, number>();

  nodes.forEach((n, i) => {
    const x = colX(i);
    const fail = isFailing(n.name);
    parts.push(
      `<g class="node${fail ? ' failing' : ''}" data-node="${esc(n.name)}"><rect x="${x}" y="${boxTop}" width="${COL_W}" height="${boxH}" rx="8" class="box"/>`,
    );
    let y = boxTop + 20;
    parts.push(text(x + 10, y, n.name, 'title'));
    parts.push(
      text(x + COL_W - 10, y, n.role === 'control-plane' ? 'control plane' : 'worker', 'muted', 'end'),
    );
    y += LINE;
    parts.push(text(x + 10, y, `pod CIDR ${n.podCIDR}`, 'muted'));
    n.interfaces.forEach((nic, j) => {
      y += LINE;
      const cls = `nic ${nic.kind}${isFailing(nic.name) || isFailing(`${n.name}/${nic.name}`) ? ' failing' : ''}`;
      parts.push(text(x + 10, y, nicLine(nic, n), cls));
      if (nic.kind === 'nic')
        nicAnchor.set(`${n.name}/${nic.name}`, { x: x + 30 + j * 40, y: boxTop + boxH });
      if (nic.kind === 'vxlan') vxlanY.set(n.name, y - 4);
    });
    y += LINE;
    parts.push(text(x + 10, y, `${n.pods.length} ${labels.pods}`, 'muted'));
    for (const p of n.pods.slice(0, MAX_PODS)) {
      y += LINE;
      const cls = `pod${p.hostNetwork ? ' hostnet' : ''}${isFailing(p.name) ? ' failing' : ''}`;
      const name = p.name.length > 19 ? `${p.name.slice(0, 18)}…` : p.name;
      parts.push(text(x + 14, y, `${name} ${p.hostNetwork ? '' : (p.ip ?? '')}`, cls));
    }
    if (n.pods.length > MAX_PODS) {
      y += LINE;
      parts.push(text(x + 18, y, `+${n.pods.length - MAX_PODS}`, 'muted'));
    }
    parts.push('</g>');
  });

  // The vxlan overlay between flannel.1 devices.
  const vx = nodes.filter((n) => vxlanY.has(n.name));
  for (let i = 0; i + 1 < vx.length; i++) {
    const a = nodes.indexOf(vx[i]);
    const b = nodes.indexOf(vx[i + 1]);
    const y = vxlanY.get(vx[i].name)!;
    parts.push(
      `<line x1="${colX(a) + COL_W}" y1="${y}" x2="${colX(b)}" y2="${vxlanY.get(vx[i + 1].name)}" class="vxlan"/>`,
    );
  }
  if (vx.length > 1) parts.push(text(MARGIN, boxTop - 8, 'vxlan (flannel.1, UDP 8472)', 'vxlan-label'));

  // Segments: shared ones are buses; a node's own wire ends in the router on it.
  let y = boxTop + boxH + 36;
  const machinesOn = (seg: string) => {
    const out: { name: string; nic: string; node?: TopologyNode }[] = [];
    for (const n of nodes)
      for (const nic of n.interfaces)
        if (nic.segment === seg) out.push({ name: n.name, nic: nic.name, node: n });
    for (const o of view.others)
      for (const nic of o.interfaces) if (nic.segment === seg) out.push({ name: o.name, nic: nic.name });
    return out;
  };
  const hostX = width - MARGIN - 4;
  const privateWires: string[] = [];
  for (const seg of view.segments) {
    const on = machinesOn(seg.name);
    const nodeEnds = on.filter((m) => m.node);
    if (nodeEnds.length === 1 && on.length === 2) {
      privateWires.push(seg.name);
      continue;
    }
    if (nodeEnds.length === 0) continue;
    const x1 = MARGIN;
    const x2 = width - MARGIN;
    parts.push(`<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" class="segment"/>`);
    parts.push(text(x1, y - 6, `${seg.name}  ${seg.subnets.join(', ')}`, 'segment-label'));
    for (const m of nodeEnds) {
      const a = nicAnchor.get(`${m.name}/${m.nic}`);
      if (!a) continue;
      parts.push(`<line x1="${a.x}" y1="${a.y}" x2="${a.x}" y2="${y}" class="drop"/>`);
      parts.push(`<circle cx="${a.x}" cy="${y}" r="3" class="dot"/>`);
    }
    for (const m of on.filter((o) => !o.node)) {
      const other = view.others.find((o) => o.name === m.name)!;
      const nic = other.interfaces.find((i) => i.name === m.nic)!;
      parts.push(`<circle cx="${hostX}" cy="${y}" r="3" class="dot"/>`);
      parts.push(
        text(hostX, y + 14, `${other.name} ${nic.name} ${nic.addresses.join(', ')}`, 'muted', 'end'),
      );
    }
    y += 44;
  }
  // Private wires: a router box under its node.
  let routersBottom = y;
  for (const seg of privateWires) {
    const on = machinesOn(seg);
    const nodeEnd = on.find((m) => m.node)!;
    const routerEnd = on.find((m) => !m.node)!;
    const a = nicAnchor.get(`${nodeEnd.name}/${nodeEnd.nic}`);
    if (!a) continue;
    const other = view.others.find((o) => o.name === routerEnd.name)!;
    const nic = other.interfaces.find((i) => i.name === routerEnd.nic)!;
    const bx = a.x - 10;
    parts.push(`<line x1="${a.x}" y1="${a.y}" x2="${a.x}" y2="${y}" class="drop wire"/>`);
    parts.push(`<rect x="${bx}" y="${y}" width="${COL_W - 80}" height="36" rx="6" class="router"/>`);
    parts.push(text(bx + 8, y + 15, other.name, 'router-title'));
    parts.push(text(bx + 8, y + 29, `${nic.name} ${nic.addresses.join(', ')}`, 'muted'));
    routersBottom = Math.max(routersBottom, y + 44);
  }

  // Failing links between nodes.
  for (const [from, to] of failing?.links ?? []) {
    const a = nodes.findIndex((n) => n.name === from);
    const b = nodes.findIndex((n) => n.name === to);
    if (a < 0 || b < 0 || a === b) continue;
    // An arc over the boxes, from one node to the other, clear of their text.
    const xa = colX(a) + COL_W / 2;
    const xb = colX(b) + COL_W / 2;
    const mid = Math.min(xa, xb) + Math.abs(xb - xa) / 2;
    parts.push(`<path d="M ${xa} ${boxTop} Q ${mid} ${boxTop - 46} ${xb} ${boxTop}" class="fail-link"/>`);
  }
  if (failing && (failing.links.length || failing.names.length))
    parts.push(text(width - MARGIN, 16, `— ${labels.failingPath}`, 'fail-legend', 'end'));

  const height = routersBottom + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(labels.title)}: ${esc(view.environment)}" class="svcl-topology-svg"><title>${esc(labels.title)}: ${esc(view.description ?? view.environment)}</title>${parts.join('')}</svg>`;
}

/** Names and node pairs from failing checks: nodes, pods and NICs mentioned, and from/to pairs. */
export function failingPathFrom(
  checks: { passed: boolean; title: string; evidence: string; from?: string; to?: string }[],
  view: TopologyView,
): FailingPath {
  const names = new Set<string>();
  const links: [string, string][] = [];
  const nodeOf = (s: string | undefined) => {
    if (!s) return undefined;
    const direct = view.nodes.find(
      (n) => s === n.name || s.startsWith(`${n.name}/`) || s.endsWith(`/${n.name}`),
    );
    if (direct) return direct.name;
    return view.nodes.find((n) => n.pods.some((p) => s.includes(p.name)))?.name;
  };
  for (const c of checks.filter((x) => !x.passed)) {
    const hay = `${c.title}\n${c.evidence}`;
    const mentioned: string[] = [];
    for (const n of view.nodes) {
      if (hay.includes(n.name)) {
        names.add(n.name);
        mentioned.push(n.name);
      }
      for (const nic of n.interfaces)
        if (new RegExp(`\\b${nic.name.replace('.', '\\.')}\\b`).test(hay)) names.add(nic.name);
      for (const p of n.pods) if (hay.includes(p.name)) names.add(p.name);
    }
    const from = nodeOf(c.from);
    const to = nodeOf(c.to);
    if (from && to) links.push([from, to]);
    else if (mentioned.length >= 2) links.push([mentioned[0], mentioned[1]]);
  }
  return { names: [...names], links };
}
