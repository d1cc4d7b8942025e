/** Scheduling and policy objects: PDBs, PriorityClasses, LimitRanges, ResourceQuotas, HPAs, PodTemplates. */
import type { FieldError } from '../../kube/errors.ts';
import type { KObject } from '../../kube/object.ts';
import { defineStrategy } from '../lib/base.ts';
import { forbidden, invalid, required } from '../lib/field.ts';
import { info } from '../lib/info.ts';
import { age, ageCol, col, createdAtTable, formatLabels, nameCol } from '../lib/table.ts';
import { defaultPodTemplate } from '../pods/defaults.ts';
import type { KindDefinition } from '../strategy.ts';
import { validateLabelSelector, validatePodTemplate } from '../workloads/common.ts';

type Obj = Record<string, any>;

const intOrString = (v: unknown) => (v === undefined || v === null ? 'N/A' : String(v));

function hpaTargets(hpa: KObject): string {
  const specs: Obj[] = hpa.spec?.metrics ?? [];
  if (!specs.length) return '<none>';
  const statuses: Obj[] = hpa.status?.currentMetrics ?? [];
  const out = specs.map((m, i) => {
    const cur = statuses[i];
    switch (m.type) {
      case 'Resource': {
        const t = m.resource?.target ?? {};
        if (t.averageValue !== undefined)
          return `${m.resource.name}: ${cur?.resource?.current?.averageValue ?? '<unknown>'}/${t.averageValue}`;
        const current = cur?.resource?.current?.averageUtilization;
        return `${m.resource?.name}: ${current !== undefined ? `${current}%` : '<unknown>'}/${t.averageUtilization !== undefined ? `${t.averageUtilization}%` : '<auto>'}`;
      }
      case 'Pods':
        return `${cur?.pods?.current?.averageValue ?? '<unknown>'}/${m.pods?.target?.averageValue ?? ''}`;
      default:
        return '<unknown type>';
    }
  });
  return out.length > 2 ? `${out.slice(0, 2).join(', ')} + ${out.length - 2} more...` : out.join(', ');
}

export const policyKinds: KindDefinition[] = [
  {
    info: info({
      group: 'policy',
      resource: 'poddisruptionbudgets',
      kind: 'PodDisruptionBudget',
      shortNames: ['pdb'],
      subresources: ['status'],
    }),
    strategy: defineStrategy({
      tracksGeneration: true,
      status: true,
      initialStatus: () => ({ currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 }),
      validate(pdb) {
        const spec: Obj = pdb.spec ?? {};
        const errs: FieldError[] = validateLabelSelector(spec.selector, 'spec.selector');
        if (spec.minAvailable != null && spec.maxUnavailable != null) {
          errs.push(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
        }
        return errs;
      },
      table: {
        columns: [
          nameCol(),
          col('Min Available', 'string', 'The minimum number of pods that must be available.'),
          col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
          col(
            'Allowed Disruptions',
            'integer',
            'Calculated number of pods that may be disrupted at this time.',
          ),
          ageCol(),
        ],
        cells: (pdb, ctx) => [
          pdb.metadata.name,
          intOrString(pdb.spec?.minAvailable),
          intOrString(pdb.spec?.maxUnavailable),
          pdb.status?.disruptionsAllowed ?? 0,
          age(pdb, ctx),
        ],
      },
    }),
  },
  {
    info: info({
      group: 'scheduling.k8s.io',
      resource: 'priorityclasses',
      kind: 'PriorityClass',
      namespaced: false,
      shortNames: ['pc'],
    }),
    strategy: defineStrategy({
      defaults(pc) {
        if (!pc.preemptionPolicy) pc.preemptionPolicy = 'PreemptLowerPriority';
      },
      validate(pc) {
        const errs: FieldError[] = [];
        if (pc.value === undefined || pc.value === null) errs.push(required('value'));
        else if (pc.value > 1000000000 && !String(pc.metadata.name).startsWith('system-')) {
          errs.push(forbidden('value', 'maximum allowed value of a user defined priority is 1000000000'));
        }
        return errs;
      },
      validateUpdate: (pc, old) =>
        pc.value === old.value ? [] : [forbidden('value', 'may not be changed in an update.')],
      table: {
        columns: [
          nameCol(),
          col('Value', 'integer', 'value represents the integer value of this priority class.'),
          col(
            'Global-Default',
            'boolean',
            'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.',
          ),
          ageCol(),
          col(
            'PreemptionPolicy',
            'string',
            'preemptionPolicy is the Policy for preempting pods with lower priority.',
          ),
        ],
        cells: (pc, ctx) => [
          pc.metadata.name,
          pc.value ?? 0,
          pc.globalDefault === true,
          age(pc, ctx),
          pc.preemptionPolicy ?? '',
        ],
      },
    }),
  },
  {
    info: info({ resource: 'limitranges', kind: 'LimitRange', shortNames: ['limits'] }),
    strategy: defineStrategy({ table: createdAtTable }),
  },
  {
    info: info({
      resource: 'resourcequotas',
      kind: 'ResourceQuota',
      shortNames: ['quota'],
      subresources: ['status'],
    }),
    strategy: defineStrategy({
      status: true,
      table: {
        columns: [
          nameCol(),
          ageCol(),
          col(
            'Request',
            'string',
            'Request represents a minimum amount of cpu/memory that a container may consume.',
          ),
          col(
            'Limit',
            'string',
            'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
          ),
        ],
        cells: (q, ctx) => {
          const hard: Obj = q.status?.hard ?? {};
          const used: Obj = q.status?.used ?? {};
          const req: string[] = [];
          const lim: string[] = [];
          for (const r of Object.keys(hard).sort()) {
            (r.startsWith('limits.') ? lim : req).push(`${r}: ${used[r] ?? '0'}/${hard[r]}`);
          }
          return [q.metadata.name, age(q, ctx), req.join(', '), lim.join(', ')];
        },
      },
    }),
  },
  {
    info: info({
      group: 'autoscaling',
      version: 'v2',
      resource: 'horizontalpodautoscalers',
      kind: 'HorizontalPodAutoscaler',
      shortNames: ['hpa'],
      categories: ['all'],
      subresources: ['status'],
    }),
    strategy: defineStrategy({
      status: true,
      defaults(hpa) {
        const spec = (hpa.spec ??= {});
        spec.minReplicas ??= 1;
        if (!(spec.metrics ?? []).length) {
          spec.metrics = [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
            },
          ];
        }
      },
      validate(hpa) {
        const spec: Obj = hpa.spec ?? {};
        const errs: FieldError[] = [];
        if (!spec.scaleTargetRef?.kind) errs.push(required('spec.scaleTargetRef.kind'));
        if (!spec.scaleTargetRef?.name) errs.push(required('spec.scaleTargetRef.name'));
        if (!(spec.maxReplicas > 0))
          errs.push(invalid('spec.maxReplicas', spec.maxReplicas ?? 0, 'must be greater than 0'));
        if (spec.minReplicas != null && spec.maxReplicas < spec.minReplicas) {
          errs.push(
            invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'),
          );
        }
        return errs;
      },
      table: {
        columns: [
          nameCol(),
          col('Reference', 'string', 'scaleTargetRef points to the target resource to scale.'),
          col(
            'Targets',
            'string',
            'metrics contains the specifications for which to use to calculate the desired replica count.',
          ),
          col(
            'MinPods',
            'string',
            'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.',
          ),
          col(
            'MaxPods',
            'string',
            'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.',
          ),
          col(
            'Replicas',
            'string',
            'currentReplicas is current number of replicas of pods managed by this autoscaler.',
          ),
          ageCol(),
        ],
        cells: (hpa, ctx) => [
          hpa.metadata.name,
          `${hpa.spec?.scaleTargetRef?.kind ?? ''}/${hpa.spec?.scaleTargetRef?.name ?? ''}`,
          hpaTargets(hpa),
          hpa.spec?.minReplicas != null ? String(hpa.spec.minReplicas) : '<unset>',
          hpa.spec?.maxReplicas ?? 0,
          hpa.status?.currentReplicas ?? 0,
          age(hpa, ctx),
        ],
      },
    }),
  },
  {
    info: info({ resource: 'podtemplates', kind: 'PodTemplate' }),
    strategy: defineStrategy({
      defaults: (pt) => defaultPodTemplate((pt.template ??= {})),
      validate: (pt) => validatePodTemplate(pt.template, 'template'),
      table: {
        columns: [
          nameCol(),
          col('Containers', 'string', 'Names of each container in the template.'),
          col('Images', 'string', 'Images referenced by each container in the template.'),
          col('Pod Labels', 'string', 'The labels for the pod template.'),
        ],
        cells: (pt) => {
          const containers: Obj[] = pt.template?.spec?.containers ?? [];
          return [
            pt.metadata.name,
            containers.map((c) => c.name).join(','),
            containers.map((c) => c.image).join(','),
            formatLabels(pt.template?.metadata?.labels),
          ];
        },
      },
    }),
  },
];
