// autoscaling/v1 types.
// Field facts (numbers, JSON names, pointer/omitempty, patch strategies) match k8s.io/api v1.32;
// the notation is explained in ../define.ts.
import { defineTypes } from '../define.ts';

export const autoscalingTypes = defineTypes('autoscaling', {
  Scale: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'spec 2 ScaleSpec',
    'status 3 ScaleStatus',
  ],
  HorizontalPodAutoscaler: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'spec 2 HorizontalPodAutoscalerSpec',
    'status 3 HorizontalPodAutoscalerStatus',
  ],
  HorizontalPodAutoscalerList: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ListMeta',
    'items 2 []HorizontalPodAutoscaler req',
  ],
  ScaleSpec: ['replicas 1 int32'],
  ScaleStatus: ['replicas 1 int32 req', 'selector 2 string'],
  HorizontalPodAutoscalerSpec: [
    'scaleTargetRef 1 CrossVersionObjectReference req',
    'minReplicas 2 int32 ptr',
    'maxReplicas 3 int32 req',
    'targetCPUUtilizationPercentage 4 int32 ptr',
  ],
  HorizontalPodAutoscalerStatus: [
    'observedGeneration 1 int64 ptr',
    'lastScaleTime 2 time',
    'currentReplicas 3 int32 req',
    'desiredReplicas 4 int32 req',
    'currentCPUUtilizationPercentage 5 int32 ptr',
  ],
  CrossVersionObjectReference: ['kind 1 string req', 'name 2 string req', 'apiVersion 3 string'],
});
