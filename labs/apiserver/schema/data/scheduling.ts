// scheduling.k8s.io/v1 types.
// Field facts (numbers, JSON names, pointer/omitempty, patch strategies) match k8s.io/api v1.32;
// the notation is explained in ../define.ts.
import { defineTypes } from '../define.ts';

export const schedulingTypes = defineTypes('scheduling', {
  PriorityClass: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'value 2 int32 req',
    'globalDefault 3 bool',
    'description 4 string',
    'preemptionPolicy 5 string ptr go=v1.PreemptionPolicy',
  ],
  PriorityClassList: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ListMeta',
    'items 2 []PriorityClass req',
  ],
});
