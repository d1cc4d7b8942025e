// coordination.k8s.io/v1 types.
// Field facts (numbers, JSON names, pointer/omitempty, patch strategies) match k8s.io/api v1.32;
// the notation is explained in ../define.ts.
import { defineTypes } from '../define.ts';

export const coordinationTypes = defineTypes('coordination', {
  Lease: ['kind 0 string', 'apiVersion 0 string', 'metadata 1 meta.ObjectMeta', 'spec 2 LeaseSpec'],
  LeaseList: ['kind 0 string', 'apiVersion 0 string', 'metadata 1 meta.ListMeta', 'items 2 []Lease req'],
  LeaseSpec: [
    'holderIdentity 1 string ptr',
    'leaseDurationSeconds 2 int32 ptr',
    'acquireTime 3 microTime',
    'renewTime 4 microTime',
    'leaseTransitions 5 int32 ptr',
    'strategy 6 string ptr go=v1.CoordinatedLeaseStrategy',
    'preferredHolder 7 string ptr',
  ],
});
