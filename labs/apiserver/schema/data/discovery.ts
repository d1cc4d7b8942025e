// discovery.k8s.io/v1 types.
// Field facts (numbers, JSON names, pointer/omitempty, patch strategies) match k8s.io/api v1.32;
// the notation is explained in ../define.ts.
import { defineTypes } from '../define.ts';

export const discoveryTypes = defineTypes('discovery', {
  EndpointSlice: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'addressType 4 string req go=v1.AddressType',
    'endpoints 2 []Endpoint req list=atomic',
    'ports 3 []EndpointPort req list=atomic',
  ],
  EndpointSliceList: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ListMeta',
    'items 2 []EndpointSlice req',
  ],
  Endpoint: [
    'addresses 1 []string req list=set',
    'conditions 2 EndpointConditions',
    'hostname 3 string ptr',
    'targetRef 4 core.ObjectReference',
    'deprecatedTopology 5 {}string',
    'nodeName 6 string ptr',
    'zone 7 string ptr',
    'hints 8 EndpointHints',
  ],
  EndpointPort: [
    'name 1 string ptr',
    'protocol 2 string ptr go=v1.Protocol',
    'port 3 int32 ptr',
    'appProtocol 4 string ptr',
  ],
  EndpointConditions: ['ready 1 bool ptr', 'serving 2 bool ptr', 'terminating 3 bool ptr'],
  EndpointHints: ['forZones 1 []ForZone list=atomic'],
  ForZone: ['name 1 string req'],
});
