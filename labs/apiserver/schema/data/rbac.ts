// rbac.authorization.k8s.io/v1 types.
// Field facts (numbers, JSON names, pointer/omitempty, patch strategies) match k8s.io/api v1.32;
// the notation is explained in ../define.ts.
import { defineTypes } from '../define.ts';

export const rbacTypes = defineTypes('rbac', {
  Role: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'rules 2 []PolicyRule req list=atomic',
  ],
  RoleList: ['kind 0 string', 'apiVersion 0 string', 'metadata 1 meta.ListMeta', 'items 2 []Role req'],
  ClusterRole: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'rules 2 []PolicyRule req list=atomic',
    'aggregationRule 3 AggregationRule',
  ],
  ClusterRoleList: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ListMeta',
    'items 2 []ClusterRole req',
  ],
  RoleBinding: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'subjects 2 []Subject list=atomic',
    'roleRef 3 RoleRef req',
  ],
  RoleBindingList: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ListMeta',
    'items 2 []RoleBinding req',
  ],
  ClusterRoleBinding: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ObjectMeta',
    'subjects 2 []Subject list=atomic',
    'roleRef 3 RoleRef req',
  ],
  ClusterRoleBindingList: [
    'kind 0 string',
    'apiVersion 0 string',
    'metadata 1 meta.ListMeta',
    'items 2 []ClusterRoleBinding req',
  ],
  PolicyRule: [
    'verbs 1 []string req list=atomic',
    'apiGroups 2 []string list=atomic',
    'resources 3 []string list=atomic',
    'resourceNames 4 []string list=atomic',
    'nonResourceURLs 5 []string list=atomic',
  ],
  AggregationRule: ['clusterRoleSelectors 1 []meta.LabelSelector list=atomic'],
  Subject: ['kind 1 string req', 'apiGroup 2 string', 'name 3 string req', 'namespace 4 string'],
  RoleRef: ['apiGroup 1 string req', 'kind 2 string req', 'name 3 string req'],
});
