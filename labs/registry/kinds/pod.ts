/** Pods: defaults and admission on create, the frozen-spec update rule, graceful deletion. */
import type { KObject } from '../../kube/object.ts';
import { defineStrategy, specOf } from '../lib/base.ts';
import { info } from '../lib/info.ts';
import { admitPod, qosClass } from '../pods/admission.ts';
import { defaultPodOnly, defaultPodSpec } from '../pods/defaults.ts';
import { podTable } from '../pods/printer.ts';
import { validatePodSpecUpdate } from '../pods/update.ts';
import { validatePodSpec } from '../pods/validation.ts';
import type { KindDefinition } from '../strategy.ts';

function defaults(pod: KObject): void {
  const spec = specOf(pod);
  defaultPodSpec(spec);
  defaultPodOnly(spec);
}

/** Deletion waits for the kubelet while the pod is bound to a node and still running. */
export function podGracePeriod(pod: KObject): number | undefined {
  const phase = pod.status?.phase;
  if (!pod.spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') return undefined;
  return pod.spec.terminationGracePeriodSeconds ?? 30;
}

export function podSelectableFields(pod: KObject): Record<string, string> {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  return {
    'spec.nodeName': spec.nodeName ?? '',
    'spec.restartPolicy': spec.restartPolicy ?? '',
    'spec.schedulerName': spec.schedulerName ?? '',
    'spec.serviceAccountName': spec.serviceAccountName ?? '',
    'spec.hostNetwork': String(Boolean(spec.hostNetwork)),
    'status.phase': status.phase ?? '',
    'status.podIP': status.podIPs?.[0]?.ip ?? '',
    'status.nominatedNodeName': status.nominatedNodeName ?? '',
  };
}

export const pods: KindDefinition = {
  info: info({
    resource: 'pods',
    kind: 'Pod',
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      'attach',
      'binding',
      'ephemeralcontainers',
      'eviction',
      'exec',
      'log',
      'portforward',
      'proxy',
      'status',
    ],
  }),
  strategy: defineStrategy({
    defaults,
    prepareForCreate(pod) {
      admitPod(pod);
      pod.status = { phase: 'Pending', qosClass: qosClass(pod.spec) };
      if ((pod.spec.schedulingGates ?? []).length) {
        pod.status.conditions = [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'SchedulingGated',
            message: 'Scheduling is blocked due to non-empty scheduling gates',
            lastProbeTime: null,
            lastTransitionTime: pod.metadata.creationTimestamp,
          },
        ];
      }
    },
    prepareForUpdate(pod, old) {
      pod.status = old.status;
      // Admission-added fields the client did not send again are not changes the client asked for.
      for (const k of [
        'serviceAccountName',
        'serviceAccount',
        'priority',
        'preemptionPolicy',
        'enableServiceLinks',
      ]) {
        if (pod.spec[k] === undefined && old.spec?.[k] !== undefined) pod.spec[k] = old.spec[k];
      }
    },
    validate: (pod) => validatePodSpec(pod.spec, 'spec', { pod: true }),
    validateUpdate: (pod, old) => validatePodSpecUpdate(pod.spec ?? {}, old.spec ?? {}),
    selectableFields: podSelectableFields,
    table: podTable,
    gracefulDeletion: podGracePeriod,
  }),
};
