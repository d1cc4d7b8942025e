/** Nodes: the update rule (labels, taints, unschedulable), taint validation, the `get nodes` table. */
import type { FieldError } from '../../kube/errors.ts';
import type { KObject } from '../../kube/object.ts';
import { clone } from '../../kube/object.ts';
import { defineStrategy } from '../lib/base.ts';
import { duplicate, each, forbidden, notSupported, required, sameJSON } from '../lib/field.ts';
import { info } from '../lib/info.ts';
import { isQualifiedName, isValidLabelValue } from '../lib/names.ts';
import { age, ageCol, col, nameCol, wide } from '../lib/table.ts';
import type { KindDefinition } from '../strategy.ts';

type Obj = Record<string, any>;

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function validateTaints(taints: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (Array.isArray(taints) ? taints : []).forEach((t: Obj, i: number) => {
    const p = `${path}[${i}]`;
    errs.push(...each(`${p}.key`, t?.key ?? '', isQualifiedName(String(t?.key ?? ''))));
    if (t?.value) errs.push(...each(`${p}.value`, t.value, isValidLabelValue(String(t.value))));
    if (!t?.effect) errs.push(required(`${p}.effect`));
    else if (!EFFECTS.includes(t.effect)) errs.push(notSupported(`${p}.effect`, t.effect, EFFECTS));
    const k = `${t?.key}:${t?.effect}`;
    if (seen.has(k)) errs.push(duplicate(p, `${t?.key}:${t?.effect}`));
    seen.add(k);
  });
  return errs;
}

/** ValidateNodeUpdate: after allowing the mutable parts, anything left that differs is forbidden. */
function validateNodeUpdate(node: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const next: Obj = node.spec ?? {};
  const prev: Obj = old.spec ?? {};
  if (prev.podCIDR && next.podCIDR !== prev.podCIDR) {
    errs.push(forbidden('spec.podCIDR', 'node updates may not change podCIDR except from "" to valid'));
  }
  if ((prev.podCIDRs ?? []).length && !sameJSON(next.podCIDRs, prev.podCIDRs)) {
    errs.push(forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  if (prev.providerID && next.providerID !== prev.providerID) {
    errs.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  const rest = (spec: Obj) => {
    const {
      taints: _t,
      unschedulable: _u,
      podCIDR: _p,
      podCIDRs: _ps,
      providerID: _id,
      configSource: _c,
      ...other
    } = clone(spec);
    return other;
  };
  if (!errs.length && !sameJSON(rest(next), rest(prev))) {
    errs.push(
      forbidden(
        '',
        'node updates may only change labels, taints, or capacity (or configSource, if the DynamicKubeletConfig feature gate is enabled)',
      ),
    );
  }
  return errs;
}

/** findNodeRoles: node-role.kubernetes.io/<role> keys and the kubernetes.io/role value. */
export function nodeRoles(node: KObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return [...roles].sort().join(',') || '<none>';
}

export function nodeStatus(node: KObject): string {
  const ready = (node.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
  const status = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

const address = (node: KObject, type: string) =>
  (node.status?.addresses ?? []).find((a: Obj) => a.type === type)?.address ?? '<none>';

export const nodes: KindDefinition = {
  info: info({
    resource: 'nodes',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    subresources: ['proxy', 'status'],
  }),
  strategy: defineStrategy({
    defaults(node) {
      const status = node.status;
      if (status && typeof status === 'object' && status.capacity && !status.allocatable)
        status.allocatable = clone(status.capacity);
    },
    prepareForUpdate(node, old) {
      node.status = old.status;
      if (node.status === undefined) delete node.status;
    },
    validate: (node) => validateTaints(node.spec?.taints, 'spec.taints'),
    validateUpdate: validateNodeUpdate,
    selectableFields: (node) => ({ 'spec.unschedulable': String(Boolean(node.spec?.unschedulable)) }),
    table: {
      columns: [
        nameCol(),
        col('Status', 'string', 'The status of the node'),
        col('Roles', 'string', 'The roles of the node'),
        ageCol(),
        col('Version', 'string', 'Kubelet Version reported by the node.'),
        wide('Internal-IP', 'List of addresses reachable to the node.'),
        wide('External-IP', 'List of addresses reachable to the node.'),
        wide(
          'OS-Image',
          'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
        ),
        wide(
          'Kernel-Version',
          "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
        ),
        wide(
          'Container-Runtime',
          'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
        ),
      ],
      cells: (node, ctx) => {
        const ni: Obj = node.status?.nodeInfo ?? {};
        return [
          node.metadata.name,
          nodeStatus(node),
          nodeRoles(node),
          age(node, ctx),
          ni.kubeletVersion ?? '',
          address(node, 'InternalIP'),
          address(node, 'ExternalIP'),
          ni.osImage || '<unknown>',
          ni.kernelVersion || '<unknown>',
          ni.containerRuntimeVersion || '<unknown>',
        ];
      },
    },
  }),
};
