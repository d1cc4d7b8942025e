// networking.k8s.io/v1 types.
// Field facts (numbers, JSON names, pointer/omitempty, patch strategies) match k8s.io/api v1.32;
// the notation is explained in ../define.ts.
import { defineTypes } from '../define.ts';

export const networkingTypes = defineTypes('networking', {
  Ingress: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'spec 2 IngressSpec',
    'status 3 IngressStatus',
  ],
  IngressList: ['kind 0 string', 'apiVersion 0 string', 'metadata 1 meta.ListMeta', 'items 2 []Ingress req'],
  IngressClass: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'spec 2 IngressClassSpec',
  ],
  IngressClassList: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ListMeta',
    'items 2 []IngressClass req',
  ],
  NetworkPolicy: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'spec 2 NetworkPolicySpec',
  ],
  NetworkPolicyList: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ListMeta',
    'items 2 []NetworkPolicy req',
  ],
  IngressSpec: [
    'ingressClassName 4 string ptr',
    'defaultBackend 1 IngressBackend',
    'tls 2 []IngressTLS list=atomic',
    'rules 3 []IngressRule list=atomic',
  ],
  IngressStatus: ['loadBalancer 1 IngressLoadBalancerStatus'],
  IngressClassSpec: ['controller 1 string', 'parameters 2 IngressClassParametersReference'],
  NetworkPolicySpec: [
    'podSelector 1 meta.LabelSelector req',
    'ingress 2 []NetworkPolicyIngressRule list=atomic',
    'egress 3 []NetworkPolicyEgressRule list=atomic',
    'policyTypes 4 []string go=[]v1.PolicyType list=atomic',
  ],
  IngressBackend: ['service 4 IngressServiceBackend', 'resource 3 core.TypedLocalObjectReference'],
  IngressTLS: ['hosts 1 []string list=atomic', 'secretName 2 string'],
  IngressRule: ['host 1 string', 'ingressRuleValue 2 IngressRuleValue inline'],
  IngressLoadBalancerStatus: ['ingress 1 []IngressLoadBalancerIngress list=atomic'],
  IngressClassParametersReference: [
    'apiGroup 1 string ptr',
    'kind 2 string req',
    'name 3 string req',
    'scope 4 string req ptr',
    'namespace 5 string ptr',
  ],
  NetworkPolicyIngressRule: [
    'ports 1 []NetworkPolicyPort list=atomic',
    'from 2 []NetworkPolicyPeer list=atomic',
  ],
  NetworkPolicyEgressRule: [
    'ports 1 []NetworkPolicyPort list=atomic',
    'to 2 []NetworkPolicyPeer list=atomic',
  ],
  IngressServiceBackend: ['name 1 string req', 'port 2 ServiceBackendPort'],
  IngressRuleValue: ['http 1 HTTPIngressRuleValue'],
  IngressLoadBalancerIngress: ['ip 1 string', 'hostname 2 string', 'ports 4 []IngressPortStatus list=atomic'],
  NetworkPolicyPort: ['protocol 1 string ptr go=v1.Protocol', 'port 2 intOrString', 'endPort 3 int32 ptr'],
  NetworkPolicyPeer: [
    'podSelector 1 meta.LabelSelector',
    'namespaceSelector 2 meta.LabelSelector',
    'ipBlock 3 IPBlock',
  ],
  ServiceBackendPort: ['name 1 string', 'number 2 int32'],
  HTTPIngressRuleValue: ['paths 1 []HTTPIngressPath req list=atomic'],
  IngressPortStatus: ['port 1 int32 req', 'protocol 2 string req go=v1.Protocol', 'error 3 string ptr'],
  IPBlock: ['cidr 1 string req', 'except 2 []string list=atomic'],
  HTTPIngressPath: [
    'path 1 string',
    'pathType 3 string req ptr go=v1.PathType',
    'backend 2 IngressBackend req',
  ],
});
