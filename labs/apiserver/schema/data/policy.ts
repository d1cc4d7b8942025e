// policy/v1 types.
// Field facts (numbers, JSON names, pointer/omitempty, patch strategies) match k8s.io/api v1.32;
// the notation is explained in ../define.ts.
import { defineTypes } from '../define.ts';

export const policyTypes = defineTypes('policy', {
  PodDisruptionBudget: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'spec 2 PodDisruptionBudgetSpec',
    'status 3 PodDisruptionBudgetStatus',
  ],
  PodDisruptionBudgetList: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ListMeta',
    'items 2 []PodDisruptionBudget req',
  ],
  Eviction: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'deleteOptions 2 meta.DeleteOptions',
  ],
  PodDisruptionBudgetSpec: [
    'minAvailable 1 intOrString',
    'selector 2 meta.LabelSelector patch=replace',
    'maxUnavailable 3 intOrString',
    'unhealthyPodEvictionPolicy 4 string ptr go=v1.UnhealthyPodEvictionPolicyType',
  ],
  PodDisruptionBudgetStatus: [
    'observedGeneration 1 int64',
    'disruptedPods 2 {}time',
    'disruptionsAllowed 3 int32 req',
    'currentHealthy 4 int32 req',
    'desiredHealthy 5 int32 req',
    'expectedPods 6 int32 req',
    'conditions 7 []meta.Condition patch=merge key=type list=map(type)',
  ],
});
